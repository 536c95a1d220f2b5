"""Row validation in SQL, run over canonical columns right after a file is loaded, and the slow
path that finds *which* rows failed (only taken when something did)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finance_pack.domain.currencies import ISO_4217_CODES


@dataclass(frozen=True, slots=True)
class Check:
    column: str
    condition: str  # true when the row is bad
    reason: str


_CURRENCIES = ", ".join(f"'{code}'" for code in sorted(ISO_4217_CODES))

CHECKS: tuple[Check, ...] = (
    Check("ChargePeriodStart", '"ChargePeriodStart" IS NULL', "empty or not a timestamp"),
    Check("ChargePeriodEnd", '"ChargePeriodEnd" IS NULL', "empty or not a timestamp"),
    Check("BilledCost", '"BilledCost" IS NULL', "empty, not a number, NaN or infinite"),
    Check("EffectiveCost", '"EffectiveCost" IS NULL', "empty, not a number, NaN or infinite"),
    Check(
        "BillingCurrency",
        f'"BillingCurrency" IS NULL OR "BillingCurrency" NOT IN ({_CURRENCIES})',
        "not an ISO 4217 currency code",
    ),
    Check("ProviderName", '"ProviderName" IS NULL', "empty"),
    Check("BillingAccountId", '"BillingAccountId" IS NULL', "empty"),
    Check("ServiceName", '"ServiceName" IS NULL', "empty"),
    Check(
        "ChargePeriodEnd",
        '"ChargePeriodEnd" < "ChargePeriodStart"',
        "charge period ends before it starts",
    ),
    Check("Tags", '"Tags" IS NULL', "Tags is not a JSON object"),
)

ANY_BAD_SQL = " OR ".join(f"coalesce(({check.condition}), false)" for check in CHECKS)
# The same minus the currency list, which is cheaper checked once per distinct value.
ROW_CHECKS_SQL = " OR ".join(
    f"coalesce(({c.condition}), false)" for c in CHECKS if c.column != "BillingCurrency"
)


@dataclass(frozen=True, slots=True)
class RowProblem:
    file: Path
    line: int | None  # 1-based line in a CSV (header is line 1), row number in Parquet
    column: str
    reason: str
    text: str | None = None

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)

    def describe(self) -> str:
        return f"{self.location()}: column {self.column}: {self.reason}"


@dataclass(frozen=True, slots=True)
class LoadSummary:
    rows: int
    bad_rows: int  # failing any check (a lower bound of 1 when only a currency is wrong)
    periods: str  # billing periods present, "YYYY-MM,YYYY-MM"


def load_summary(row: tuple[Any, ...] | None) -> LoadSummary:
    """From (rows, rows failing ROW_CHECKS_SQL, distinct currencies, periods text)."""
    rows, bad, currencies, periods = row if row else (0, 0, [], "")
    unknown = [c for c in currencies or [] if c is None or c not in ISO_4217_CODES]
    return LoadSummary(int(rows or 0), max(int(bad or 0), 1 if unknown else 0), periods or "")


def reader_rejects(con: Any, rejects_table: str, file: Path) -> list[RowProblem]:
    """Values DuckDB's CSV reader could not parse, with their line and column."""
    rows = con.execute(
        f"SELECT line, column_name, error_message, csv_line FROM {rejects_table} ORDER BY line"
    ).fetchall()
    return [
        RowProblem(file, int(line), str(column or "?"), _short(message), text)
        for line, column, message, text in rows
    ]


def _short(message: str) -> str:
    return str(message).strip().splitlines()[0]


def locate_bad_rows(
    con: Any,
    select_sql: str,
    file: Path,
    *,
    header_lines: int,
    skipped_lines: Sequence[int] = (),
    limit: int | None = 20,
) -> list[RowProblem]:
    """Re-read the file single-threaded (so row order is file order) and name the bad rows.

    `select_sql` yields canonical columns; `skipped_lines` are lines the reader rejected, which
    do not appear among the rows and so shift later line numbers.
    """
    flags = ", ".join(f"coalesce(({c.condition}), false) AS c{i}" for i, c in enumerate(CHECKS))
    limit_sql = f"LIMIT {limit}" if limit is not None else ""
    threads, ordered = con.execute(
        "SELECT current_setting('threads'), current_setting('preserve_insertion_order')"
    ).fetchone()
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = true")
    try:
        rows = con.execute(
            f"""SELECT rn, {flags} FROM (
                    SELECT row_number() OVER () AS rn, * FROM ({select_sql})
                ) WHERE {ANY_BAD_SQL} ORDER BY rn {limit_sql}"""
        ).fetchall()
    finally:
        con.execute(f"SET threads = {int(threads)}")
        con.execute(f"SET preserve_insertion_order = {'true' if ordered else 'false'}")
    problems = []
    for rn, *failed in rows:
        line = _line_of_row(int(rn), header_lines, skipped_lines)
        check = CHECKS[failed.index(True)]
        problems.append(RowProblem(file, line, check.column, check.reason))
    return problems


def _line_of_row(row_number: int, header_lines: int, skipped_lines: Sequence[int]) -> int:
    line = row_number + header_lines
    for skipped in sorted(skipped_lines):
        if skipped <= line:
            line += 1
    return line


def write_rejects(path: Path, problems: Sequence[RowProblem]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "line", "column", "reason", "text"])
        for p in problems:
            writer.writerow([p.file, p.line, p.column, p.reason, p.text or ""])
