from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto_ce import queue_ce_results
from tenacity import wait_none

from finance_pack.costs.queries import CostQueries
from finance_pack.costs.store import CostStore
from finance_pack.domain.budgets import Scope
from finance_pack.errors import UnavailableError
from finance_pack.providers.aws.calls import call_aws, client
from finance_pack.providers.aws.cost_explorer import CostExplorerConnector, day_ranges
from finance_pack.services.cost_sync import sync_cost_explorer

NOW = datetime(2026, 5, 10, 12, tzinfo=UTC)


def group(service: str, account: str, amount: str, amortised: str | None = None) -> dict[str, Any]:
    return {
        "Keys": [service, account],
        "Metrics": {
            "UnblendedCost": {"Amount": amount, "Unit": "USD"},
            "AmortizedCost": {"Amount": amortised or amount, "Unit": "USD"},
        },
    }


def day_result(day: str, end: str, groups: list[dict[str, Any]], estimated: bool) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": day, "End": end},
        "Groups": groups,
        "Estimated": estimated,
        "Total": {},
    }


@pytest.fixture
def store(tmp_path: Path) -> CostStore:
    return CostStore.open(f"duckdb:///{tmp_path / 'costs.duckdb'}")


def total(store: CostStore) -> Decimal:
    series = CostQueries(store.backend).spend_series(
        Scope(), datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC), "USD"
    )
    return sum((p.amount for p in series.points), Decimal(0))


def test_pages_are_followed_and_estimated_days_are_fetched_again(
    moto_url: str, aws_session: Any, store: CostStore, reset_moto: None
) -> None:
    ce = client(aws_session, "ce", endpoint_url=moto_url)
    page_one = {
        "ResultsByTime": [
            day_result(
                "2026-05-01", "2026-05-02", [group("Amazon EC2", "111", "10.25", "9.00")], False
            )
        ],
        "NextPageToken": "page-2",
    }
    page_two = {
        "ResultsByTime": [
            day_result("2026-05-01", "2026-05-02", [group("Amazon S3", "222", "1.75")], False),
            day_result("2026-05-02", "2026-05-03", [group("Amazon EC2", "111", "5")], True),
        ]
    }
    queue_ce_results(moto_url, page_one, page_two)
    connector = CostExplorerConnector(ce, payer_account="999")
    first = sync_cost_explorer(store, connector, date(2026, 5, 1), date(2026, 5, 3), NOW)
    assert (first.days_fetched, first.requests, first.rows) == (2, 2, 3)
    assert total(store) == Decimal("17.00")

    restated = {
        "ResultsByTime": [
            day_result("2026-05-02", "2026-05-03", [group("Amazon EC2", "111", "6.5")], False)
        ]
    }
    queue_ce_results(moto_url, restated)
    second = sync_cost_explorer(store, connector, date(2026, 5, 1), date(2026, 5, 3), NOW)
    assert second.days_fetched == 1  # only the estimated day
    assert total(store) == Decimal("18.50")

    third = sync_cost_explorer(store, connector, date(2026, 5, 1), date(2026, 5, 3), NOW)
    assert (third.days_fetched, connector.requests) == (0, 3)


def test_records_keep_linked_account_and_amortised_cost(
    moto_url: str, aws_session: Any, store: CostStore, reset_moto: None
) -> None:
    ce = client(aws_session, "ce", endpoint_url=moto_url)
    queue_ce_results(
        moto_url,
        {
            "ResultsByTime": [
                day_result(
                    "2026-05-04", "2026-05-05", [group("AWS Lambda", "333", "2.00", "1.50")], False
                )
            ]
        },
    )
    sync_cost_explorer(
        store,
        CostExplorerConnector(ce, payer_account="999"),
        date(2026, 5, 4),
        date(2026, 5, 5),
        NOW,
    )
    row = store.duckdb.execute(
        "SELECT BillingAccountId, SubAccountId, ServiceName, BilledCost, EffectiveCost, "
        "ChargePeriodEnd FROM cost_line_items"
    ).fetchone()
    assert row == ("999", "333", "AWS Lambda", Decimal("2"), Decimal("1.5"), datetime(2026, 5, 5))


def test_day_ranges_join_contiguous_days() -> None:
    days = [date(2026, 5, d) for d in (1, 2, 3, 7, 9, 10)]
    assert list(day_ranges(days)) == [
        (date(2026, 5, 1), date(2026, 5, 4)),
        (date(2026, 5, 7), date(2026, 5, 8)),
        (date(2026, 5, 9), date(2026, 5, 11)),
    ]


def _stubbed(aws_session: Any, *errors: str) -> tuple[Any, Stubber]:
    ce = aws_session.client("ce", region_name="us-east-1")
    stubber = Stubber(ce)
    for code in errors:
        stubber.add_client_error(
            "get_cost_and_usage", service_error_code=code, http_status_code=400
        )
    return ce, stubber


def test_throttling_is_retried_then_succeeds(aws_session: Any) -> None:
    ce, stubber = _stubbed(aws_session, "ThrottlingException", "ThrottlingException")
    stubber.add_response("get_cost_and_usage", {"ResultsByTime": []})
    with stubber:
        result = call_aws(
            "ce:GetCostAndUsage",
            lambda: ce.get_cost_and_usage(
                TimePeriod={"Start": "2026-05-01", "End": "2026-05-02"},
                Granularity="DAILY",
                Metrics=["UnblendedCost"],
            ),
            wait=wait_none(),
        )
    assert result["ResultsByTime"] == []


def test_persistent_throttling_ends_with_a_clear_message(aws_session: Any) -> None:
    ce, stubber = _stubbed(aws_session, *["ThrottlingException"] * 3)
    with stubber, pytest.raises(UnavailableError, match="still throttled after 3 attempts"):
        call_aws(
            "ce:GetCostAndUsage",
            lambda: ce.get_cost_and_usage(
                TimePeriod={"Start": "2026-05-01", "End": "2026-05-02"},
                Granularity="DAILY",
                Metrics=["UnblendedCost"],
            ),
            attempts=3,
            wait=wait_none(),
        )


def test_expired_credentials_are_not_retried_and_say_how_to_fix(aws_session: Any) -> None:
    ce, stubber = _stubbed(aws_session, "ExpiredTokenException")
    with stubber, pytest.raises(UnavailableError, match="expired") as caught:
        call_aws(
            "ce:GetCostAndUsage",
            lambda: ce.get_cost_and_usage(
                TimePeriod={"Start": "2026-05-01", "End": "2026-05-02"},
                Granularity="DAILY",
                Metrics=["UnblendedCost"],
            ),
            wait=wait_none(),
        )
    assert "refresh" in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)
