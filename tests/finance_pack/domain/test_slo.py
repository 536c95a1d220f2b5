from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from finance_pack.domain.slo import SloReport, latency_report, percentile


def test_attainment_and_error_budget_for_weekly_cadence() -> None:
    report = SloReport("budgeteer_weekly_cadence", Decimal("0.95"), "52w", events=52, good=50)
    assert report.attainment == Decimal("0.9615")
    # 52 weeks at 95 % allow 2.6 bad weeks; 2 spent leaves 23 %.
    assert report.error_budget_remaining == Decimal("0.2308")
    assert report.met is True


def test_overspent_budget_goes_negative_and_objective_is_missed() -> None:
    report = SloReport("x", Decimal("0.95"), "13w", events=13, good=11)
    assert report.error_budget_remaining is not None and report.error_budget_remaining < 0
    assert report.met is False


def test_no_events_is_not_reported_as_perfect() -> None:
    report = SloReport("x", Decimal("0.99"), "30d", events=0, good=0)
    assert report.attainment is None and report.error_budget_remaining is None
    assert report.to_json_dict()["attainment"] is None


def test_hundred_percent_objective_has_no_budget_to_divide() -> None:
    assert SloReport("x", Decimal(1), "30d", events=5, good=5).error_budget_remaining == 1
    assert SloReport("x", Decimal(1), "30d", events=5, good=4).error_budget_remaining == 0


def test_latency_report_counts_undelivered_as_bad() -> None:
    latencies = [Decimal(10), Decimal(20), Decimal(400), None]
    report = latency_report(
        "invoice_delivery",
        Decimal("0.99"),
        "30d",
        latencies,
        Decimal(300),
        labels=["a", "b", "c", "d"],
    )
    assert (report.events, report.good) == (4, 2)
    assert report.bad_events == ("c", "d")
    assert report.max_seconds == 400 and report.p50_seconds == 20


@given(
    st.lists(st.decimals(min_value=0, max_value=10**6, places=3), min_size=1, max_size=200),
    st.integers(min_value=1, max_value=100),
)
def test_percentile_is_an_observed_value_and_monotone(values: list[Decimal], pct: int) -> None:
    p = percentile(values, pct)
    assert p in values
    assert p is not None and p <= (percentile(values, min(100, pct + 1)) or p)
    assert percentile(values, 100) == max(values)


def test_attainment_exactly_at_the_objective_meets_it() -> None:
    report = SloReport("x", Decimal("0.95"), "20w", events=20, good=19)
    assert report.attainment == Decimal("0.9500")
    assert report.met is True


def test_attainment_rounds_half_to_even_at_four_places() -> None:
    assert SloReport("x", Decimal("0.5"), "w", events=32000, good=3).attainment == Decimal(
        "0.0001"
    )  # 0.00009375 rounds up to one ten-thousandth
    assert SloReport("x", Decimal("0.5"), "w", events=20000, good=1).attainment == Decimal(
        "0.0000"
    )  # 0.00005 is a tie: half-even keeps the even 0.0000
    assert SloReport("x", Decimal("0.5"), "w", events=20000, good=3).attainment == Decimal(
        "0.0002"
    )  # 0.00015 is a tie: half-even goes up to the even 0.0002


def test_error_budget_rounds_half_to_even_at_four_places() -> None:
    # 10000 events at 99 %: 100 bad allowed; 1 bad spent leaves exactly 0.99.
    report = SloReport("x", Decimal("0.99"), "w", events=10000, good=9999)
    assert report.error_budget_remaining == Decimal("0.9900")
    # 3 bad of 2.6 allowed: 1 - 3/2.6 = -0.153846... -> -0.1538
    assert SloReport("x", Decimal("0.95"), "w", events=52, good=49).error_budget_remaining == (
        Decimal("-0.1538")
    )


def test_report_as_json_spells_every_field_with_decimal_text() -> None:
    report = SloReport(
        "invoice_delivery",
        Decimal("0.99"),
        "30d",
        events=4,
        good=3,
        p50_seconds=Decimal("12.5"),
        p95_seconds=Decimal(40),
        p99_seconds=Decimal(41),
        max_seconds=Decimal("41.25"),
        bad_events=("in_2",),
    )
    assert report.to_json_dict() == {
        "slo": "invoice_delivery",
        "objective": "0.99",
        "window": "30d",
        "attainment": "0.7500",
        "error_budget_remaining": "-24.0000",
        "events": 4,
        "good": 3,
        "met": False,
        "p50_seconds": "12.5",
        "p95_seconds": "40",
        "p99_seconds": "41",
        "max_seconds": "41.25",
        "bad_events": ["in_2"],
    }


def test_a_report_without_latencies_has_none_and_no_bad_events() -> None:
    payload = SloReport("x", Decimal("0.9"), "w", events=1, good=1).to_json_dict()
    assert (payload["p50_seconds"], payload["max_seconds"], payload["bad_events"]) == (
        None,
        None,
        [],
    )


def test_percentile_is_the_nearest_rank() -> None:
    values = [Decimal(v) for v in (7, 1, 9, 3, 5, 2, 8, 10, 4, 6)]
    assert percentile(values, 10) == 1
    assert percentile(values, 11) == 2
    assert percentile(values, 50) == 5
    assert percentile(values, 95) == 10
    assert percentile(values, 0) == 1
    assert percentile([], 50) is None


def test_a_latency_at_the_threshold_is_good_and_events_default_to_their_position() -> None:
    latencies = [Decimal(300), Decimal("300.001"), None, Decimal(5)]
    report = latency_report("x", Decimal("0.9"), "7d", latencies, Decimal(300))
    assert (report.events, report.good) == (4, 2)
    assert report.bad_events == ("1", "2")
    assert (report.p50_seconds, report.p95_seconds, report.p99_seconds, report.max_seconds) == (
        Decimal(300),
        Decimal("300.001"),
        Decimal("300.001"),
        Decimal("300.001"),
    )
    assert (report.slo, report.objective, report.window) == ("x", Decimal("0.9"), "7d")


def test_nothing_delivered_has_no_latency_figures() -> None:
    report = latency_report("x", Decimal("0.9"), "7d", [None, None], Decimal(300))
    assert (report.good, report.max_seconds, report.p50_seconds) == (0, None, None)
    assert report.bad_events == ("0", "1")


def test_json_figures_are_plain_decimals_never_exponents() -> None:
    report = SloReport("x", Decimal("0.9"), "w", events=1, good=1, p50_seconds=Decimal("1E+2"))
    assert report.to_json_dict()["p50_seconds"] == "100"
