"""Faults with real processes: writers SIGKILLed at each step while readers run, two writers
at once, readers during a restatement of the month they read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import MAY, Row, generate_rows, write_focus_csv

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.snapshots import SnapshotStore, open_for_writing

WORKER = Path(__file__).with_name("snapshot_worker.py")


def billed(rows: list[Row]) -> Decimal:
    return sum((r.billed for r in rows), Decimal(0))


class Reader:
    """A reader process recording (line-item sum, rows, rollup sum) of every snapshot."""

    def __init__(self, url: str, folder: Path) -> None:
        self.out, self.stop = folder / "seen.txt", folder / "stop"
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), "read", url, str(self.out), str(self.stop)]
        )

    def wait_for_reads(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.seen()) < count:
            assert self.process.poll() is None, "the reader failed"
            assert time.monotonic() < deadline, "the reader made no progress"
            time.sleep(0.05)

    def seen(self) -> list[tuple[Decimal, int, Decimal]]:
        if not self.out.exists():
            return []
        lines = self.out.read_text().splitlines()
        return [(Decimal(a), int(b), Decimal(c)) for a, b, c in (x.split("|") for x in lines)]

    def finish(self) -> list[tuple[Decimal, int, Decimal]]:
        self.stop.touch()
        assert self.process.wait(timeout=60) == 0, "the reader saw an error"
        return self.seen()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'state' / 'costs.duckdb'}"


@pytest.fixture
def may_loaded(url: str, tmp_path: Path) -> list[Row]:
    """May from source `export` is in the store: 400 rows."""
    rows = generate_rows(1, 400, MAY)
    with open_for_writing(url, "UTC") as store:
        ingest_files(
            store, [str(write_focus_csv(tmp_path / "a.csv", rows))], FileKind.FOCUS, source="export"
        )
    return rows


@pytest.fixture
def reader(url: str, tmp_path: Path) -> Iterator[Reader]:
    running = Reader(url, tmp_path)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def start_writer(url: str, file: Path, point: str, marker: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), "write", url, str(file), "export", point, str(marker)]
    )


def wait_for(marker: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, "the writer ended before its pause point"
        assert time.monotonic() < deadline, "the writer never reached its pause point"
        time.sleep(0.02)


@pytest.mark.parametrize("point", ["copy", "insert", "publish", "cleanup"])
def test_a_writer_killed_at_any_step_leaves_readers_a_complete_snapshot_and_the_next_write_succeeds(
    point: str, url: str, tmp_path: Path, may_loaded: list[Row], reader: Reader
) -> None:
    restated = generate_rows(2, 300, MAY)  # May again, from the same source: a restatement
    file = write_focus_csv(tmp_path / "b.csv", restated)
    before = (billed(may_loaded), 400, billed(may_loaded))
    after = (billed(restated), 300, billed(restated))
    reader.wait_for_reads(3)
    marker = tmp_path / f"at-{point}"
    writer = start_writer(url, file, point, marker)
    wait_for(marker, writer)
    seen_before_kill = len(reader.seen())
    reader.wait_for_reads(seen_before_kill + 3)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    reader.wait_for_reads(len(reader.seen()) + 3)

    with open_for_writing(url, "UTC", wait=30) as store:  # the next writer is not stuck
        ingest_files(store, [str(file)], FileKind.FOCUS, source="export")
    reader.wait_for_reads(len(reader.seen()) + 3)
    seen = reader.finish()

    assert set(seen) <= {before, after}, (
        f"a partial snapshot was read: {set(seen) - {before, after}}"
    )
    assert seen[-1] == after
    folder = tmp_path / "state" / "costs.snapshots"
    generations = sorted(p.name for p in folder.iterdir() if p.name.startswith("costs-"))
    assert len(generations) == 1, generations


def test_readers_during_a_restatement_of_their_month_see_the_old_month_then_the_new(
    url: str, tmp_path: Path, may_loaded: list[Row], reader: Reader
) -> None:
    restated = generate_rows(3, 500, MAY)
    file = write_focus_csv(tmp_path / "b.csv", restated)
    reader.wait_for_reads(3)
    marker = tmp_path / "at-insert"
    writer = start_writer(url, file, "insert", marker)
    wait_for(marker, writer)
    reader.wait_for_reads(len(reader.seen()) + 5)
    marker.with_name(marker.name + ".go").touch()
    assert writer.wait(timeout=120) == 0
    reader.wait_for_reads(len(reader.seen()) + 3)
    seen = reader.finish()

    before = (billed(may_loaded), 400, billed(may_loaded))
    after = (billed(restated), 500, billed(restated))
    first_after = seen.index(after)
    assert set(seen[:first_after]) == {before}
    assert set(seen[first_after:]) == {after}


def test_a_second_writer_waits_for_the_first_and_both_are_published(
    url: str, tmp_path: Path, may_loaded: list[Row]
) -> None:
    june = generate_rows(4, 200, MAY.replace(month=6))
    marker = tmp_path / "at-insert"
    first = start_writer(url, write_focus_csv(tmp_path / "june.csv", june), "insert", marker)
    wait_for(marker, first)
    waits: list[float] = []
    released = False

    def release_first(waited: float) -> None:
        nonlocal released
        waits.append(waited)
        if waited > 1.5 and not released:  # the second writer has queued for a while
            marker.with_name(marker.name + ".go").touch()
            released = True

    july = generate_rows(5, 100, MAY.replace(month=7))
    with open_for_writing(url, "UTC", wait=120, on_wait=release_first) as store:
        ingest_files(
            store,
            [str(write_focus_csv(tmp_path / "july.csv", july))],
            FileKind.FOCUS,
            source="export",
        )
    assert first.wait(timeout=120) == 0
    assert waits, "the second writer did not wait"

    snapshots = SnapshotStore(tmp_path / "state" / "costs.duckdb", "UTC")
    with snapshots.read() as view:
        total, count = view.store.duckdb.execute(
            "SELECT sum(BilledCost), count(*) FROM cost_line_items"
        ).fetchone()
    assert count == 400 + 200 + 100
    assert total == billed(may_loaded) + billed(june) + billed(july)
