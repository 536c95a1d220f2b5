"""The Cost Watcher's anomaly detector."""

from __future__ import annotations

import csv
import io
import math
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from finance_pack.cli.common import console
from finance_pack.domain.anomaly import DetectorSettings, Direction
from finance_pack.domain.anomaly.backtest import BacktestInputError, BacktestRow, run_backtest
from finance_pack.errors import UsageError, ValidationError

app = typer.Typer(help=__doc__, no_args_is_help=True)


class DirectionOption(StrEnum):
    UP = "up"
    DOWN = "down"
    BOTH = "both"


def _parse_time(text: str, location: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"not an ISO 8601 time: {text!r}", location=location) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_value(text: str, location: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"not a number: {text!r}", location=location) from None
    if not math.isfinite(value):
        raise ValidationError(f"not a finite number: {text!r}", location=location)
    return value


def read_series(path: Path, time_column: str, value_column: str) -> list[tuple[datetime, float]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.DictReader(io.StringIO(text))
    for column in (time_column, value_column):
        if column not in (reader.fieldnames or []):
            found = ", ".join(reader.fieldnames or []) or "none"
            raise ValidationError(f"no column {column!r} (found: {found})", location=f"{path}:1")
    points = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        moment = _parse_time(row[time_column] or "", f"{where}: {time_column}")
        points.append((moment, _parse_value(row[value_column] or "", f"{where}: {value_column}")))
    if not points:
        raise ValidationError("no data rows", location=f"{path}:2")
    return points


def _write(rows: list[BacktestRow], output: Path | None) -> int:
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["timestamp", "value", "anomaly_score", "is_anomaly"])
    flagged = 0
    for row in rows:
        score = row.verdict.score if row.verdict else 0.0
        anomalous = bool(row.verdict and row.verdict.is_anomaly)
        flagged += anomalous
        writer.writerow(
            [row.timestamp.isoformat(), repr(row.value), f"{score:.4f}", str(anomalous).lower()]
        )
    if output is None:
        sys.stdout.write(handle.getvalue())
    else:
        temporary = output.with_name(output.name + ".tmp")
        temporary.write_text(handle.getvalue(), encoding="utf-8")
        temporary.replace(output)  # never a half-written output file
    return flagged


@app.command("backtest")
def backtest(
    input_csv: Annotated[Path, typer.Argument(help="CSV with a time and a value column.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default stdout).")
    ] = None,
    direction: Annotated[
        DirectionOption, typer.Option(help="Which side is anomalous.")
    ] = DirectionOption.UP,
    timestamp_column: Annotated[str, typer.Option("--timestamp-column")] = "timestamp",
    value_column: Annotated[str, typer.Option("--value-column")] = "value",
    relative_margin_pct: Annotated[float, typer.Option(min=0, help="Relative margin, %.")] = 30.0,
    absolute_margin: Annotated[float, typer.Option(min=0, help="Absolute margin, money.")] = 25.0,
) -> None:
    """Run the streaming detector over a history, point by point in time order (it never looks
    ahead), and write timestamp,value,anomaly_score,is_anomaly: one row per input row, the
    score in [0, 1]. The interval is inferred from the time stamps.

    Example: brctl finance anomalies backtest spend.csv --output scored.csv --direction up
    """
    points = read_series(input_csv, timestamp_column, value_column)
    settings = DetectorSettings(
        relative_margin=relative_margin_pct / 100,
        absolute_margin=absolute_margin,
        direction=Direction(direction.value),
    )
    try:
        rows = run_backtest(points, settings)
    except BacktestInputError as exc:
        raise ValidationError(str(exc), location=str(input_csv)) from None
    flagged = _write(rows, output)
    if output is not None:
        console.print(f"{len(rows)} points, {flagged} anomalous; written to {output}")
