"""DuckDB readers for FOCUS and CUR files: which files, which columns, and the SQL that turns a
file into canonical FOCUS columns.

CSV is read with explicit types for the columns we use (everything else stays text, so an odd
value in a column we ignore never rejects a row) and DuckDB's own reject tables, which name the
line and column of each unparseable value. Parquet keeps its own types and is cast with
TRY_CAST; the validation checks (`checks.py`) then catch what did not convert.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from finance_pack.costs.csv_layout import check_utf8, read_header
from finance_pack.domain.costs import (
    COST_SCALE,
    COST_SQL_TYPE,
    FOCUS_COLUMNS,
    LEGACY_CUR_NAMES,
    REQUIRED_FOCUS_COLUMNS,
)
from finance_pack.errors import UsageError, ValidationError

NULL_STRINGS = "['NULL', '']"


class FileFormat(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    format: FileFormat
    columns: dict[str, str]  # name -> DuckDB type as the file presents it

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def file_format(path: Path) -> FileFormat:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return FileFormat.PARQUET
    if name.endswith((".csv", ".csv.gz", ".gz", ".txt")):
        return FileFormat.CSV
    raise UsageError(f"{path}: unknown file type; expected .csv, .csv.gz or .parquet")


def expand_paths(patterns: Iterable[str]) -> list[Path]:
    """Each argument is a path or a glob; every one must match at least one file."""
    found: list[Path] = []
    for pattern in patterns:
        matches = (
            sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [pattern]
        )
        files = [Path(m) for m in matches if Path(m).is_file()]
        if not files:
            raise UsageError(f"no file matches {pattern!r}")
        found.extend(f for f in files if f not in found)
    return found


def inspect_file(con: Any, path: Path) -> InputFile:
    """Read the header (or Parquet schema); refuse empty, truncated and non-UTF-8 files clearly."""
    fmt = file_format(path)
    if path.stat().st_size == 0:
        raise ValidationError("the file is empty (not even a header row)", location=str(path))
    if fmt is FileFormat.CSV:
        check_utf8(path)  # also verifies a gzip stream to its end
        return InputFile(path, fmt, dict.fromkeys(read_header(path), "VARCHAR"))
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_string(str(path))})")
        described = rows.fetchall()
    except Exception as exc:  # duckdb.Error subclasses: corrupt, truncated, not Parquet
        raise ValidationError(
            f"cannot read the file: {_first_line(exc)}", location=str(path)
        ) from exc
    return InputFile(path, fmt, {str(name): str(dtype) for name, dtype, *_ in described})


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def csv_scan_sql(file: InputFile, typed: dict[str, str], rejects: str | None) -> str:
    """read_csv with the header's columns (no dialect sniffing: RFC 4180, comma, double
    quotes), `typed` columns parsed, and rejects stored in `rejects` / `rejects`_scan."""
    columns = ", ".join(
        f"{_sql_string(name)}: {_sql_string(typed.get(name, 'VARCHAR'))}" for name in file.columns
    )
    stored = (
        f", store_rejects=true, rejects_table={_sql_string(rejects)}, "
        f"rejects_scan={_sql_string(rejects + '_scan')}"
        if rejects
        else ""
    )
    return (
        f"read_csv({_sql_string(str(file.path))}, auto_detect=false, header=true, delim=',', "
        f"quote='\"', escape='\"', columns={{{columns}}}, nullstr={NULL_STRINGS}{stored})"
    )


def scan_sql(file: InputFile, typed: dict[str, str], rejects: str | None) -> str:
    if file.format is FileFormat.PARQUET:
        return f"read_parquet({_sql_string(str(file.path))})"
    return csv_scan_sql(file, typed, rejects)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def require_columns(file: InputFile, required: Sequence[str]) -> None:
    missing = [name for name in required if name not in file.columns]
    if missing:
        raise ValidationError(
            f"missing required column(s): {', '.join(missing)}",
            location=str(file.path),
            hint="FOCUS files need " + ", ".join(REQUIRED_FOCUS_COLUMNS),
        )


def tags_sql(expr: str, dtype: str) -> str:
    """Normalise a Tags value to canonical JSON text; NULL marks a value that is no object."""
    if dtype.upper().startswith("MAP"):
        return f"coalesce(CAST(CAST({expr} AS JSON) AS VARCHAR), '{{}}')"
    # Parsed once (DuckDB shares the repeated expression): minified JSON text is an object
    # exactly when it starts with '{'. Checking validity and type apart parsed it three times.
    minified = f"CAST(try(json({expr})) AS VARCHAR)"
    return (
        f"CASE WHEN starts_with({minified}, '{{') THEN {minified} "
        f"WHEN {expr} IS NULL OR trim({expr}) = '' THEN '{{}}' END"
    )


def tags_lookup_wanted(file: InputFile) -> bool:
    """Parquet with text Tags: reading the column alone again is cheap, so normalise each
    distinct value once instead of parsing the JSON of every row."""
    return file.format is FileFormat.PARQUET and file.columns.get("Tags") == "VARCHAR"


def tags_lookup_sql(file: InputFile, table: str) -> str:
    """CREATE a temp table mapping each distinct raw Tags text of `file` to its canonical form."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {table} AS "
        f"SELECT raw, {tags_sql('raw', 'VARCHAR')} AS canonical FROM "
        f'(SELECT DISTINCT "Tags" AS raw FROM {scan_sql(file, {}, None)})'
    )


def cast_sql(expr: str, target: str, source_type: str = "VARCHAR") -> str:
    if target == "TIMESTAMPTZ":
        # Naive UTC through epoch microseconds: a CAST to TIMESTAMP goes through ICU's calendar
        # value by value, ~25x slower (measured). Infinite instants become NULL (bad rows).
        return f"make_timestamp(epoch_us(TRY_CAST({expr} AS TIMESTAMPTZ)))"
    if target == COST_SQL_TYPE:
        return cost_sql(expr, source_type)
    return f"NULLIF(trim(CAST({expr} AS VARCHAR)), '')"


def cost_sql(expr: str, source_type: str = "VARCHAR") -> str:
    """An amount as DECIMAL(38,12), NULL (a bad row) when it is not a number or has more than
    12 decimal places: a cast would round those silently. Floats are approximate by nature
    and kept as their nearest 12-place decimal."""
    exact = f"TRY_CAST({expr} AS {COST_SQL_TYPE})"
    kind = source_type.upper()
    if kind.startswith("DECIMAL"):
        scale = int(kind.rstrip(")").split(",")[-1]) if "," in kind else 0
        if scale <= COST_SCALE:
            return exact
        return f"CASE WHEN {expr} = {exact} THEN {exact} END"
    if kind != "VARCHAR":
        return exact
    # Plain notation: a non-zero digit past the 12th decimal place. Exponent notation
    # (rare): the double differs from the rounded decimal.
    too_precise = (
        f"regexp_matches({expr}, '\\.[0-9]{{{COST_SCALE}}}[0-9]*[1-9]') OR "
        f"(regexp_matches({expr}, '[eE]') AND "
        f"TRY_CAST({expr} AS DOUBLE) <> TRY_CAST({exact} AS DOUBLE))"
    )
    return f"CASE WHEN {too_precise} THEN NULL ELSE {exact} END"


# ---- FOCUS ------------------------------------------------------------------------------

_ABSENT_VALUE = {"Tags": "'{}'"}


def focus_typed_columns(file: InputFile) -> dict[str, str]:
    return {
        name: FOCUS_COLUMNS[name]
        for name in FOCUS_COLUMNS
        # Amounts stay text for the reader: `cost_sql` refuses what a cast would round.
        if name in file.columns and FOCUS_COLUMNS[name] not in ("VARCHAR", COST_SQL_TYPE)
    }


def focus_projection_sql(file: InputFile, *, raw_tags: bool = False) -> str:
    """SELECT list producing the canonical columns from a FOCUS file (`raw_tags`: Tags as
    the file has them, for `tags_lookup_sql` to normalise)."""
    parts: list[str] = []
    for name, target in FOCUS_COLUMNS.items():
        if name not in file.columns:
            parts.append(f"{_ABSENT_VALUE.get(name, 'NULL')} AS {quote(name)}")
            continue
        if name == "Tags":
            tags = '"Tags"' if raw_tags else tags_sql(quote(name), file.columns[name])
            parts.append(f'{tags} AS "Tags"')
        elif name == "BillingCurrency":
            parts.append(f"upper(trim({quote(name)})) AS {quote(name)}")
        elif target == "VARCHAR" and file.columns[name] == "VARCHAR":
            parts.append(quote(name))  # the reader already maps '' and NULL to null
        else:
            cast = cast_sql(quote(name), target, file.columns[name])
            parts.append(f"{cast} AS {quote(name)}")
    return ", ".join(parts)


def legacy_cur_layout(file: InputFile) -> bool:
    return any("/" in name for name in file.columns)


def cur_column_name(file: InputFile, cur2_name: str) -> str:
    """The file's spelling of a CUR 2.0 column (itself, or the legacy `lineItem/...` name)."""
    if not legacy_cur_layout(file):
        return cur2_name
    legacy = {str(k): v for k, v in LEGACY_CUR_NAMES.items()}
    return legacy.get(cur2_name, cur2_name)
