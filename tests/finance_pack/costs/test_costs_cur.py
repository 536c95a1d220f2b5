from __future__ import annotations

import csv
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import MAY, Row, write_focus_csv

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.store import CostStore
from finance_pack.domain.costs import LEGACY_CUR_NAMES, CurColumn, amortised_cost
from finance_pack.errors import ValidationError

# (line item type, unblended, savings plan effective, reservation effective)
LINES = [
    ("Usage", "10.50", "", ""),
    ("SavingsPlanCoveredUsage", "4.00", "2.75", ""),
    ("SavingsPlanNegation", "-4.00", "", ""),
    ("SavingsPlanRecurringFee", "30.00", "", ""),
    ("DiscountedUsage", "6.00", "", "3.10"),
    ("RIFee", "12.00", "", ""),
    ("Tax", "1.20", "", ""),
    ("Credit", "-2.00", "", ""),
]


def cur_records() -> list[dict[str, str]]:
    records = []
    for index, (kind, unblended, sp, ri) in enumerate(LINES):
        start = MAY + timedelta(hours=index)
        records.append(
            {
                CurColumn.USAGE_START: start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                CurColumn.USAGE_END: (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                CurColumn.UNBLENDED_COST: unblended,
                CurColumn.NET_UNBLENDED_COST: unblended,
                CurColumn.LINE_ITEM_TYPE: kind,
                CurColumn.CURRENCY: "USD",
                CurColumn.USAGE_ACCOUNT: "222233334444",
                CurColumn.PAYER_ACCOUNT: "111122223333",
                CurColumn.SERVICE_CODE: "AmazonEC2" if index % 2 else "",
                CurColumn.PRODUCT_CODE: "AmazonEC2",
                CurColumn.REGION: "us-east-1",
                CurColumn.SP_EFFECTIVE_COST: sp,
                CurColumn.RI_EFFECTIVE_COST: ri,
            }
        )
    return records


def write_cur2(path: Path) -> Path:
    records = cur_records()
    for record in records:
        record[CurColumn.RESOURCE_TAGS] = json.dumps({"user_team": "core"})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[str(k) for k in records[0]])
        writer.writeheader()
        writer.writerows({str(k): v for k, v in r.items()} for r in records)
    return path


def write_legacy_cur(path: Path) -> Path:
    records = cur_records()
    header = [LEGACY_CUR_NAMES[CurColumn(k)] for k in records[0]] + ["resourceTags/user:team"]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record in records:
            writer.writerow([*record.values(), "core"])
    return path


def expected_effective() -> Decimal:
    total = Decimal(0)
    for kind, unblended, sp, ri in LINES:
        amounts = {
            CurColumn.UNBLENDED_COST: Decimal(unblended),
            CurColumn.SP_EFFECTIVE_COST: Decimal(sp) if sp else None,
            CurColumn.RI_EFFECTIVE_COST: Decimal(ri) if ri else None,
        }
        total += amortised_cost(kind, amounts)
    return total


def month_totals(store: CostStore) -> tuple[Decimal, Decimal]:
    row = store.duckdb.execute(
        "SELECT sum(BilledCost), sum(EffectiveCost) FROM cost_daily"
    ).fetchone()
    return row[0], row[1]


@pytest.mark.parametrize("writer", [write_cur2, write_legacy_cur], ids=["cur2", "legacy"])
def test_cur_maps_unblended_to_billed_and_amortises_effective_cost(
    store: CostStore, tmp_path: Path, writer: object
) -> None:
    path = writer(tmp_path / "cur.csv")  # type: ignore[operator]
    ingest_files(store, [str(path)], FileKind.CUR)
    billed = sum((Decimal(u) for _, u, _, _ in LINES), Decimal(0))
    assert month_totals(store) == (billed, expected_effective())
    assert expected_effective() == Decimal("10.50") + Decimal("2.75") + Decimal("3.10") + Decimal(
        "1.20"
    ) - Decimal("2.00")
    rows = store.duckdb.execute(
        "SELECT DISTINCT ProviderName, BillingAccountId, SubAccountId, ServiceName, Tags "
        "FROM cost_line_items"
    ).fetchall()
    assert len(rows) == 1
    assert rows[0][:4] == ("AWS", "111122223333", "222233334444", "AmazonEC2")
    assert "core" in rows[0][4]


def test_focus_and_cur_files_of_the_same_spend_yield_identical_month_totals(
    tmp_path: Path,
) -> None:
    cur_store = CostStore.open(f"duckdb:///{tmp_path / 'cur.duckdb'}")
    ingest_files(cur_store, [str(write_cur2(tmp_path / "cur.csv"))], FileKind.CUR)
    focus_rows = []
    for index, (kind, unblended, sp, ri) in enumerate(LINES):
        amounts = {
            CurColumn.UNBLENDED_COST: Decimal(unblended),
            CurColumn.SP_EFFECTIVE_COST: Decimal(sp) if sp else None,
            CurColumn.RI_EFFECTIVE_COST: Decimal(ri) if ri else None,
        }
        focus_rows.append(
            Row(
                MAY + timedelta(hours=index),
                Decimal(unblended),
                amortised_cost(kind, amounts),
                account="111122223333",
                sub_account="222233334444",
            )
        )
    focus_store = CostStore.open(f"duckdb:///{tmp_path / 'focus.duckdb'}")
    ingest_files(
        focus_store, [str(write_focus_csv(tmp_path / "f.csv", focus_rows))], FileKind.FOCUS
    )
    assert month_totals(cur_store) == month_totals(focus_store)


def test_cur_file_missing_a_required_column_is_named(store: CostStore, tmp_path: Path) -> None:
    path = tmp_path / "cur.csv"
    path.write_text("line_item_usage_start_date,line_item_unblended_cost\n2026-05-01,1\n")
    with pytest.raises(ValidationError, match="line_item_line_item_type"):
        ingest_files(store, [str(path)], FileKind.CUR)
