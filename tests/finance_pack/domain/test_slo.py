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
