"""Canonical services (issue 9 item 7): a budget scope names a service in any of AWS's
spellings and matches the same spend whichever source (CUR, FOCUS, Cost Explorer) fed it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import Row

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.store import CostStore
from finance_pack.domain.budgets import Scope
from finance_pack.services.reporting import scope_warning

WriteCsv = Callable[..., Path]
DAY = datetime(2026, 11, 2, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)
SPELLINGS = {  # as each source writes EC2 spend
    "Amazon Elastic Compute Cloud": Decimal("10.00"),  # FOCUS
    "AmazonEC2": Decimal("1.25"),  # CUR product_servicecode
    "Amazon Elastic Compute Cloud - Compute": Decimal("100.00"),  # Cost Explorer
    "EC2 - Other": Decimal("0.50"),  # Cost Explorer: EBS, NAT gateways, ...
}


@pytest.fixture
def queries(store: CostStore, focus_csv: WriteCsv) -> CostQueries:
    rows = [
        Row(DAY + timedelta(hours=i), amount, amount, service=service, tags={"team": "core"})
        for i, (service, amount) in enumerate(SPELLINGS.items())
    ]
    rows.append(Row(DAY, Decimal("7"), Decimal("7"), service="Amazon Simple Storage Service"))
    ingest_files(store, [str(focus_csv(rows))], FileKind.FOCUS)
    return CostQueries(store.backend)


def _spend(queries: CostQueries, *services: str) -> Decimal:
    series = queries.spend_series(
        Scope(services=frozenset(services)), DAY, DAY + timedelta(days=1), "USD"
    )
    return sum((p.amount for p in series.points), Decimal(0))


@pytest.mark.parametrize(
    "spelling",
    ["AmazonEC2", "Amazon Elastic Compute Cloud", "EC2 - Other", "amazonec2"],
)
def test_every_spelling_of_ec2_matches_the_same_spend(queries: CostQueries, spelling: str) -> None:
    assert _spend(queries, spelling) == Decimal("111.75")


def test_an_unrelated_service_is_not_pulled_in(queries: CostQueries) -> None:
    assert _spend(queries, "AmazonS3") == Decimal("7")
    assert _spend(queries, "AmazonS3", "AmazonEC2") == Decimal("118.75")


def test_spend_by_service_is_reported_under_one_name(queries: CostQueries) -> None:
    rows = queries.spend_by_dimension(Scope(), "service", DAY, DAY + timedelta(days=1))
    assert [(r.key, r.amount.amount) for r in rows] == [
        ("Amazon Elastic Compute Cloud", Decimal("111.75")),
        ("Amazon Simple Storage Service", Decimal("7")),
    ]


def test_a_scope_matching_spend_gets_no_warning(queries: CostQueries) -> None:
    assert scope_warning(queries, Scope(services=frozenset({"AmazonEC2"})), NOW) is None


def test_a_scope_matching_nothing_names_the_closest_existing_values(
    queries: CostQueries,
) -> None:
    scope = Scope(
        services=frozenset({"Amazon Simple Storage Servic"}),
        tags={"team": frozenset({"Core"})},
    )
    warning = scope_warning(queries, scope, NOW)
    assert warning is not None
    assert "matched no spend in the last 90 days" in warning
    assert "services 'Amazon Simple Storage Servic' matches nothing; closest: " in warning
    assert "Amazon Simple Storage Service" in warning
    assert "tags 'team=Core' matches nothing; closest: team=core" in warning


def test_spend_older_than_90_days_does_not_count(queries: CostQueries) -> None:
    later = NOW + timedelta(days=120)
    warning = scope_warning(queries, Scope(services=frozenset({"AmazonEC2"})), later)
    assert warning is not None and "no data in the last 90 days" in warning
