from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from finance_pack.clock import FakeClock
from finance_pack.sandbox.seed_spend import write_focus_csv

Run = Callable[..., tuple[int, str, str]]
FIRST, LAST = date(2025, 6, 1), date(2026, 10, 20)
NOW = datetime(2026, 10, 21, 6, 30, tzinfo=UTC)  # the morning after the last day of data


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("finance_pack.cli.common.clock", FakeClock(NOW))


@pytest.fixture
def seeded(brctl: Run, installed_target: Path, tmp_path: Path) -> Path:
    export = tmp_path / "focus.csv"
    write_focus_csv(export, FIRST, LAST)
    code, _, err = brctl("finance", "ingest", "focus", str(export), "--format", "json")
    assert code == 0, err
    return export


def _independent_mtd(
    export: Path, month: str, predicate: Callable[[dict[str, str]], bool]
) -> Decimal:
    with export.open() as handle:
        return sum(
            (
                Decimal(row["BilledCost"])
                for row in csv.DictReader(handle)
                if row["ChargePeriodStart"].startswith(month) and predicate(row)
            ),
            Decimal(0),
        )


def test_kpis_agree_to_the_cent_with_an_independent_sum(brctl: Run, seeded: Path) -> None:
    brctl(
        "finance",
        "budget",
        "set",
        "data",
        "--amount",
        "3000",
        "--currency",
        "USD",
        "--tag",
        "team=data",
        "--threshold",
        "80",
    )
    code, out, err = brctl("finance", "kpi", "--format", "json")
    assert code == 0, err
    reports = {r["budget"]: r for r in json.loads(out)}
    total, data = reports["total"], reports["data"]
    assert total["month"] == "2026-10" and total["as_of"] == "2026-10-21T00:00:00Z"
    assert Decimal(total["mtd_spend"]) == _independent_mtd(seeded, "2026-10", lambda r: True)
    assert Decimal(data["mtd_spend"]) == _independent_mtd(
        seeded, "2026-10", lambda r: '"team": "data"' in r["Tags"]
    )
    assert total["elapsed_days"] == "20" and total["forecaster"] == "seasonal"
    linear = Decimal(total["mtd_spend"]) / 20 * 31
    assert abs(Decimal(total["linear_forecast_month_end"]) - linear) <= Decimal("0.01")
    assert (
        Decimal(total["forecast_low"])
        <= Decimal(total["forecast_month_end"])
        <= Decimal(total["forecast_high"])
    )
    for key in (
        "budget",
        "month",
        "currency",
        "as_of",
        "mtd_spend",
        "elapsed_days",
        "daily_burn",
        "forecast_month_end",
        "forecast_low",
        "forecast_high",
        "forecaster",
        "budget_amount",
        "consumption_forecast_pct",
        "consumption_actual_pct",
        "status",
    ):
        assert key in total


def test_csv_and_table_outputs(brctl: Run, seeded: Path) -> None:
    code, out, _ = brctl("finance", "kpi", "--format", "csv", "--forecaster", "linear")
    assert code == 0
    header, first = out.splitlines()[:2]
    assert header.startswith("budget,month,currency,as_of,mtd_spend")
    assert first.startswith("total,2026-10,USD,2026-10-21T00:00:00Z,")
    assert brctl("finance", "kpi")[0] == 0


def test_scope_matching_nothing_reports_no_spend(brctl: Run, seeded: Path) -> None:
    brctl(
        "finance",
        "budget",
        "set",
        "ghost",
        "--amount",
        "10",
        "--currency",
        "USD",
        "--service",
        "Nope",
    )
    code, out, _ = brctl("finance", "kpi", "--budget", "ghost", "--format", "json")
    [report] = json.loads(out)
    assert code == 0 and report["no_spend_in_scope"] is True and report["mtd_spend"] == "0.00"
    code, out, _ = brctl("finance", "kpi", "--budget", "ghost", "--format", "csv")
    assert "ok (no spend in scope)" in out


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2099-01", "has not started yet"),
        ("2024-01", "no cost data for 2024-01"),
        ("2026-13", "month '2026-13'"),
    ],
)
def test_bad_months_are_usage_errors(brctl: Run, seeded: Path, month: str, message: str) -> None:
    code, _, err = brctl("finance", "kpi", "--month", month)
    assert code == 2 and message in err


def test_an_unknown_budget_is_an_error_in_kpi_and_backtest(brctl: Run, seeded: Path) -> None:
    for command in (("kpi",), ("forecast", "backtest", "--months", "2")):
        code, out, err = brctl("finance", *command, "--budget", "nope", "--format", "json")
        assert (code, out) == (2, "") and "no budget named nope" in err


def test_empty_cost_store_says_so(brctl: Run, installed_target: Path) -> None:
    code, _, err = brctl("finance", "kpi")
    assert code == 2 and "ingest" in err


def test_backtest_reports_both_forecasters(brctl: Run, seeded: Path) -> None:
    code, out, err = brctl("finance", "forecast", "backtest", "--months", "2", "--format", "json")
    assert code == 0, err
    results = {r["forecaster"]: r for r in json.loads(out)}
    assert set(results) == {"linear", "seasonal"}
    assert results["linear"]["interval_coverage"] is None and results["linear"]["months"] == 2
    assert 0 <= results["seasonal"]["interval_coverage"] <= 1
    assert results["seasonal"]["mape_5_25"] < results["linear"]["mape_5_25"]
    assert set(results["linear"]["mape_by_day"]) >= {"5", "25"}


def test_slo_contract_lists_the_three_slos(brctl: Run, installed_target: Path) -> None:
    code, out, _ = brctl("finance", "slo", "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert {r["slo"] for r in rows} == {
        "budgeteer_weekly_cadence",
        "invoice_delivery",
        "anomaly_alert_latency",
    }
    for row in rows:
        assert {
            "objective",
            "window",
            "attainment",
            "error_budget_remaining",
            "events",
            "p50_seconds",
            "p95_seconds",
            "p99_seconds",
            "max_seconds",
        } <= set(row)


@pytest.mark.parametrize("month", [[], ["--month", "2026-03"], ["--month", "2026-09"]])
def test_an_empty_store_says_it_is_empty_whatever_the_month(
    brctl: Run, installed_target: Path, month: list[str]
) -> None:
    code, out, err = brctl("finance", "kpi", *month)
    assert code == 2
    assert "the cost store is empty" in err and "starts" not in err
    assert "Traceback" not in err + out


def test_the_table_says_how_old_the_data_is(
    brctl: Run, seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = brctl("finance", "kpi", "--format", "table")
    assert code == 0 and "data as of 2026-10-21T00:00:00Z (6h old)" in " ".join(out.split())
    later = NOW + timedelta(days=3)
    monkeypatch.setattr("finance_pack.cli.common.clock", FakeClock(later))
    code, out, _ = brctl("finance", "kpi", "--month", "2026-10", "--format", "csv")
    assert code == 0 and "stale (data 3d 6h old)" in out


def test_backtest_csv_has_numbers_only_and_says_when_fewer_months_exist(
    brctl: Run, seeded: Path
) -> None:
    code, out, err = brctl("finance", "forecast", "backtest", "--months", "20", "--format", "csv")
    assert code == 0, err
    # Complete months in the seeded data: 2025-06 .. 2026-09.
    assert "replayed 16 month(s), not 20" in err
    rows = list(csv.DictReader(out.splitlines()))
    assert {r["forecaster"] for r in rows} == {"linear", "seasonal"}
    for row in rows:
        assert row["months"] == "16"
        for column in ("mape_5_25", "mape_day_5", "mape_day_25"):
            assert "%" not in row[column]
            Decimal(row[column])


SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("width", [80, 200])
def test_kpi_table_fits_the_terminal_without_breaking_a_figure(
    brctl: Run, seeded: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    brctl(
        "finance",
        "budget",
        "set",
        "data",
        "--amount",
        "3000",
        "--currency",
        "USD",
        "--tag",
        "team=data",
        "--threshold",
        "80",
    )
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = brctl("finance", "kpi", "--month", "2026-10")
    assert code == 0, err
    lines = [line.rstrip() for line in out.splitlines()]
    assert max(len(line) for line in lines) <= width
    snapshot = SNAPSHOTS / f"kpi_{width}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":  # after a deliberate change; review the diff
        snapshot.write_text("\n".join(lines) + "\n")
    assert lines == snapshot.read_text().splitlines()


@pytest.mark.parametrize(
    ("command", "month", "expected"),
    [
        ("kpi", "bogus", "error: month 'bogus': expected YYYY-MM, e.g. 2026-11"),
        ("kpi", "2026-13", "error: month '2026-13': months run from 01 to 12"),
        ("costs", "0000-01", "error: month '0000-01': years run from 0001 to 9998"),
    ],
)
def test_a_bad_month_is_named_once(
    brctl: Run, installed_target: Path, command: str, month: str, expected: str
) -> None:
    code, _, err = brctl("finance", command, "--month", month)
    assert code == 2 and err.strip() == expected


def test_a_forecast_from_a_short_history_is_marked_and_says_what_it_fell_back_to(
    brctl: Run, installed_target: Path, tmp_path: Path
) -> None:
    # Spend since 10 September: September is partial, so October alone is an earlier month.
    export = tmp_path / "focus.csv"
    write_focus_csv(export, date(2026, 9, 10), LAST)
    code, _, err = brctl("finance", "ingest", "focus", str(export), "--format", "json")
    assert code == 0, err
    code, out, err = brctl("finance", "kpi", "--budget", "total")
    assert code == 0, err
    assert " *" in out  # beside the forecast's range
    note = [line for line in out.splitlines() if line.startswith("* total: ")]
    assert len(note) == 1 and note[0].startswith("* total: short history (")
    code, out, _ = brctl("finance", "kpi", "--budget", "total", "--format", "json")
    (row,) = json.loads(out)
    assert row["forecast_fallback"].startswith("short history (")
    code, out, _ = brctl("finance", "kpi", "--budget", "total", "--format", "csv")
    (row,) = csv.DictReader(out.splitlines())
    assert row["forecast_fallback"].startswith("short history (")


def test_a_forecast_from_a_long_history_carries_no_note(brctl: Run, seeded: Path) -> None:
    code, out, err = brctl("finance", "kpi", "--budget", "total")
    assert code == 0, err
    assert not any(line.startswith("* ") for line in out.splitlines())
    code, out, _ = brctl("finance", "kpi", "--budget", "total", "--format", "json")
    assert json.loads(out)[0]["forecast_fallback"] is None
