"""Load cost data: FOCUS or CUR files, or AWS Cost Explorer."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from brctl.output import render
from finance_pack.access.actors import ActingAsOption, Actor, authorize_cli
from finance_pack.access.audit import record_audit
from finance_pack.cli.common import (
    FormatOption,
    OutputFormat,
    TargetOption,
    console,
    now,
    open_context,
    open_state,
)
from finance_pack.context import PackContext
from finance_pack.domain.fx import FxTable
from finance_pack.errors import UsageError

if TYPE_CHECKING:
    # The cost store loads Ibis and DuckDB: only the commands that ingest import it.
    from finance_pack.costs.ingest import FileKind, IngestReport, ProgressCallback
    from finance_pack.costs.ingest import Progress as IngestProgress
    from finance_pack.costs.store import CostStore

app = typer.Typer(help=__doc__)

COSTS_WRITE = "costs:write"

PathsArgument = Annotated[list[str], typer.Argument(help="Files or globs (CSV, CSV.gz, Parquet).")]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="Restatement unit label (default: provider/billing account)."),
]
SkipOption = Annotated[
    bool, typer.Option("--skip-bad-rows", help="Load good rows; write bad ones to a rejects file.")
]
RejectsOption = Annotated[
    Path | None, typer.Option("--rejects", help="Where to write rejected rows (CSV).")
]
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="Seconds to wait for another ingest to finish before giving up (exit 4).",
    ),
]
DEFAULT_WAIT_SECONDS = 3600.0


class _WaitingMessage:
    """Says on stderr that another writer holds the cost store: at once, then every 10 s."""

    def __init__(self, limit: float) -> None:
        self._limit, self._next = limit, 0.0

    def __call__(self, waited: float) -> None:
        if waited >= self._next:
            _stderr.print(
                f"waiting for another ingest to finish: {waited:.0f} s of {self._limit:g} s",
                style="yellow",
            )
            self._next = waited + 10.0


_stderr = Console(stderr=True, soft_wrap=True)


@contextmanager
def _writable_store(target: Path | None, wait: float) -> Iterator[CostStore]:
    from finance_pack.costs.snapshots import open_for_writing

    context = open_context(target)
    with open_for_writing(
        context.cost_store_url, context.config.timezone, wait=wait, on_wait=_WaitingMessage(wait)
    ) as store:
        yield store


@contextmanager
def _progress_bar(enabled: bool):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    if not enabled:
        yield None
        return
    started = time.monotonic()  # a duration for the rate, not a time of day
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("ingest", total=None, rows=0, rate=0.0)

        def update(event: IngestProgress) -> None:
            seconds = max(time.monotonic() - started, 1e-6)
            bar.update(
                task,
                total=event.bytes_total,
                completed=event.bytes_done,
                description=event.file.name,
                rows=event.rows_done,
                rate=event.rows_done / seconds,
            )

        callback: ProgressCallback = update
        yield callback


def _run_files(
    kind: FileKind,
    paths: list[str],
    target: Path | None,
    source: str | None,
    skip_bad_rows: bool,
    rejects: Path | None,
    fmt: OutputFormat,
    wait: float,
    acting_as: str | None,
) -> None:
    from finance_pack.costs.currency_rule import CurrencyRule
    from finance_pack.costs.ingest import ingest_files

    context = open_context(target)
    actor = authorize_cli(context, COSTS_WRITE, acting_as)
    with (
        _writable_store(target, wait) as store,
        _progress_bar(fmt is OutputFormat.TABLE) as callback,
    ):
        report = ingest_files(
            store,
            paths,
            kind,
            source=source,
            skip_bad_rows=skip_bad_rows,
            rejects_path=rejects,
            on_progress=callback,
            currencies=CurrencyRule(
                context.config.billing_currency, FxTable.from_config(context.config.fx_rates)
            ),
        )
    _audit(context, actor, f"costs.ingest.{kind.value}", _audit_record(report))
    render([_report_row(report, fmt)], fmt, title=f"ingest {kind.value}")


def _audit_record(report: IngestReport) -> dict[str, object]:
    return {
        "sources": sorted({period.rsplit(" ", 1)[0] for period in report.periods}),
        "files": [str(path) for path in report.files],
        "rows": report.rows,
        "rejected": len(report.rejected),
        "periods_replaced": list(report.periods),
    }


def _audit(context: PackContext, actor: Actor, action: str, after: dict[str, object]) -> None:
    """DESIGN §6: every mutating command writes an audit record (after the load committed)."""
    engine = open_state(context)
    try:
        with engine.begin() as connection:
            record_audit(connection, actor, action, "cost-store", None, after, "cli", at=now())
    finally:
        engine.dispose()


def _periods(periods: Sequence[str]) -> str:
    """`source month` labels; more than three become a count and the range."""
    if len(periods) <= 3:
        return ", ".join(periods)
    ordered = sorted(periods)
    return f"{len(ordered)} periods: {ordered[0]} … {ordered[-1]}"


def _report_row(report: IngestReport, fmt: OutputFormat) -> dict[str, object]:
    return {
        "files": len(report.files),
        "rows": report.rows,
        "rejected": len(report.rejected),
        "rows_per_second": round(report.rows_per_second),
        "periods_replaced": list(report.periods)
        if fmt is OutputFormat.JSON
        else _periods(report.periods),
        "rejects_file": str(report.rejects_path) if report.rejects_path else None,
    }


@app.command("focus")
def focus(
    paths: PathsArgument,
    source: SourceOption = None,
    skip_bad_rows: SkipOption = False,
    rejects: RejectsOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    wait: WaitOption = DEFAULT_WAIT_SECONDS,
    acting_as: ActingAsOption = None,
) -> None:
    """Load FOCUS 1.x exports; a billing month already loaded from the same source is replaced
    (needs costs:write; audited).

    Example: brctl finance ingest focus 'exports/2026-05/*.csv.gz' --source aws-payer
    """
    from finance_pack.costs.ingest import FileKind

    _run_files(FileKind.FOCUS, paths, target, source, skip_bad_rows, rejects, fmt, wait, acting_as)


@app.command("cur")
def cur(
    paths: PathsArgument,
    source: SourceOption = None,
    skip_bad_rows: SkipOption = False,
    rejects: RejectsOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    wait: WaitOption = DEFAULT_WAIT_SECONDS,
    acting_as: ActingAsOption = None,
) -> None:
    """Load AWS Cost and Usage Report files (CUR 2.0 or legacy), amortised cost included
    (needs costs:write; audited).

    Example: brctl finance ingest cur 'cur/2026-05/*.parquet'
    """
    from finance_pack.costs.ingest import FileKind

    _run_files(FileKind.CUR, paths, target, source, skip_bad_rows, rejects, fmt, wait, acting_as)


@app.command("aws-ce")
def aws_ce(
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Day after the last, YYYY-MM-DD.")],
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
    wait: WaitOption = DEFAULT_WAIT_SECONDS,
    acting_as: ActingAsOption = None,
) -> None:
    """Fetch daily cost per service and linked account from Cost Explorer (only missing or
    estimated days: each request is billed). Needs costs:write; audited.

    Example: brctl finance ingest aws-ce --start 2026-05-01 --end 2026-06-01
    """
    import boto3

    from finance_pack.providers.aws.calls import call_aws, client
    from finance_pack.providers.aws.cost_explorer import CostExplorerConnector
    from finance_pack.services.cost_sync import sync_cost_explorer

    first, last = _day(start, "--start"), _day(end, "--end")
    if last <= first:
        raise UsageError("--end must be after --start (it is exclusive)")
    context = open_context(target)
    actor = authorize_cli(context, COSTS_WRITE, acting_as)
    aws = context.config.providers.aws
    session = boto3.Session()
    sts = client(session, "sts", region=aws.region, endpoint_url=aws.endpoint_url)
    payer = call_aws("sts:GetCallerIdentity", sts.get_caller_identity)["Account"]
    ce = client(session, "ce", region="us-east-1", endpoint_url=aws.endpoint_url)
    connector = CostExplorerConnector(
        ce, billed_metric=aws.cost_explorer_metric, payer_account=str(payer)
    )
    with _writable_store(target, wait) as store:
        result = sync_cost_explorer(store, connector, first, last, now())
    summary = {
        "days_fetched": result.days_fetched,
        "requests": result.requests,
        "rows": result.rows,
    }
    _audit(context, actor, "costs.ingest.aws-ce", {"start": start, "end": end, **summary})
    render(
        [{"days_fetched": result.days_fetched, "requests": result.requests, "rows": result.rows}],
        fmt,
        title="ingest aws-ce",
    )


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{option} {text!r}: expected YYYY-MM-DD") from exc
