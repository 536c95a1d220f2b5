"""Row validation in SQL, run over canonical columns right after a file is loaded, and the slow
path that finds *which* rows failed (only taken when something did)."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finance_pack.domain.costs import COST_SCALE
from finance_pack.domain.currencies import ISO_4217_CODES


@dataclass(frozen=True, slots=True)
class Check:
    column: str
    condition: str  # true when the row is bad
    reason: str


_NOT_AN_AMOUNT = (
    f"empty, not a number, NaN, infinite or more than {COST_SCALE} decimal places "
    "(the store keeps 12; a cast would round silently)"
)
_TEXT_COLUMNS = (
    "ProviderName",
    "BillingAccountId",
    "SubAccountId",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "ChargeCategory",
    "Tags",
)
_CURRENCIES = ", ".join(f"'{code}'" for code in sorted(ISO_4217_CODES))

CHECKS: tuple[Check, ...] = (
    Check("ChargePeriodStart", '"ChargePeriodStart" IS NULL', "empty or not a timestamp"),
    Check("ChargePeriodEnd", '"ChargePeriodEnd" IS NULL', "empty or not a timestamp"),
    Check("BilledCost", '"BilledCost" IS NULL', _NOT_AN_AMOUNT),
    Check("EffectiveCost", '"EffectiveCost" IS NULL', _NOT_AN_AMOUNT),
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
    # A NUL byte passes through DuckDB but truncates the value in C-based tools downstream.
    *(
        Check(column, f'contains("{column}", chr(0))', "contains a NUL byte")
        for column in _TEXT_COLUMNS
    ),
)


def any_bad_sql(checks: Sequence[Check]) -> str:
    return " OR ".join(f"coalesce(({check.condition}), false)" for check in checks)


# Every check but the currency list, which is cheaper checked once per distinct value.
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
        return f"{self.location()}: {self.what()}"

    def what(self) -> str:
        """`column X: reason`, or the reason alone for a problem of the whole row."""
        return f"column {self.column}: {self.reason}" if self.column else self.reason


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


_FIELD_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_LAYOUT_ERRORS = {"MISSING COLUMNS", "TOO MANY COLUMNS"}


def reader_rejects(con: Any, rejects_table: str, file: Path) -> list[RowProblem]:
    """Values DuckDB's CSV reader could not parse, one problem per line: a row with the wrong
    number of fields is one problem (DuckDB lists each missing column of a short row)."""
    rows = con.execute(
        f"""SELECT line, column_name, error_type, error_message, csv_line
            FROM {rejects_table} ORDER BY line, column_idx"""
    ).fetchall()
    by_line: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_line.setdefault(int(row[0]), []).append(row)
    return [_line_problem(file, line, found) for line, found in by_line.items()]


def _line_problem(file: Path, line: int, rows: list[tuple[Any, ...]]) -> RowProblem:
    layout = [r for r in rows if str(r[2]) in _LAYOUT_ERRORS]
    if layout:
        counts = [_FIELD_COUNT.search(str(r[3])) for r in layout]
        expected = next((int(m.group(1)) for m in counts if m), None)
        found = [int(m.group(2)) for m in counts if m]
        # A short row is reported at each missing column (the first says how many it has);
        # a long one at each extra field (the last says how many).
        actual = min(found) if str(layout[0][2]) == "MISSING COLUMNS" else max(found)
        reason = f"expected {expected} fields, found {actual}"
        return RowProblem(file, line, "", reason, str(layout[0][4]))
    _, column, _, message, text = rows[0]
    return RowProblem(file, line, str(column or "?"), _short(message), text)


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
    checks: Sequence[Check] = CHECKS,
) -> list[RowProblem]:
    """Re-read the file single-threaded (so row order is file order) and name the bad rows.

    `select_sql` yields canonical columns; `skipped_lines` are lines the reader rejected, which
    do not appear among the rows and so shift later line numbers.
    """
    flags = ", ".join(f"coalesce(({c.condition}), false) AS c{i}" for i, c in enumerate(checks))
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
                ) WHERE {any_bad_sql(checks)} ORDER BY rn {limit_sql}"""
        ).fetchall()
    finally:
        con.execute(f"SET threads = {int(threads)}")
        con.execute(f"SET preserve_insertion_order = {'true' if ordered else 'false'}")
    problems = []
    for rn, *failed in rows:
        line = _line_of_row(int(rn), header_lines, skipped_lines)
        check = checks[failed.index(True)]
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
