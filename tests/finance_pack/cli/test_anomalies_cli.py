"""`brctl finance anomalies backtest`: one scored row per input row, located errors."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]


def write_series(path: Path, spike_at: int, hours: int = 24 * 10) -> None:
    start = datetime(2026, 10, 5, tzinfo=UTC)
    lines = ["timestamp,value"]
    for hour in range(hours):
        value = 900.0 if hour == spike_at else 40 + (hour % 24 in range(8, 18)) * 6 + hour % 3
        lines.append(f"{(start + timedelta(hours=hour)).isoformat()},{value}")
    # A shuffled row and a repeated one: output still has one row per input row, in order.
    lines.insert(5, lines.pop(9))
    lines.append(lines[3])
    path.write_text("\n".join(lines) + "\n")


def test_backtest_scores_every_row_and_flags_the_spike(brctl: Run, tmp_path: Path) -> None:
    source, output = tmp_path / "spend.csv", tmp_path / "scored.csv"
    write_series(source, spike_at=200)
    code, _out, err = brctl(
        "finance", "anomalies", "backtest", str(source), "--output", str(output)
    )
    assert code == 0, err
    rows = list(csv.DictReader(output.open()))
    inputs = list(csv.DictReader(source.open()))
    assert len(rows) == len(inputs)
    assert [r["timestamp"] for r in rows] == [
        datetime.fromisoformat(r["timestamp"]).isoformat() for r in inputs
    ]
    flagged = [r for r in rows if r["is_anomaly"] == "true"]
    assert [float(r["value"]) for r in flagged] == [900.0]
    assert all(0.0 <= float(r["anomaly_score"]) <= 1.0 for r in rows)
    assert float(flagged[0]["anomaly_score"]) > 0.5


def test_backtest_direction_down_ignores_the_upward_spike(brctl: Run, tmp_path: Path) -> None:
    source = tmp_path / "spend.csv"
    write_series(source, spike_at=200)
    code, out, _err = brctl("finance", "anomalies", "backtest", str(source), "--direction", "down")
    assert code == 0
    assert "true" not in out


def test_backtest_names_the_bad_line(brctl: Run, tmp_path: Path) -> None:
    source = tmp_path / "spend.csv"
    source.write_text("when,cost\n2026-10-05T00:00Z,1\n2026-10-05T01:00Z,lots\n")
    code, _out, err = brctl(
        "finance",
        "anomalies",
        "backtest",
        str(source),
        "--timestamp-column",
        "when",
        "--value-column",
        "cost",
    )
    assert code == 2
    assert f"{source}:3" in err and "lots" in err
    missing = brctl("finance", "anomalies", "backtest", str(source))
    assert missing[0] == 2 and "no column 'timestamp'" in missing[2]
