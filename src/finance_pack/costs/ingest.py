"""Load FOCUS and CUR files into the cost store, all files of one call in one transaction.

Per file: INSERT the canonical projection straight from DuckDB's reader (no staging copy),
then validate in SQL. After all files: drop the billing periods the load restates (same
source, same month) and roll the load up. Any error rolls everything back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from finance_pack.costs import schema
from finance_pack.costs.checks import (
    ANY_BAD_SQL,
    RowProblem,
    count_bad_rows,
    locate_bad_rows,
    reader_rejects,
    write_rejects,
)
from finance_pack.costs.cur import cur_projection_sql, cur_typed_columns, require_cur_columns
from finance_pack.costs.readers import (
    FileFormat,
    InputFile,
    expand_paths,
    focus_projection_sql,
    focus_typed_columns,
    inspect_file,
    require_columns,
    scan_sql,
)
from finance_pack.costs.rollup import replace_restated
from finance_pack.costs.store import CostStore
from finance_pack.domain.costs import REQUIRED_FOCUS_COLUMNS
from finance_pack.errors import ValidationError

_REJECTS = "ingest_rejects"


class FileKind(StrEnum):
    FOCUS = "focus"
    CUR = "cur"


@dataclass(frozen=True, slots=True)
class Progress:
    file: Path
    bytes_done: int
    bytes_total: int
    rows_done: int


ProgressCallback = Callable[[Progress], None]


@dataclass(slots=True)
class IngestReport:
    files: list[Path]
    rows: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rejects_path: Path | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def source_sql(label: str | None) -> str:
    """Restatement unit: an explicit label, else the provider and billing account."""
    if label:
        return "'" + label.replace("'", "''") + "'"
    return '"ProviderName" || \'/\' || "BillingAccountId"'


def ingest_files(
    store: CostStore,
    patterns: Sequence[str],
    kind: FileKind,
    *,
    source: str | None = None,
    skip_bad_rows: bool = False,
    rejects_path: Path | None = None,
    on_progress: ProgressCallback | None = None,
) -> IngestReport:
    con = store.duckdb
    paths = expand_paths(patterns)
    files = [inspect_file(con, p) for p in paths]
    for file in files:
        _require(file, kind)
    report = IngestReport(files=paths)
    started = time.perf_counter()
    first_load_id = _next_load_id(con)
    bytes_total = sum(f.size for f in files)
    con.begin()
    try:
        bytes_before = 0
        for offset, file in enumerate(files):
            loader = _FileLoader(con, file, kind, source, first_load_id + offset)
            watch = _ProgressWatch(con, on_progress, file, bytes_before, bytes_total, report.rows)
            with watch:
                rows, problems = loader.load(skip_bad_rows)
            report.rows += rows
            report.rejected += problems
            bytes_before += file.size
            _record_load(con, loader.load_id, file, kind, source, rows, len(problems))
            if on_progress:
                on_progress(Progress(file.path, bytes_before, bytes_total, report.rows))
        replace_restated(con, first_load_id, "month", store.rollup_tag_keys())
        report.periods = _periods(con, first_load_id)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    report.seconds = time.perf_counter() - started
    if report.rejected:
        report.rejects_path = rejects_path or paths[0].with_name(paths[0].name + ".rejects.csv")
        write_rejects(report.rejects_path, report.rejected)
    return report


def _require(file: InputFile, kind: FileKind) -> None:
    if kind is FileKind.CUR:
        require_cur_columns(file)
    else:
        require_columns(file, REQUIRED_FOCUS_COLUMNS)


class _FileLoader:
    """Inserts one file's rows under `load_id` and validates them."""

    def __init__(
        self, con: Any, file: InputFile, kind: FileKind, source: str | None, load_id: int
    ) -> None:
        self.con = con
        self.file = file
        self.load_id = load_id
        typed = cur_typed_columns(file) if kind is FileKind.CUR else focus_typed_columns(file)
        projection = (
            cur_projection_sql(file) if kind is FileKind.CUR else focus_projection_sql(file)
        )
        self._typed = typed
        self._projection = projection
        self._source = source_sql(source)

    def select_sql(self, rejects: str) -> str:
        return f"SELECT {self._projection} FROM {scan_sql(self.file, self._typed, rejects)}"

    def load(self, skip_bad_rows: bool) -> tuple[int, list[RowProblem]]:
        self._insert()
        rejected = self._reader_rejects()
        if rejected and not skip_bad_rows:
            raise _row_error(rejected)
        bad = count_bad_rows(self.con, schema.LINE_ITEMS, self.load_id)
        if bad == 0:
            return self._row_count(), rejected
        problems = locate_bad_rows(
            self.con,
            self.select_sql(_REJECTS + "_relocate"),
            self.file.path,
            header_lines=1 if self.file.format is FileFormat.CSV else 0,
            skipped_lines=[p.line for p in rejected if p.line is not None],
            limit=None if skip_bad_rows else 20,
        )
        if not skip_bad_rows:
            raise _row_error(problems, total=bad)
        self.con.execute(
            f"DELETE FROM {schema.LINE_ITEMS} WHERE load_id = {self.load_id} AND ({ANY_BAD_SQL})"
        )
        return self._row_count(), rejected + problems

    def _insert(self) -> None:
        sql = f"""INSERT INTO {schema.LINE_ITEMS} BY NAME
            SELECT *, {self._source} AS source,
                   CAST(date_trunc('month', "ChargePeriodStart") AS DATE) AS billing_period,
                   {self.load_id} AS load_id
            FROM ({self.select_sql(_REJECTS)})"""
        try:
            self.con.execute(sql)
        except Exception as exc:  # duckdb.Error: truncated gzip, corrupt parquet, ...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise ValidationError(
                f"cannot read the file: {first}",
                location=str(self.file.path),
                hint="a truncated download or an interrupted export; fetch the file again",
            ) from exc

    def _reader_rejects(self) -> list[RowProblem]:
        if self.file.format is not FileFormat.CSV:
            return []
        return reader_rejects(self.con, _REJECTS, self.file.path)

    def _row_count(self) -> int:
        row = self.con.execute(
            f"SELECT count(*) FROM {schema.LINE_ITEMS} WHERE load_id = {self.load_id}"
        ).fetchone()
        return int(row[0]) if row else 0


def _row_error(problems: Sequence[RowProblem], total: int | None = None) -> ValidationError:
    first = problems[0]
    count = total if total is not None else len(problems)
    others = "\n".join(f"  {p.describe()}" for p in problems[1:5])
    message = f"column {first.column}: {first.reason}"
    if first.text:
        message += f" (line: {first.text[:120]!r})"
    if count > 1:
        message += f"; {count - 1} more bad row(s)" + (f":\n{others}" if others else "")
    return ValidationError(
        message + "\nnothing was written",
        location=first.location(),
        hint="fix the file, or pass --skip-bad-rows to load the rest and write a rejects file",
    )


def _next_load_id(con: Any) -> int:
    row = con.execute(f"SELECT coalesce(max(load_id), 0) + 1 FROM {schema.LOADS}").fetchone()
    row2 = con.execute(f"SELECT coalesce(max(load_id), 0) + 1 FROM {schema.LINE_ITEMS}").fetchone()
    return max(int(row[0]), int(row2[0]))


def _record_load(
    con: Any,
    load_id: int,
    file: InputFile,
    kind: FileKind,
    source: str | None,
    rows: int,
    rejected: int,
) -> None:
    periods = con.execute(
        f"""SELECT string_agg(DISTINCT strftime(billing_period, '%Y-%m'), ',')
            FROM {schema.LINE_ITEMS} WHERE load_id = {load_id}"""
    ).fetchone()
    con.execute(
        f"INSERT INTO {schema.LOADS} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            source or "",
            kind.value,
            str(file.path),
            rows,
            rejected,
            periods[0] if periods else "",
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )


def _periods(con: Any, first_load_id: int) -> list[str]:
    rows = con.execute(
        f"""SELECT DISTINCT source || ' ' || strftime(billing_period, '%Y-%m') AS p
            FROM {schema.LINE_ITEMS} WHERE load_id >= {first_load_id} ORDER BY p"""
    ).fetchall()
    return [str(r[0]) for r in rows]


class _ProgressWatch:
    """Polls DuckDB's query progress from a thread while a file loads."""

    def __init__(
        self,
        con: Any,
        callback: ProgressCallback | None,
        file: InputFile,
        bytes_before: int,
        bytes_total: int,
        rows_before: int,
    ) -> None:
        self._con, self._callback, self._file = con, callback, file
        self._before, self._total, self._rows = bytes_before, bytes_total, rows_before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _ProgressWatch:
        if self._callback:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        assert self._callback is not None
        while not self._stop.wait(0.25):
            percent = self._con.query_progress()
            if percent is None or percent < 0:
                continue
            done = self._before + int(self._file.size * min(percent, 100.0) / 100.0)
            self._callback(Progress(self._file.path, done, self._total, self._rows))
