"""A separate process for the cost-store fault tests: a reader that records every snapshot it
sees, or a writer that pauses at a chosen point (so the test can SIGKILL it there).

    python snapshot_worker.py read URL OUT STOP
    python snapshot_worker.py write URL FILE SOURCE POINT MARKER
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from finance_pack.costs import ingest, snapshots
from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.snapshots import SnapshotStore, open_for_reading, open_for_writing

SNAPSHOT_SQL = """SELECT (SELECT coalesce(sum(BilledCost), 0) FROM cost_line_items),
                         (SELECT count(*) FROM cost_line_items),
                         (SELECT coalesce(sum(BilledCost), 0) FROM cost_daily)"""


def read(url: str, out: Path, stop: Path) -> None:
    with out.open("a", encoding="utf-8") as lines:
        while not stop.exists():
            with open_for_reading(url, "UTC") as view:
                line_sum, count, daily_sum = view.store.duckdb.execute(SNAPSHOT_SQL).fetchone()
            lines.write(f"{line_sum}|{count}|{daily_sum}\n")
            lines.flush()


def _pause(marker: Path) -> None:
    """Tell the test we are at the point, then wait to be killed or released."""
    marker.write_text("here")
    release = marker.with_name(marker.name + ".go")
    while not release.exists():
        time.sleep(0.02)


def _after(function: Callable[..., Any], marker: Path) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        _pause(marker)
        return result

    return wrapped


def _before(function: Callable[..., Any], marker: Path) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _pause(marker)
        return function(*args, **kwargs)

    return wrapped


def write(url: str, file: str, source: str, point: str, marker: Path) -> None:
    if point == "copy":  # the new generation is a copy of the published one, nothing more
        snapshots._copy_database = _after(snapshots._copy_database, marker)  # type: ignore[assignment]
    elif point == "insert":  # the file's rows are inserted, the transaction is open
        ingest._record_load = _after(ingest._record_load, marker)  # type: ignore[assignment]
    elif point == "publish":  # the generation is complete and closed, CURRENT not yet swapped
        SnapshotStore._publish = _before(SnapshotStore._publish, marker)  # type: ignore[method-assign]
    elif point == "cleanup":  # CURRENT swapped, the superseded generation not yet deleted
        SnapshotStore._remove_superseded = _cleanup_pause(marker)  # type: ignore[method-assign,assignment]
    with open_for_writing(url, "UTC", wait=120) as store:
        ingest_files(store, [file], FileKind.FOCUS, source=source)


def _cleanup_pause(marker: Path) -> Callable[[SnapshotStore], None]:
    original = SnapshotStore._remove_superseded
    seen: list[str | None] = []

    def wrapped(store: SnapshotStore) -> None:
        current = store.current()
        seen.append(current.id if current else None)
        if len(set(seen)) > 1:  # a snapshot newer than the one we started from is published
            _pause(marker)
        original(store)

    return wrapped


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "read":
        read(args[0], Path(args[1]), Path(args[2]))
    else:
        write(args[0], args[1], args[2], args[3], Path(args[4]))
