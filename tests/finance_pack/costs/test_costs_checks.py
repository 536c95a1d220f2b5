"""The row checks of an ingest, on DuckDB directly: which row, which line, which reason."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from finance_pack.costs.checks import (
    Check,
    LoadSummary,
    RowProblem,
    any_bad_sql,
    load_summary,
    locate_bad_rows,
    reader_rejects,
    write_rejects,
)

FILE = Path("focus.csv")
GOOD = (
    "TIMESTAMP '2026-05-01 00:00:00'",  # ChargePeriodStart
    "TIMESTAMP '2026-05-02 00:00:00'",  # ChargePeriodEnd
    "12.5",  # BilledCost
    "12.5",  # EffectiveCost
    "'USD'",  # BillingCurrency
    "'AWS'",  # ProviderName
    "'111'",  # BillingAccountId
    "'222'",  # SubAccountId
    "'EC2'",  # ServiceName
    "'Compute'",  # ServiceCategory
    "'eu-west-1'",  # RegionId
    "'Usage'",  # ChargeCategory
    "'{}'",  # Tags
)
COLUMNS = (
    "ChargePeriodStart, ChargePeriodEnd, BilledCost, EffectiveCost, BillingCurrency, "
    "ProviderName, BillingAccountId, SubAccountId, ServiceName, ServiceCategory, RegionId, "
    "ChargeCategory, Tags"
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _rows(con: duckdb.DuckDBPyConnection, changes: list[dict[int, str]]) -> str:
    """A table of canonical rows, each GOOD with `changes` (column index -> SQL value)."""
    values = ", ".join(
        "(" + ", ".join(change.get(i, value) for i, value in enumerate(GOOD)) + ")"
        for change in changes
    )
    con.execute(f"CREATE TABLE canonical AS SELECT * FROM (VALUES {values}) AS t({COLUMNS})")
    return "SELECT * FROM canonical"


def test_each_bad_row_is_named_by_its_line_and_first_failing_check(
    con: duckdb.DuckDBPyConnection,
) -> None:
    select_sql = _rows(
        con,
        [
            {},
            {5: "NULL::VARCHAR"},  # ProviderName
            {},
            {
                1: "TIMESTAMP '2026-04-30 00:00:00'",
                8: "NULL::VARCHAR",
            },  # ends before it starts; no service
            {4: "'XYZ'"},
            {8: "'EC' || chr(0)"},
        ],
    )
    problems = locate_bad_rows(con, select_sql, FILE, header_lines=1)
    assert [(p.line, p.column, p.reason) for p in problems] == [
        (3, "ProviderName", "empty"),
        (5, "ServiceName", "empty"),
        (6, "BillingCurrency", "not an ISO 4217 currency code"),
        (7, "ServiceName", "contains a NUL byte"),
    ]
    assert {p.file for p in problems} == {FILE}


def test_lines_skip_the_header_and_the_lines_the_reader_rejected(
    con: duckdb.DuckDBPyConnection,
) -> None:
    select_sql = _rows(con, [{5: "NULL::VARCHAR"}, {}, {5: "NULL::VARCHAR"}])
    # Lines 3 and 5 were rejected by the reader: rows 1 and 3 are on lines 2 and 6.
    problems = locate_bad_rows(con, select_sql, FILE, header_lines=1, skipped_lines=[5, 3])
    assert [p.line for p in problems] == [2, 6]
    parquet = locate_bad_rows(con, select_sql, FILE, header_lines=0)
    assert [p.line for p in parquet] == [1, 3]


def test_the_bad_rows_listed_are_limited_in_file_order(con: duckdb.DuckDBPyConnection) -> None:
    select_sql = _rows(con, [{5: "NULL::VARCHAR"}] * 4)
    assert [p.line for p in locate_bad_rows(con, select_sql, FILE, header_lines=1, limit=2)] == [
        2,
        3,
    ]
    everything = locate_bad_rows(con, select_sql, FILE, header_lines=1, limit=None)
    assert [p.line for p in everything] == [2, 3, 4, 5]


def test_the_connection_settings_are_put_back(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET threads = 3")
    con.execute("SET preserve_insertion_order = false")
    locate_bad_rows(con, _rows(con, [{5: "NULL::VARCHAR"}]), FILE, header_lines=1)
    settings = con.execute(
        "SELECT current_setting('threads'), current_setting('preserve_insertion_order')"
    ).fetchone()
    assert settings == (3, False)


def test_custom_checks_are_combined_with_or_and_a_null_is_not_bad() -> None:
    checks = [Check("a", "a > 1", "big"), Check("b", "b IS NULL", "empty")]
    assert any_bad_sql(checks) == ("coalesce((a > 1), false) OR coalesce((b IS NULL), false)")
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (NULL, 1), (2, 1), (0, NULL)) AS t(a, b)")
    problems = locate_bad_rows(con, "SELECT * FROM t", FILE, header_lines=0, checks=checks)
    assert [(p.line, p.column, p.reason) for p in problems] == [(2, "a", "big"), (3, "b", "empty")]


def _rejects(con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str) -> list[RowProblem]:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    con.execute(
        f"""SELECT * FROM read_csv('{path}', auto_detect=false, header=true, delim=',',
            columns={{'a': 'INTEGER', 'b': 'INTEGER', 'c': 'INTEGER', 'd': 'INTEGER'}},
            store_rejects=true, rejects_table='rj', rejects_scan='rj_scan')"""
    ).fetchall()
    return reader_rejects(con, "rj", FILE)


def test_a_short_or_long_row_is_one_problem_with_its_field_count(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    problems = _rejects(con, tmp_path, "a,b,c,d\n1,2,3,4\n4,5\n6,7,8,9,10,11\nx,8,9,1\n")
    assert problems == [
        RowProblem(FILE, 3, "", "expected 4 fields, found 2", "4,5"),
        RowProblem(FILE, 4, "", "expected 4 fields, found 6", "6,7,8,9,10,11"),
        RowProblem(
            FILE,
            5,
            "a",
            'Error when converting column "a". Could not convert string "x" to \'INTEGER\'',
            "x,8,9,1",
        ),
    ]


def test_a_file_the_reader_took_whole_has_no_rejects(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    assert _rejects(con, tmp_path, "a,b,c,d\n1,2,3,4\n") == []


def test_a_reject_message_is_cut_to_its_first_line_and_a_missing_column_named() -> None:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE rj AS SELECT * FROM (VALUES
            (7, 2, NULL, 'CAST', '  bad value\n  more detail', 'q,r')
        ) AS t(line, column_idx, column_name, error_type, error_message, csv_line)"""
    )
    assert reader_rejects(con, "rj", FILE) == [RowProblem(FILE, 7, "?", "bad value", "q,r")]


@pytest.mark.parametrize(
    ("row", "summary"),
    [
        (None, LoadSummary(0, 0, "")),
        ((0, None, None, None), LoadSummary(0, 0, "")),
        ((10, 0, ["USD", "EUR"], "2026-05"), LoadSummary(10, 0, "2026-05")),
        ((10, 0, ["USD", "XYZ"], "2026-05"), LoadSummary(10, 1, "2026-05")),
        ((10, 0, ["USD", None], "2026-05,2026-06"), LoadSummary(10, 1, "2026-05,2026-06")),
        ((10, 3, ["XYZ"], "2026-05"), LoadSummary(10, 3, "2026-05")),
    ],
)
def test_a_wrong_currency_counts_as_at_least_one_bad_row(
    row: tuple[object, ...] | None, summary: LoadSummary
) -> None:
    assert load_summary(row) == summary


def test_a_problem_reads_as_file_line_column_and_reason() -> None:
    assert RowProblem(FILE, 4, "BilledCost", "not a number").describe() == (
        "focus.csv:4: column BilledCost: not a number"
    )
    assert RowProblem(FILE, None, "", "expected 4 fields, found 2").describe() == (
        "focus.csv: expected 4 fields, found 2"
    )
    assert RowProblem(FILE, 0, "Tags", "x").location() == "focus.csv:0"


def test_rejects_are_written_as_csv_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "out" / "rejects.csv"
    write_rejects(
        path,
        [
            RowProblem(FILE, 3, "", "expected 4 fields, found 2", "4,5"),
            RowProblem(FILE, 5, "ServiceName", "empty"),
        ],
    )
    with path.open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["file", "line", "column", "reason", "text"],
            ["focus.csv", "3", "", "expected 4 fields, found 2", "4,5"],
            ["focus.csv", "5", "ServiceName", "empty", ""],
        ]
