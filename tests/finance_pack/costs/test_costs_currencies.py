"""One rule for foreign-currency cost rows (issue 9 item 3): converted with the rate of their
month from finance.yaml, or refused at ingest with file:line; reports never assume USD."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import Row

from finance_pack.costs.currency_rule import CurrencyRule
from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.store import CostStore
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import Budget, Scope
from finance_pack.domain.fx import FxTable, MissingFxRateError
from finance_pack.domain.money import Money
from finance_pack.errors import ValidationError
from finance_pack.services.reporting import ReportSettings, kpi_reports

WriteCsv = Callable[..., Path]
OCT = datetime(2026, 10, 5, tzinfo=UTC)
NOV = datetime(2026, 11, 5, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)
DATED = FxTable.from_config({"EUR/USD": {"2026-10": Decimal("1.10"), "2026-11": Decimal("1.05")}})


def _rows() -> list[Row]:
    return [
        Row(OCT, Decimal("100.00"), Decimal("100.00")),
        Row(OCT + timedelta(hours=1), Decimal("10.00"), Decimal("10.00"), currency="EUR"),
        Row(NOV, Decimal("200.00"), Decimal("200.00")),
        Row(NOV + timedelta(hours=1), Decimal("20.00"), Decimal("20.00"), currency="EUR"),
        Row(NOV + timedelta(days=10), Decimal("0.50"), Decimal("0.50")),
    ]


def _settings(currency: str, fx: FxTable = DATED) -> ReportSettings:
    return ReportSettings(
        timezone="UTC", metric="BilledCost", forecaster="linear", fx_rates=fx, currency=currency
    )


def test_a_foreign_row_without_a_rate_for_its_month_is_refused_with_file_and_line(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    only_october = FxTable.from_config({"EUR/USD": {"2026-10": Decimal("1.10")}})
    path = focus_csv(_rows())
    with pytest.raises(ValidationError) as caught:
        ingest_files(
            store, [str(path)], FileKind.FOCUS, currencies=CurrencyRule("USD", only_october)
        )
    text = str(caught.value)
    assert f"{path}:5: column BillingCurrency: EUR is not the billing currency USD" in text
    assert "no EUR/USD rate for 2026-11" in text
    assert store.duckdb.execute("SELECT count(*) FROM cost_line_items").fetchone()[0] == 0


def test_skip_bad_rows_moves_the_unconvertible_row_to_the_rejects_file(
    store: CostStore, focus_csv: WriteCsv, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.csv"
    report = ingest_files(
        store,
        [str(focus_csv(_rows()))],
        FileKind.FOCUS,
        skip_bad_rows=True,
        rejects_path=rejects,
        currencies=CurrencyRule("USD", FxTable()),
    )
    assert report.rows == 3
    records = list(csv.reader(rejects.open(newline="", encoding="utf-8")))
    assert [r[1:3] for r in records[1:]] == [["3", "BillingCurrency"], ["5", "BillingCurrency"]]
    currencies = store.duckdb.execute("SELECT DISTINCT BillingCurrency FROM cost_line_items")
    assert currencies.fetchall() == [("USD",)]


def test_foreign_rows_are_converted_with_the_rate_of_their_month(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    ingest_files(
        store, [str(focus_csv(_rows()))], FileKind.FOCUS, currencies=CurrencyRule("USD", DATED)
    )
    budget = Budget("all", Money.of("1000", "USD"), Scope())
    queries = CostQueries(store.backend)
    [october] = kpi_reports(queries, [budget], _settings("USD"), now=NOW, month=_month(10))
    [november] = kpi_reports(queries, [budget], _settings("USD"), now=NOW, month=_month(11))
    assert (october.currency, october.mtd_spend) == ("USD", Decimal("111.0000"))
    assert (november.currency, november.mtd_spend) == ("USD", Decimal("221.5000"))


def test_a_budget_in_another_currency_converts_each_month_at_its_own_rate(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    ingest_files(
        store, [str(focus_csv(_rows()))], FileKind.FOCUS, currencies=CurrencyRule("USD", DATED)
    )
    budget = Budget("eu", Money.of("1000", "EUR"), Scope())
    queries = CostQueries(store.backend)
    [november] = kpi_reports(queries, [budget], _settings("USD"), now=NOW, month=_month(11))
    assert november.currency == "EUR"
    assert november.to_json_dict()["mtd_spend"] == "210.95"  # 221.50 USD / 1.05


def test_a_eur_billed_store_reports_a_budget_without_spend_as_zero_eur(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = [Row(NOV, Decimal("5"), Decimal("5"), currency="EUR", service="Virtual Machines")]
    ingest_files(store, [str(focus_csv(rows))], FileKind.FOCUS)
    budget = Budget("s3", Money.of("100", "EUR"), Scope(services=frozenset({"AmazonS3"})))
    queries = CostQueries(store.backend)
    [report] = kpi_reports(queries, [budget], _settings("EUR"), now=NOW, month=_month(11))
    assert report.to_json_dict()["mtd_spend"] == "0.00"
    assert report.to_json_dict()["currency"] == "EUR"
    assert report.no_spend_in_scope


def test_a_rate_removed_after_ingest_is_a_usage_error_not_a_crash(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    ingest_files(
        store, [str(focus_csv(_rows()))], FileKind.FOCUS, currencies=CurrencyRule("USD", DATED)
    )
    budget = Budget("all", Money.of("1000", "USD"), Scope())
    with pytest.raises(MissingFxRateError, match="no EUR/USD exchange rate for 2026-10"):
        kpi_reports(
            CostQueries(store.backend), [budget], _settings("USD", FxTable()), now=NOW,
            month=_month(11),
        )  # fmt: skip


def _month(number: int) -> BillingMonth:
    return BillingMonth(2026, number, "UTC")
