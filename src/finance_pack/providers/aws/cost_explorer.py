"""Cost Explorer `GetCostAndUsage`: daily cost per service and linked account, as records.

The adapter knows AWS, not the cost store: `services.cost_sync` decides which days to fetch
and the cost store writes what it returns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from finance_pack.domain.costs import CostRecord
from finance_pack.domain.money import Money
from finance_pack.providers.aws.calls import call_aws

SOURCE = "aws-ce"
EFFECTIVE_METRIC = "AmortizedCost"


@dataclass(frozen=True, slots=True)
class CostExplorerDay:
    day: date
    estimated: bool
    records: tuple[CostRecord, ...]


def day_ranges(days: Sequence[date]) -> Iterator[tuple[date, date]]:
    """Contiguous [start, end) ranges covering `days`."""
    ordered = sorted(set(days))
    if not ordered:
        return
    start = previous = ordered[0]
    for day in ordered[1:]:
        if day != previous + timedelta(days=1):
            yield start, previous + timedelta(days=1)
            start = day
        previous = day
    yield start, previous + timedelta(days=1)


def parse_results(
    results: Sequence[dict[str, Any]], billed_metric: str, payer_account: str
) -> list[CostExplorerDay]:
    """`ResultsByTime` groups (SERVICE, LINKED_ACCOUNT) -> canonical records per day."""
    days = []
    for result in results:
        day = date.fromisoformat(result["TimePeriod"]["Start"])
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        records = []
        for group in result.get("Groups", []):
            service, account = [*group["Keys"], "", ""][:2]
            metrics = group["Metrics"]
            billed = metrics[billed_metric]
            effective = metrics.get(EFFECTIVE_METRIC, billed)
            records.append(
                CostRecord(
                    charge_period_start=start,
                    charge_period_end=start + timedelta(days=1),
                    billed_cost=Money(Decimal(billed["Amount"]), billed["Unit"]),
                    effective_cost=Money(Decimal(effective["Amount"]), billed["Unit"]),
                    provider_name="AWS",
                    billing_account_id=payer_account,
                    sub_account_id=account or None,
                    service_name=service,
                    charge_category="Usage",
                )
            )
        days.append(CostExplorerDay(day, bool(result.get("Estimated", False)), tuple(records)))
    return days


class CostExplorerConnector:
    """Fetches `GetCostAndUsage` pages; `client` is a boto3 `ce` client."""

    def __init__(
        self, client: Any, *, billed_metric: str = "UnblendedCost", payer_account: str = "unknown"
    ) -> None:
        self.client = client
        self.billed_metric = billed_metric
        self.payer_account = payer_account
        self.requests = 0

    def fetch(self, start: date, end: date) -> list[CostExplorerDay]:
        metrics = sorted({self.billed_metric, EFFECTIVE_METRIC})
        request: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "DAILY",
            "Metrics": metrics,
            "GroupBy": [
                {"Type": "DIMENSION", "Key": "SERVICE"},
                {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
            ],
        }
        results: list[dict[str, Any]] = []
        while True:
            page = call_aws("ce:GetCostAndUsage", lambda: self.client.get_cost_and_usage(**request))
            self.requests += 1
            results += page.get("ResultsByTime", [])
            token = page.get("NextPageToken")
            if not token:
                break
            request["NextPageToken"] = token
        return _merge_days(parse_results(results, self.billed_metric, self.payer_account))


def _merge_days(days: Sequence[CostExplorerDay]) -> list[CostExplorerDay]:
    """Pages split one day's groups across results; join them back per day."""
    merged: dict[date, CostExplorerDay] = {}
    for item in days:
        if item.day in merged:
            old = merged[item.day]
            item = CostExplorerDay(
                item.day, old.estimated or item.estimated, old.records + item.records
            )
        merged[item.day] = item
    return [merged[d] for d in sorted(merged)]
