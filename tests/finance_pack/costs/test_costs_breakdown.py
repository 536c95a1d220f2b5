"""The cost explorer's breakdown: spend by service, account, region, provider or tag, with the
same stretch of the previous month, exact to the cent (amounts written out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import Row, write_focus_csv

from finance_pack.costs.breakdown import GroupBy, cost_breakdown
from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.store import CostStore
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.errors import UsageError

D = Decimal


def _at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# October in full; November up to the 10th (newest data ends 2026-11-10T01:00Z).
ROWS = [
    Row(_at(10, 2), D("10.10"), D("10.10"), service="AmazonEC2", tags={"team": "web"}),
    Row(_at(10, 5), D("5.05"), D("5.05"), service="AmazonS3", region=None),
    Row(_at(10, 20), D("100.00"), D("100.00"), service="AmazonEC2", tags={"team": "web"}),
    Row(_at(11, 1), D("20.00"), D("20.00"), service="AmazonEC2", tags={"team": "web"}),
    Row(
        _at(11, 3),
        D("7.333333"),
        D("7.333333"),
        service="AmazonS3",
        region=None,
        sub_account=None,
        account="900000000009",
        tags={"team": "data"},
    ),
    Row(_at(11, 10), D("1.00"), D("1.00"), service="AWSLambda", currency="EUR"),
]


@pytest.fixture(scope="module")
def queries(tmp_path_factory: pytest.TempPathFactory) -> CostQueries:
    folder: Path = tmp_path_factory.mktemp("breakdown")
    store = CostStore.open(f"duckdb:///{folder / 'costs.duckdb'}")
    ingest_files(store, [str(write_focus_csv(folder / "f.csv", ROWS))], FileKind.FOCUS)
    return CostQueries(store.backend)


def _table(breakdown: object) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    return {(r.key, r.currency): (r.amount, r.previous) for r in breakdown.rows}  # type: ignore[attr-defined]


def test_a_running_month_is_compared_with_the_same_days_of_the_month_before(
    queries: CostQueries,
) -> None:
    result = cost_breakdown(queries, GroupBy.parse("service"), BillingMonth(2026, 11))
    assert result.end == _at(11, 10, 1)
    assert _table(result) == {
        ("AmazonEC2", "USD"): (D("20.00"), D("10.10")),
        ("AmazonS3", "USD"): (D("7.333333"), D("5.05")),
        ("AWSLambda", "EUR"): (D("1.00"), D("0")),
    }
    assert [r.key for r in result.rows] == ["AmazonEC2", "AmazonS3", "AWSLambda"]
    assert result.totals() == {"USD": (D("27.333333"), D("15.15")), "EUR": (D("1.00"), D(0))}
    assert result.rows[0].change_pct == D("98.0")
    assert result.rows[2].change_pct is None


def test_a_closed_month_is_compared_with_the_whole_month_before(queries: CostQueries) -> None:
    result = cost_breakdown(queries, GroupBy.parse("service"), BillingMonth(2026, 10))
    assert result.end == _at(11, 1)
    assert _table(result)[("AmazonEC2", "USD")] == (D("110.10"), D("0"))


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (
            "account",
            {
                ("200000000001", "USD"): (D("20.00"), D("15.15")),
                ("900000000009", "USD"): (D("7.333333"), D("0")),
                ("200000000001", "EUR"): (D("1.00"), D("0")),
            },
        ),
        (
            "region",
            {
                ("us-east-1", "USD"): (D("20.00"), D("10.10")),
                ("(none)", "USD"): (D("7.333333"), D("5.05")),
                ("us-east-1", "EUR"): (D("1.00"), D("0")),
            },
        ),
        (
            "tag:team",
            {
                ("web", "USD"): (D("20.00"), D("10.10")),
                ("data", "USD"): (D("7.333333"), D("0")),
                ("(none)", "USD"): (D("0"), D("5.05")),
                ("(none)", "EUR"): (D("1.00"), D("0")),
            },
        ),
    ],
)
def test_spend_groups_by_account_region_and_tag(
    queries: CostQueries, group: str, expected: dict[tuple[str, str], tuple[Decimal, Decimal]]
) -> None:
    assert _table(cost_breakdown(queries, GroupBy.parse(group), BillingMonth(2026, 11))) == expected


@pytest.mark.parametrize("text", ["colour", "tag:", 'tag:a"b', "tags:team"])
def test_an_unknown_grouping_is_refused_with_the_choices(text: str) -> None:
    with pytest.raises(UsageError, match="service, account, region, provider or tag:KEY"):
        GroupBy.parse(text)
