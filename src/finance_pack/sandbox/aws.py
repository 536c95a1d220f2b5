"""The AWS sandbox: moto's server on loopback, seeded with the sandbox's spend.

Cost Explorer in moto answers nothing until results are queued (`/moto-api/static/ce/...`), and
binds each queued result to the first request body it has not seen. So after queueing we send
the very requests `brctl finance ingest aws-ce` will send (through the same connector), which
binds the seeded answers to them: the ingest gets the seeded window however many other Cost
Explorer calls (`brctl finance doctor`, say) come first. The newest day is first answered as
`Estimated`, as Cost Explorer does, and final on the next ingest, which fetches only that day.

CloudWatch gets `AWS/Billing EstimatedCharges`: cumulative month-to-date, every six hours, per
service and linked account and in total, resetting on the 1st, consistent with the same spend.
"""

from __future__ import annotations

import logging
import socket
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import boto3
import httpx
from moto.server import ThreadedMotoServer

from finance_pack.clock import SYSTEM_CLOCK, Clock
from finance_pack.errors import UnavailableError
from finance_pack.providers.aws.calls import client
from finance_pack.providers.aws.cloudwatch import METRIC, NAMESPACE, BillingSeries
from finance_pack.providers.aws.cost_explorer import EFFECTIVE_METRIC, CostExplorerConnector
from finance_pack.sandbox.seed_spend import spend_rows

CURRENCY = "USD"
BILLED_METRICS = ("UnblendedCost", "AmortizedCost", "NetUnblendedCost")
SANDBOX_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# Cost Explorer's estimate of the newest day runs a little low until the day is final.
ESTIMATED_SHARE = Decimal("0.96")
CENT = Decimal("0.01")
BILLING_POINTS_PER_DAY = 4
_PUT_BATCH = 500  # PutMetricData takes up to 1,000 data points per request

GroupKey = tuple[str, str]  # (service, linked account)


@dataclass(frozen=True, slots=True)
class DaySpend:
    """One day's cost per (service, linked account): (billed, effective)."""

    day: date
    groups: dict[GroupKey, tuple[Decimal, Decimal]]

    @property
    def billed(self) -> Decimal:
        return sum((billed for billed, _ in self.groups.values()), Decimal(0))

    def as_estimated(self) -> DaySpend:
        return DaySpend(
            self.day,
            {
                key: (_share(billed), _share(effective))
                for key, (billed, effective) in self.groups.items()
            },
        )


def _share(amount: Decimal) -> Decimal:
    return (amount * ESTIMATED_SHARE).quantize(CENT, ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class AwsSeed:
    """What the sandbox holds: the spend of [start, end), the newest day first estimated."""

    start: date
    end: date
    days: tuple[DaySpend, ...]

    @property
    def newest(self) -> DaySpend:
        return self.days[-1]

    def billed_total(self, *, newest_final: bool = True) -> Decimal:
        """What an ingest of the window should hold: after one run the newest day is still
        the estimate; after the next (which re-fetches it) it is final."""
        newest = self.newest if newest_final else self.newest.as_estimated()
        return sum((d.billed for d in self.days[:-1]), Decimal(0)) + newest.billed

    @property
    def ingest_command(self) -> str:
        return f"brctl finance ingest aws-ce --start {self.start} --end {self.end}"


def seeded_spend(today: date) -> AwsSeed:
    """The sandbox's spend from the 1st of last month through yesterday."""
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = today - timedelta(days=1)
    by_day: dict[date, dict[GroupKey, tuple[Decimal, Decimal]]] = defaultdict(dict)
    for row in spend_rows(start, last):
        day = date.fromisoformat(row["ChargePeriodStart"][:10])
        key = (row["ServiceName"], row["SubAccountId"])
        billed, effective = by_day[day].get(key, (Decimal(0), Decimal(0)))
        by_day[day][key] = (
            billed + Decimal(row["BilledCost"]),
            effective + Decimal(row["EffectiveCost"]),
        )
    days = tuple(DaySpend(day, dict(groups)) for day, groups in sorted(by_day.items()))
    return AwsSeed(start, today, days)


def _amount(value: Decimal) -> dict[str, str]:
    return {"Amount": f"{value:f}", "Unit": CURRENCY}


def cost_and_usage_response(
    days: Sequence[DaySpend], metrics: Sequence[str], *, newest_estimated: bool
) -> dict[str, Any]:
    """A `GetCostAndUsage` answer, DAILY, grouped by SERVICE and LINKED_ACCOUNT."""
    results = []
    for index, spend in enumerate(days):
        estimated = newest_estimated and index == len(days) - 1
        shown = spend.as_estimated() if estimated else spend
        groups = [
            {
                "Keys": [service, account],
                "Metrics": {
                    metric: _amount(effective if metric == EFFECTIVE_METRIC else billed)
                    for metric in metrics
                },
            }
            for (service, account), (billed, effective) in sorted(shown.groups.items())
        ]
        period = {"Start": str(spend.day), "End": str(spend.day + timedelta(days=1))}
        results.append(
            {"TimePeriod": period, "Total": {}, "Groups": groups, "Estimated": estimated}
        )
    return {
        "GroupDefinitions": [
            {"Type": "DIMENSION", "Key": "SERVICE"},
            {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
        ],
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
    }


def sandbox_session() -> Any:
    return boto3.Session(
        aws_access_key_id=SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=SANDBOX_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=SANDBOX_CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def _queue(url: str, response: dict[str, Any]) -> None:
    reply = httpx.post(
        f"{url}/moto-api/static/ce/cost-and-usage-results", json={"results": [response]}
    )
    reply.raise_for_status()


def seed_cost_explorer(url: str, seed: AwsSeed) -> None:
    """Queue the window (newest day estimated) and the newest day's final answer, bound to
    the requests the ingest sends, for each metric finance.yaml may configure."""
    ce = client(sandbox_session(), "ce", endpoint_url=url)
    for billed_metric in BILLED_METRICS:
        metrics = sorted({billed_metric, EFFECTIVE_METRIC})
        connector = CostExplorerConnector(ce, billed_metric=billed_metric)
        _queue(url, cost_and_usage_response(seed.days, metrics, newest_estimated=True))
        connector.fetch(seed.start, seed.end)
        _queue(url, cost_and_usage_response([seed.newest], metrics, newest_estimated=False))
        connector.fetch(seed.newest.day, seed.end)


def billing_datapoints(seed: AwsSeed) -> list[dict[str, Any]]:
    """EstimatedCharges points: month-to-date, per series, every 6 hours, reset on the 1st."""
    points: list[dict[str, Any]] = []
    cumulative: dict[BillingSeries, Decimal] = defaultdict(Decimal)
    for spend in seed.days:
        if spend.day.day == 1:
            cumulative.clear()
        today: dict[BillingSeries, Decimal] = defaultdict(Decimal)
        for (service, account), (billed, _) in spend.groups.items():
            today[BillingSeries(CURRENCY, service, account)] += billed
            today[BillingSeries(CURRENCY)] += billed
        midnight = datetime(spend.day.year, spend.day.month, spend.day.day, tzinfo=UTC)
        for step in range(1, BILLING_POINTS_PER_DAY + 1):
            fraction = Decimal(step) / BILLING_POINTS_PER_DAY
            when = midnight + timedelta(hours=24 * step // BILLING_POINTS_PER_DAY)
            for series, amount in today.items():
                value = (cumulative[series] + amount * fraction).quantize(CENT)
                points.append(_datum(series, when, value))
        for series, amount in today.items():
            cumulative[series] += amount
    return points


def _datum(series: BillingSeries, when: datetime, value: Decimal) -> dict[str, Any]:
    return {
        "MetricName": METRIC,
        "Dimensions": series.dimensions(),
        "Timestamp": when,
        # CloudWatch only takes doubles; cents survive the round trip.
        "Value": float(value),
        "Unit": "None",
    }


def seed_billing_metrics(url: str, seed: AwsSeed) -> int:
    cloudwatch = client(sandbox_session(), "cloudwatch", endpoint_url=url)
    points = billing_datapoints(seed)
    for offset in range(0, len(points), _PUT_BATCH):
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE, MetricData=points[offset : offset + _PUT_BATCH]
        )
    return len(points)


@dataclass(frozen=True, slots=True)
class RunningAwsSandbox:
    url: str
    seed: AwsSeed | None

    @property
    def environment(self) -> dict[str, str]:
        """What to export so that boto3 (and so `brctl finance ...`) talks to the sandbox."""
        return {**SANDBOX_CREDENTIALS, "AWS_ENDPOINT_URL": self.url}


def _check_port_free(host: str, port: int) -> None:
    """moto's server binds inside its thread and never signals a failure: check first."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UnavailableError(
                f"the AWS sandbox cannot listen on {host}:{port}: {exc.strerror}",
                hint="pick another port with --port, or stop what is using it",
            ) from exc


@contextmanager
def running_aws_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    seed: bool = True,
    clock: Clock = SYSTEM_CLOCK,
    log_requests: bool = False,
) -> Iterator[RunningAwsSandbox]:
    """moto's server on `host:port` (0: a free port), seeded unless `seed` is False."""
    _check_port_free(host, port)
    # moto's server logs every request through werkzeug's logger, whatever `verbose` says.
    logging.getLogger("werkzeug").setLevel(logging.INFO if log_requests else logging.WARNING)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    url = f"http://{bound_host}:{bound_port}"
    try:
        seeded = None
        if seed:
            seeded = seeded_spend(clock.now().astimezone(UTC).date())
            seed_cost_explorer(url, seeded)
            seed_billing_metrics(url, seeded)
        yield RunningAwsSandbox(url, seeded)
    finally:
        # moto keeps its state per process, not per server: leave nothing for the next one.
        httpx.post(f"{url}/moto-api/reset")
        server.stop()
