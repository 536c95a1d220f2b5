"""Malformed CSV rows and amounts more precise than the store: named with file and line, never
guessed, never rounded silently (issue 9, items 9 and 11)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import FOCUS_HEADER, MAY, Row, write_focus_parquet

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.store import CostStore
from finance_pack.errors import ValidationError

WriteCsv = Callable[..., Path]
HEADER_13 = [h for h in FOCUS_HEADER if h != "ChargeDescription"]


def _rows(count: int) -> list[Row]:
    return [
        Row(MAY + timedelta(hours=i), Decimal("1.25"), Decimal("1.25"), tags={"team": "core"})
        for i in range(count)
    ]


def _edit_record(path: Path, line: int, edit: Callable[[list[str]], list[str]]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    records[line - 1] = edit(records[line - 1])
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(records)


def _count(store: CostStore) -> int:
    return int(store.duckdb.execute("SELECT count(*) FROM cost_line_items").fetchone()[0])


def test_an_extra_field_is_reported_as_file_line_expected_and_found(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    path = focus_csv(_rows(10), header=HEADER_13)
    _edit_record(path, 4, lambda r: [*r, "surplus"])
    with pytest.raises(ValidationError) as caught:
        ingest_files(store, [str(path)], FileKind.FOCUS)
    assert f"{path}:4: expected 13 fields, found 14" in str(caught.value)
    assert "missing required column" not in str(caught.value)
    assert _count(store) == 0


def test_a_short_row_is_reported_and_rejected_once(
    store: CostStore, focus_csv: WriteCsv, tmp_path: Path
) -> None:
    path = focus_csv(_rows(10), header=HEADER_13)
    _edit_record(path, 6, lambda r: r[:10])
    with pytest.raises(ValidationError, match=rf"{path}:6: expected 13 fields, found 10"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
    rejects = tmp_path / "rejects.csv"
    report = ingest_files(
        store, [str(path)], FileKind.FOCUS, skip_bad_rows=True, rejects_path=rejects
    )
    assert report.rows == 9
    assert len(report.rejected) == 1
    records = list(csv.reader(rejects.open(newline="", encoding="utf-8")))
    assert [r[1:4] for r in records[1:]] == [["6", "", "expected 13 fields, found 10"]]


def test_a_latin1_file_says_it_is_not_utf8_with_line_and_byte(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    path = focus_csv(_rows(30))
    _edit_record(path, 20, lambda r: [*r[:-1], "Café"])
    path.write_bytes(path.read_bytes().replace("Café".encode(), "CafÉ".encode("latin-1")))
    with pytest.raises(ValidationError) as caught:
        ingest_files(store, [str(path)], FileKind.FOCUS, skip_bad_rows=True)
    text = str(caught.value)
    assert f"{path}:20" in text and "not UTF-8 at line 20, byte 0xC9" in text
    assert "UTF-8" in (caught.value.hint or "")
    assert _count(store) == 0


def test_a_non_utf8_byte_in_a_gzip_file_is_found_too(store: CostStore, tmp_path: Path) -> None:
    data = b"BilledCost,ServiceName\r\n1,ok\r\n2,caf\xe9\r\n"
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(data))
    with pytest.raises(ValidationError, match=r"not UTF-8 at line 3, byte 0xE9"):
        ingest_files(store, [str(path)], FileKind.FOCUS)


def test_a_nul_byte_in_a_dimension_is_a_bad_row(
    store: CostStore, focus_csv: WriteCsv, tmp_path: Path
) -> None:
    path = focus_csv(_rows(8))
    index = FOCUS_HEADER.index("ServiceName")
    _edit_record(path, 5, lambda r: [*r[:index], "Amazon\x00EC2", *r[index + 1 :]])
    with pytest.raises(ValidationError, match=rf"{path}:5: column ServiceName: .*NUL byte"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
    report = ingest_files(
        store, [str(path)], FileKind.FOCUS, skip_bad_rows=True, rejects_path=tmp_path / "r.csv"
    )
    assert report.rows == 7
    assert [p.line for p in report.rejected] == [5]


@pytest.mark.parametrize("amount", ["1.0000000000001", "0.1234567890123", "1.5e-13"])
def test_a_csv_amount_beyond_12_decimal_places_is_refused_not_rounded(
    store: CostStore, focus_csv: WriteCsv, amount: str
) -> None:
    path = focus_csv(_rows(5))
    index = FOCUS_HEADER.index("BilledCost")
    _edit_record(path, 3, lambda r: [*r[:index], amount, *r[index + 1 :]])
    with pytest.raises(ValidationError, match=rf"{path}:3: column BilledCost: .*12 decimal"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
    assert _count(store) == 0


def test_trailing_zeros_and_exactly_12_places_are_exact_amounts(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    path = focus_csv(_rows(3))
    index = FOCUS_HEADER.index("BilledCost")
    _edit_record(path, 2, lambda r: [*r[:index], "0.123456789012", *r[index + 1 :]])
    _edit_record(path, 3, lambda r: [*r[:index], "2.50000000000000000", *r[index + 1 :]])
    ingest_files(store, [str(path)], FileKind.FOCUS)
    total = store.duckdb.execute("SELECT sum(BilledCost) FROM cost_line_items").fetchone()[0]
    assert total == Decimal("3.873456789012")


def test_a_parquet_decimal_finer_than_the_store_is_refused(
    store: CostStore, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = write_focus_parquet(tmp_path / "fine.parquet", _rows(3))
    table = pq.read_table(path)
    fine = pa.array(
        [Decimal("1.25"), Decimal("1.250000000000000001"), Decimal("1.25")], pa.decimal128(38, 18)
    )
    table = table.set_column(table.schema.get_field_index("BilledCost"), "BilledCost", fine)
    pq.write_table(table, path)
    with pytest.raises(ValidationError, match=rf"{path}:2: column BilledCost: .*12 decimal"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
