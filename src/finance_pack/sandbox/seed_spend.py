"""Realistic seeded spend for the sandbox: a small AWS organisation's FOCUS export.

Daily rows per account, service and region, with what real bills show: weekday/weekend
patterns, growth, a support fee and reserved-instance fees on the 1st, the odd spike and a
credit. Deterministic for a seed, so the demo tells the same story every run.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from finance_pack.domain.costs import FOCUS_COLUMNS

FOCUS_HEADER = tuple(FOCUS_COLUMNS)
PAYER = "111122223333"


@dataclass(frozen=True)
class Workload:
    account: str
    team: str
    service: str
    category: str
    region: str
    daily: Decimal  # typical weekday spend at the start of the period
    weekend_factor: Decimal
    monthly_growth: Decimal


WORKLOADS = (
    Workload(
        "210000000001",
        "platform",
        "Amazon Elastic Compute Cloud",
        "Compute",
        "us-east-1",
        Decimal("118.40"),
        Decimal("0.62"),
        Decimal("0.05"),
    ),
    Workload(
        "210000000001",
        "platform",
        "Amazon Elastic Kubernetes Service",
        "Compute",
        "us-east-1",
        Decimal("19.20"),
        Decimal("1.0"),
        Decimal("0.0"),
    ),
    Workload(
        "210000000002",
        "data",
        "Amazon Relational Database Service",
        "Databases",
        "eu-west-1",
        Decimal("64.75"),
        Decimal("0.9"),
        Decimal("0.03"),
    ),
    Workload(
        "210000000002",
        "data",
        "Amazon Simple Storage Service",
        "Storage",
        "eu-west-1",
        Decimal("21.30"),
        Decimal("1.0"),
        Decimal("0.06"),
    ),
    Workload(
        "210000000003",
        "web",
        "AWS Lambda",
        "Compute",
        "us-west-2",
        Decimal("9.85"),
        Decimal("0.45"),
        Decimal("0.08"),
    ),
    Workload(
        "210000000003",
        "web",
        "Amazon CloudFront",
        "Networking",
        "global",
        Decimal("14.10"),
        Decimal("0.7"),
        Decimal("0.04"),
    ),
)
CENT = Decimal("0.01")


def _row(
    day: date,
    workload: Workload,
    amount: Decimal,
    charge: str,
    tags: dict[str, str],
    effective: Decimal | None = None,
) -> dict[str, str]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return {
        "ChargePeriodStart": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ChargePeriodEnd": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "BilledCost": f"{amount:f}",
        "EffectiveCost": f"{(amount if effective is None else effective):f}",
        "BillingCurrency": "USD",
        "ProviderName": "AWS",
        "BillingAccountId": PAYER,
        "SubAccountId": workload.account,
        "ServiceName": workload.service,
        "ServiceCategory": workload.category,
        "RegionId": workload.region,
        "ChargeCategory": charge,
        "Tags": json.dumps(tags, sort_keys=True),
    }


def _usage(day: date, first: date, workload: Workload, rng: random.Random) -> Decimal:
    months = Decimal((day - first).days) / Decimal(30)
    growth = Decimal(1) + workload.monthly_growth * months
    weekend = workload.weekend_factor if day.weekday() >= 5 else Decimal(1)
    noise = Decimal(str(round(rng.uniform(0.92, 1.08), 4)))
    return (workload.daily * growth * weekend * noise).quantize(CENT, ROUND_HALF_EVEN)


def spend_rows(first: date, last: date, seed: int = 7) -> list[dict[str, str]]:
    """FOCUS rows for every day from `first` to `last` inclusive."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    day = first
    while day <= last:
        for workload in WORKLOADS:
            tags = {"team": workload.team, "env": "prod"}
            amount = _usage(day, first, workload, rng)
            if rng.random() < 0.01:  # a runaway job: three to five times the usual
                amount *= Decimal(rng.choice((3, 4, 5)))
            rows.append(_row(day, workload, amount, "Usage", tags))
        if day.day == 1:
            rows += _monthly_charges(day)
        if day.day == 15 and day.month % 4 == 0:
            credit = WORKLOADS[0]
            rows.append(_row(day, credit, Decimal("-150.00"), "Credit", {"team": credit.team}))
        day += timedelta(days=1)
    return rows


def _monthly_charges(day: date) -> list[dict[str, str]]:
    """What lands on the 1st: the support plan and the reserved instances' upfront fee."""
    support = Workload(
        PAYER,
        "shared",
        "AWS Support (Business)",
        "Management and Governance",
        "global",
        Decimal(0),
        Decimal(1),
        Decimal(0),
    )
    reserved = WORKLOADS[2]
    return [
        _row(day, support, Decimal("400.00"), "Purchase", {"team": "shared"}),
        _row(
            day,
            reserved,
            Decimal("620.00"),
            "Purchase",
            {"team": reserved.team},
            effective=Decimal("0.00"),
        ),
    ]


def write_focus_csv(path: Path, first: date, last: date, seed: int = 7) -> int:
    """Write the export; returns the number of rows."""
    rows = spend_rows(first, last, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FOCUS_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
