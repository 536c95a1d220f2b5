"""Cost test data written with the habits of real FOCUS exports (NOTES.md): empty values as an
empty field or the literal NULL, quoted numbers, tags as a JSON object, hourly periods,
timestamps with and without `Z`, several providers in one file."""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FOCUS_HEADER = [
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "ChargeCategory",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "EffectiveCost",
    "ProviderName",
    "RegionId",
    "ServiceCategory",
    "ServiceName",
    "SubAccountId",
    "Tags",
    "ChargeDescription",
]


@dataclass(frozen=True)
class Row:
    start: datetime
    billed: Decimal
    effective: Decimal
    currency: str = "USD"
    provider: str = "AWS"
    account: str = "100000000001"
    sub_account: str | None = "200000000001"
    service: str = "AmazonEC2"
    region: str | None = "us-east-1"
    category: str = "Usage"
    tags: dict[str, str] = field(default_factory=dict)
    hours: int = 1

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)


def _stamp(moment: datetime, with_z: bool) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if with_z else "%Y-%m-%d %H:%M:%S")


def focus_cells(row: Row, index: int) -> dict[str, str]:
    """One CSV record; alternates the empty-value and timestamp spellings row by row."""
    empty = "NULL" if index % 2 else ""
    return {
        "BilledCost": str(row.billed),
        "BillingAccountId": row.account,
        "BillingCurrency": row.currency,
        "ChargeCategory": row.category,
        "ChargePeriodEnd": _stamp(row.end, index % 3 != 0),
        "ChargePeriodStart": _stamp(row.start, index % 3 != 0),
        "EffectiveCost": str(row.effective),
        "ProviderName": row.provider,
        "RegionId": row.region or empty,
        "ServiceCategory": "Compute" if row.service.endswith("EC2") else empty,
        "ServiceName": row.service,
        "SubAccountId": row.sub_account or empty,
        "Tags": json.dumps(row.tags) if row.tags else empty,
        "ChargeDescription": f"line {index}, with a comma",
    }


def write_focus_csv(
    path: Path, rows: Sequence[Row], *, header: Sequence[str] = FOCUS_HEADER
) -> Path:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:  # type: ignore[operator]
        writer = csv.DictWriter(
            handle, fieldnames=list(header), quoting=csv.QUOTE_NONNUMERIC, extrasaction="ignore"
        )
        writer.writeheader()
        for index, row in enumerate(rows):
            writer.writerow(focus_cells(row, index))
    return path


def write_focus_parquet(path: Path, rows: Sequence[Row]) -> Path:
    cost = pa.decimal128(38, 12)
    table = pa.table(
        {
            "ChargePeriodStart": pa.array([r.start for r in rows], pa.timestamp("us", "UTC")),
            "ChargePeriodEnd": pa.array([r.end for r in rows], pa.timestamp("us", "UTC")),
            "BilledCost": pa.array([r.billed for r in rows], cost),
            "EffectiveCost": pa.array([r.effective for r in rows], cost),
            "BillingCurrency": [r.currency for r in rows],
            "ProviderName": [r.provider for r in rows],
            "BillingAccountId": [r.account for r in rows],
            "SubAccountId": [r.sub_account for r in rows],
            "ServiceName": [r.service for r in rows],
            "RegionId": [r.region for r in rows],
            "ChargeCategory": [r.category for r in rows],
            "Tags": [json.dumps(r.tags) if r.tags else None for r in rows],
        }
    )
    pq.write_table(table, path)
    return path


def generate_rows(seed: int, count: int, month: datetime) -> list[Row]:
    rng = random.Random(seed)
    services = ["AmazonEC2", "AmazonS3", "AmazonRDS", "Virtual Machines", "Compute Engine"]
    providers = {
        "AmazonEC2": "AWS",
        "AmazonS3": "AWS",
        "AmazonRDS": "AWS",
        "Virtual Machines": "Microsoft",
        "Compute Engine": "Google Cloud",
    }
    rows = []
    for _ in range(count):
        service = rng.choice(services)
        billed = Decimal(rng.randint(-500, 100_000)).scaleb(-rng.choice([2, 4, 6, 10]))
        tags = {"team": rng.choice(["core", "data", "web"])}
        if rng.random() < 0.5:
            tags["env"] = rng.choice(["prod", "dev"])
        rows.append(
            Row(
                start=month + timedelta(hours=rng.randrange(0, 24 * 28)),
                billed=billed,
                effective=billed * Decimal("0.9"),
                currency="EUR" if service == "Virtual Machines" else "USD",
                provider=providers[service],
                account=rng.choice(["100000000001", "100000000002"]),
                sub_account=rng.choice(["200000000001", "200000000002", None]),
                service=service,
                region=rng.choice(["us-east-1", "eu-west-1", None]),
                tags=tags,
            )
        )
    return rows


MAY = datetime(2026, 5, 1, tzinfo=UTC)
