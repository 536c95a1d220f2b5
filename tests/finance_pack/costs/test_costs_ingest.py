from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import MAY, Row, generate_rows, write_focus_csv, write_focus_parquet

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.store import CostStore
from finance_pack.errors import UsageError, ValidationError

WriteCsv = Callable[..., Path]


def totals(store: CostStore) -> dict[str, Decimal]:
    rows = store.duckdb.execute(
        "SELECT BillingCurrency, sum(BilledCost) FROM cost_line_items GROUP BY 1"
    ).fetchall()
    return {currency: amount for currency, amount in rows}


def rollup_totals(store: CostStore) -> dict[str, Decimal]:
    rows = store.duckdb.execute(
        "SELECT BillingCurrency, sum(BilledCost) FROM cost_daily GROUP BY 1"
    ).fetchall()
    return {currency: amount for currency, amount in rows}


def python_totals(rows: list[Row]) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for row in rows:
        result[row.currency] = result.get(row.currency, Decimal(0)) + row.billed
    return result


def row_count(store: CostStore) -> int:
    return int(store.duckdb.execute("SELECT count(*) FROM cost_line_items").fetchone()[0])


def test_focus_csv_loads_exact_totals_with_null_literals_quotes_and_mixed_timestamps(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = generate_rows(1, 300, MAY)
    report = ingest_files(store, [str(focus_csv(rows))], FileKind.FOCUS)
    assert report.rows == 300
    assert totals(store) == python_totals(rows)
    assert rollup_totals(store) == python_totals(rows)


def test_csv_gz_parquet_and_globs_load_the_same_rows(store: CostStore, tmp_path: Path) -> None:
    rows = generate_rows(2, 200, MAY)
    write_focus_csv(tmp_path / "part-1.csv.gz", rows[:100])
    write_focus_parquet(tmp_path / "part-2.parquet", rows[100:])
    ingest_files(store, [str(tmp_path / "part-1.csv.gz")], FileKind.FOCUS, source="export")
    ingest_files(store, [str(tmp_path / "*.parquet")], FileKind.FOCUS, source="export-2")
    assert totals(store) == python_totals(rows)


def test_timestamps_are_stored_as_utc_whether_or_not_they_end_in_z(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = [Row(MAY + timedelta(hours=5), Decimal("1"), Decimal("1")) for _ in range(3)]
    ingest_files(store, [str(focus_csv(rows))], FileKind.FOCUS)
    starts = store.duckdb.execute("SELECT DISTINCT ChargePeriodStart FROM cost_line_items")
    assert [r[0] for r in starts.fetchall()] == [(MAY + timedelta(hours=5)).replace(tzinfo=None)]


def test_tags_are_kept_as_canonical_json_and_empty_tags_as_an_empty_object(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = [
        Row(MAY, Decimal("1"), Decimal("1"), tags={"team": "core", "cost center": "é 1"}),
        Row(MAY, Decimal("2"), Decimal("2")),
        Row(MAY, Decimal("3"), Decimal("3")),
    ]
    ingest_files(store, [str(focus_csv(rows))], FileKind.FOCUS)
    tags = store.duckdb.execute("SELECT Tags FROM cost_line_items ORDER BY BilledCost").fetchall()
    assert [t[0] for t in tags] == ['{"team":"core","cost center":"é 1"}', "{}", "{}"]


def test_missing_required_column_is_named_and_nothing_is_written(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    from cost_files import FOCUS_HEADER

    header = [h for h in FOCUS_HEADER if h != "BillingCurrency"]
    path = focus_csv([Row(MAY, Decimal(1), Decimal(1))], header=header)
    with pytest.raises(ValidationError, match=r"missing required column.*BillingCurrency"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
    assert row_count(store) == 0


def _corrupt(path: Path, line: int, column: str, value: str) -> None:
    import csv

    with path.open(newline="") as handle:
        records = list(csv.reader(handle))
    records[line - 1][records[0].index(column)] = value
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(records)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("BilledCost", "12,5x", "BilledCost"),
        ("BilledCost", "NaN", "BilledCost"),
        ("EffectiveCost", "Infinity", "EffectiveCost"),
        ("ChargePeriodStart", "yesterday", "ChargePeriodStart"),
        ("BillingCurrency", "DOLLARS", "not an ISO 4217"),
        ("Tags", "[1, 2]", "not a JSON object"),
    ],
)
def test_bad_value_is_reported_with_file_line_and_column_and_nothing_is_written(
    store: CostStore, focus_csv: WriteCsv, column: str, value: str, reason: str
) -> None:
    ingest_files(store, [str(focus_csv(generate_rows(3, 5, MAY), name="ok.csv"))], FileKind.FOCUS)
    before = totals(store)
    path = focus_csv(generate_rows(4, 10, MAY), name="bad.csv")
    _corrupt(path, 7, column, value)
    with pytest.raises(ValidationError) as caught:
        ingest_files(store, [str(path)], FileKind.FOCUS, source="AWS/100000000001")
    assert f"{path}:7" in str(caught.value)
    assert column in str(caught.value) and reason in str(caught.value)
    assert totals(store) == before


def test_period_ending_before_it_starts_is_rejected_with_its_line(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = [Row(MAY, Decimal(1), Decimal(1)), Row(MAY, Decimal(2), Decimal(2), hours=-1)]
    path = focus_csv(rows)
    with pytest.raises(ValidationError, match=rf"{path}:3: column ChargePeriodEnd: .*ends before"):
        ingest_files(store, [str(path)], FileKind.FOCUS)


def test_skip_bad_rows_loads_the_rest_and_writes_a_rejects_file(
    store: CostStore, focus_csv: WriteCsv, tmp_path: Path
) -> None:
    rows = generate_rows(5, 10, MAY)
    path = focus_csv(rows)
    _corrupt(path, 3, "BilledCost", "oops")
    _corrupt(path, 6, "ChargePeriodEnd", "2001-01-01T00:00:00Z")
    rejects = tmp_path / "rejects.csv"
    report = ingest_files(
        store, [str(path)], FileKind.FOCUS, skip_bad_rows=True, rejects_path=rejects
    )
    kept = [r for i, r in enumerate(rows) if i + 2 not in (3, 6)]
    assert report.rows == 8
    assert totals(store) == python_totals(kept)
    import csv

    records = list(csv.reader(rejects.open(newline="")))
    assert records[0] == ["file", "line", "column", "reason", "text"]
    assert [record[1:3] for record in records[1:]] == [
        ["3", "BilledCost"],
        ["6", "ChargePeriodEnd"],
    ]


def test_mixed_currencies_are_kept_per_row_and_negative_costs_are_valid(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = [
        Row(MAY, Decimal("10.5"), Decimal("10"), currency="USD"),
        Row(MAY, Decimal("-3.25"), Decimal("-3.25"), currency="USD", category="Credit"),
        Row(MAY, Decimal("7"), Decimal("7"), currency="EUR"),
    ]
    ingest_files(store, [str(focus_csv(rows))], FileKind.FOCUS)
    assert totals(store) == {"USD": Decimal("7.25"), "EUR": Decimal("7")}


def test_truncated_gzip_is_a_clear_error(store: CostStore, tmp_path: Path) -> None:
    path = write_focus_csv(tmp_path / "big.csv.gz", generate_rows(6, 3000, MAY))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValidationError, match=r"big\.csv\.gz.*cannot read the file"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
    assert row_count(store) == 0


def test_empty_file_is_a_clear_error(store: CostStore, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ValidationError, match=r"empty\.csv: the file is empty"):
        ingest_files(store, [str(path)], FileKind.FOCUS)


def test_a_glob_matching_nothing_is_a_usage_error(store: CostStore, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no file matches"):
        ingest_files(store, [str(tmp_path / "*.csv")], FileKind.FOCUS)


def test_ingesting_the_same_period_twice_leaves_totals_unchanged(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    rows = generate_rows(7, 100, MAY)
    path = focus_csv(rows)
    ingest_files(store, [str(path)], FileKind.FOCUS)
    ingest_files(store, [str(path)], FileKind.FOCUS)
    assert totals(store) == python_totals(rows)
    assert rollup_totals(store) == python_totals(rows)


def test_restated_period_replaces_only_that_source_and_month(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    june = MAY.replace(month=6)
    may_rows = [Row(MAY, Decimal("100"), Decimal("100"))]
    june_rows = [Row(june, Decimal("50"), Decimal("50"))]
    other_account = [Row(MAY, Decimal("7"), Decimal("7"), account="999")]
    ingest_files(
        store, [str(focus_csv(may_rows + june_rows + other_account, "v1.csv"))], FileKind.FOCUS
    )
    restated = [Row(MAY, Decimal("80"), Decimal("80")), Row(MAY, Decimal("1"), Decimal("1"))]
    ingest_files(store, [str(focus_csv(restated, "v2.csv"))], FileKind.FOCUS)
    assert totals(store) == {"USD": Decimal("138")}
    assert rollup_totals(store) == {"USD": Decimal("138")}


def test_a_failed_restatement_keeps_the_previous_data(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    ingest_files(
        store, [str(focus_csv([Row(MAY, Decimal("5"), Decimal("5"))], "v1.csv"))], FileKind.FOCUS
    )
    good = focus_csv([Row(MAY, Decimal("6"), Decimal("6"))], "v2.csv")
    bad = focus_csv([Row(MAY, Decimal("6"), Decimal("6"))], "v3.csv")
    _corrupt(bad, 2, "BilledCost", "x")
    with pytest.raises(ValidationError):
        ingest_files(store, [str(good), str(bad)], FileKind.FOCUS)
    assert totals(store) == {"USD": Decimal("5")}


def test_progress_reports_rows_of_each_file(store: CostStore, focus_csv: WriteCsv) -> None:
    seen = []
    paths = [str(focus_csv(generate_rows(s, 20, MAY), f"f{s}.csv")) for s in (1, 2)]
    ingest_files(store, paths, FileKind.FOCUS, source="x", on_progress=seen.append)
    assert [p.rows_done for p in seen if p.bytes_done == p.bytes_total][-1] == 40


def test_header_only_file_loads_nothing_without_error(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    report = ingest_files(store, [str(focus_csv([]))], FileKind.FOCUS)
    assert report.rows == 0


def test_gzip_helper_really_writes_gzip(tmp_path: Path) -> None:
    path = write_focus_csv(tmp_path / "x.csv.gz", generate_rows(1, 2, MAY))
    assert gzip.decompress(path.read_bytes()).startswith(b'"BilledCost"')


def test_one_day_split_across_files_of_a_load_is_one_rollup_row(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    first = focus_csv([Row(MAY, Decimal("1.25"), Decimal("1"))], "a.csv")
    second = focus_csv([Row(MAY + timedelta(hours=1), Decimal("2.5"), Decimal("2"))], "b.csv")
    ingest_files(store, [str(first), str(second)], FileKind.FOCUS)
    rollup = store.duckdb.execute("SELECT BilledCost, row_count FROM cost_daily").fetchall()
    assert rollup == [(Decimal("3.75"), 2)]


def test_a_failed_load_leaves_nothing_staged_for_the_next_one(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    bad = focus_csv([Row(MAY, Decimal("6"), Decimal("6"))], "bad.csv")
    _corrupt(bad, 2, "ChargePeriodEnd", "2026-04-01T00:00:00Z")
    with pytest.raises(ValidationError):
        ingest_files(store, [str(bad)], FileKind.FOCUS)
    ingest_files(
        store, [str(focus_csv([Row(MAY, Decimal("5"), Decimal("5"))], "ok.csv"))], FileKind.FOCUS
    )
    assert rollup_totals(store) == {"USD": Decimal("5")}


def test_an_infinite_charge_period_is_a_bad_row_with_its_line(
    store: CostStore, focus_csv: WriteCsv
) -> None:
    path = focus_csv([Row(MAY, Decimal("1"), Decimal("1")), Row(MAY, Decimal("2"), Decimal("2"))])
    _corrupt(path, 3, "ChargePeriodEnd", "infinity")
    with pytest.raises(ValidationError, match=rf"{path}:3: column ChargePeriodEnd: empty or not"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
    assert row_count(store) == 0


def test_parquet_tags_are_normalised_per_value_and_a_non_object_is_a_bad_row(
    store: CostStore, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    rows = [Row(MAY + timedelta(hours=h), Decimal(h + 1), Decimal(1)) for h in range(5)]
    path = write_focus_parquet(tmp_path / "tags.parquet", rows)
    table = pq.read_table(path)
    texts = ['{"team": "data"}', None, " ", '{"team": "data"}', '{"env":"prod" , "team":"x"}']
    pq.write_table(table.set_column(table.schema.get_field_index("Tags"), "Tags", [texts]), path)
    ingest_files(store, [str(path)], FileKind.FOCUS)
    stored = store.duckdb.execute("SELECT Tags FROM cost_line_items ORDER BY BilledCost").fetchall()
    assert [t for (t,) in stored] == [
        '{"team":"data"}',
        "{}",
        "{}",
        '{"team":"data"}',
        '{"env":"prod","team":"x"}',
    ]
    texts[2] = '["not", "an object"]'
    pq.write_table(table.set_column(table.schema.get_field_index("Tags"), "Tags", [texts]), path)
    with pytest.raises(ValidationError, match=rf"{path}:3: column Tags: Tags is not a JSON"):
        ingest_files(store, [str(path)], FileKind.FOCUS)
