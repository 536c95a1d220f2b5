"""CloudWatch billing metrics: `AWS/Billing EstimatedCharges` (published in us-east-1 only),
one series per (ServiceName, LinkedAccount, Currency). The values are cumulative month-to-date;
`domain.costs.interval_spend` turns them into spend per interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from finance_pack.domain.costs import CumulativeSample, IntervalSpend, interval_spend
from finance_pack.domain.instants import as_utc
from finance_pack.providers.aws.calls import call_aws

NAMESPACE = "AWS/Billing"
METRIC = "EstimatedCharges"
REGION = "us-east-1"
_MAX_QUERIES = 500  # GetMetricData's limit per request


@dataclass(frozen=True, slots=True)
class BillingSeries:
    """Dimensions of one series; absent ones are None (e.g. the account-wide total)."""

    currency: str
    service: str | None = None
    linked_account: str | None = None

    def dimensions(self) -> list[dict[str, str]]:
        pairs = [
            ("Currency", self.currency),
            ("ServiceName", self.service),
            ("LinkedAccount", self.linked_account),
        ]
        return [{"Name": n, "Value": v} for n, v in pairs if v is not None]


@dataclass(frozen=True, slots=True)
class BillingSpend:
    series: BillingSeries
    intervals: tuple[IntervalSpend, ...]


class BillingPoller:
    """Reads EstimatedCharges; `client` is a boto3 `cloudwatch` client in us-east-1."""

    def __init__(self, client: Any, *, period_seconds: int = 21600) -> None:
        self.client = client
        self.period_seconds = period_seconds

    def list_series(self) -> list[BillingSeries]:
        series: list[BillingSeries] = []
        paginator = self.client.get_paginator("list_metrics")
        pages = call_aws(
            "cloudwatch:ListMetrics",
            lambda: list(paginator.paginate(Namespace=NAMESPACE, MetricName=METRIC)),
        )
        for page in pages:
            for metric in page.get("Metrics", []):
                dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                if "Currency" in dims:
                    series.append(
                        BillingSeries(
                            dims["Currency"], dims.get("ServiceName"), dims.get("LinkedAccount")
                        )
                    )
        return sorted(
            set(series), key=lambda s: (s.currency, s.service or "", s.linked_account or "")
        )

    def samples(
        self, series: Sequence[BillingSeries], start: datetime, end: datetime
    ) -> dict[BillingSeries, list[CumulativeSample]]:
        found: dict[BillingSeries, list[CumulativeSample]] = {s: [] for s in series}
        for offset in range(0, len(series), _MAX_QUERIES):
            batch = list(series[offset : offset + _MAX_QUERIES])
            queries = [self._query(f"q{i}", s) for i, s in enumerate(batch)]
            for result in self._results(queries, start, end):
                target = batch[int(result["Id"][1:])]
                found[target] += [
                    CumulativeSample(as_utc(ts), Decimal(str(value)))
                    for ts, value in zip(result["Timestamps"], result["Values"], strict=True)
                ]
        return found

    def poll(self, start: datetime, end: datetime) -> list[BillingSpend]:
        """Per-interval spend of every series from `start` (take the month start, so the
        first interval counts from the monthly reset) to `end`."""
        by_series = self.samples(self.list_series(), start, end)
        return [
            BillingSpend(s, tuple(interval_spend(samples)))
            for s, samples in by_series.items()
            if samples
        ]

    def _query(self, query_id: str, series: BillingSeries) -> dict[str, Any]:
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": METRIC,
                    "Dimensions": series.dimensions(),
                },
                "Period": self.period_seconds,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        }

    def _results(
        self, queries: list[dict[str, Any]], start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "MetricDataQueries": queries,
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        while True:
            page = call_aws(
                "cloudwatch:GetMetricData", lambda: self.client.get_metric_data(**request)
            )
            results += page.get("MetricDataResults", [])
            token = page.get("NextToken")
            if not token:
                return results
            request["NextToken"] = token
