"""KPI reports: one budget that cannot be computed never takes the others down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.store import CostStore
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import Budget, BudgetFailure
from finance_pack.domain.fx import FxTable
from finance_pack.domain.kpis import KpiReport
from finance_pack.domain.money import Money
from finance_pack.sandbox.seed_spend import write_focus_csv
from finance_pack.services.reporting import ReportSettings, budget_snapshots, kpi_reports

SETTINGS = ReportSettings(
    timezone="UTC",
    metric="BilledCost",
    forecaster="linear",
    fx_rates=FxTable.from_config({}),
    currency="USD",
)
NOW = datetime(2026, 10, 21, tzinfo=UTC)
OCTOBER = BillingMonth(2026, 10, "UTC")


@pytest.fixture
def queries(tmp_path: Path) -> Iterator[CostQueries]:
    export = tmp_path / "focus.csv"
    write_focus_csv(export, date(2026, 9, 1), date(2026, 10, 20))
    store = CostStore.open(f"duckdb:///{tmp_path / 'costs.duckdb'}")
    ingest_files(store, [str(export)], FileKind.FOCUS)
    yield CostQueries(store.backend)
    store.close()


def test_a_budget_without_an_fx_rate_is_one_failure_beside_the_others(
    queries: CostQueries,
) -> None:
    budgets = [
        Budget("all", Money.of("90000", "USD")),
        Budget("eu", Money.of("1000", "EUR")),  # costs are USD and no rate is configured
        Budget("zz", Money.of("50000", "USD")),
    ]
    results = kpi_reports(queries, budgets, SETTINGS, now=NOW, month=OCTOBER)
    assert [type(r).__name__ for r in results] == ["KpiReport", "BudgetFailure", "KpiReport"]
    failure = results[1]
    assert isinstance(failure, BudgetFailure) and failure.budget == "eu"
    assert "EUR" in failure.error and "FX" in failure.error
    assert failure.to_json_dict() == {"budget": "eu", "status": "error", "error": failure.error}
    computed = [r for r in results if isinstance(r, KpiReport)]
    assert all(r.mtd_spend > 0 for r in computed)
    snapshots = budget_snapshots(queries, budgets, SETTINGS, now=NOW, month=OCTOBER)
    assert [getattr(s, "budget", None) for s in snapshots] == [None, "eu", None]
