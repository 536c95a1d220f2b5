"""The cost store's snapshots in one process: what readers see, what writers publish, what is
kept on disk, and the public write API a stream uses."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cost_files import MAY, generate_rows, write_focus_csv

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.publish import append_records, replace_records
from finance_pack.costs.snapshots import (
    StoreBusyError,
    close_snapshots,
    open_for_reading,
    open_for_writing,
)
from finance_pack.costs.store import CostStore
from finance_pack.domain.costs import CostRecord
from finance_pack.domain.money import Money

TOTAL_SQL = "SELECT coalesce(sum(BilledCost), 0), count(*) FROM cost_line_items"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'state' / 'costs.duckdb'}"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "state" / "costs.snapshots"


def load(url: str, path: Path, seed: int, count: int) -> None:
    rows = generate_rows(seed, count, MAY)
    with open_for_writing(url, "UTC") as store:
        ingest_files(store, [str(write_focus_csv(path, rows))], FileKind.FOCUS, source="export")


def read_total(url: str) -> tuple[Decimal, int]:
    with open_for_reading(url, "UTC") as view:
        total, count = view.store.duckdb.execute(TOTAL_SQL).fetchone()
    return Decimal(total), int(count)


def generations(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("costs-"))


def test_a_new_store_reads_as_empty(url: str) -> None:
    assert read_total(url) == (Decimal(0), 0)


def test_readers_see_the_snapshot_before_a_write_until_it_is_published(
    url: str, tmp_path: Path
) -> None:
    load(url, tmp_path / "a.csv", 1, 10)
    before = read_total(url)
    with open_for_writing(url, "UTC") as store:
        rows = generate_rows(2, 7, MAY)
        ingest_files(
            store, [str(write_focus_csv(tmp_path / "b.csv", rows))], FileKind.FOCUS, source="export"
        )
        assert read_total(url) == before
    assert read_total(url)[1] == 7


def test_a_reader_keeps_its_snapshot_while_newer_ones_are_published(
    url: str, tmp_path: Path
) -> None:
    load(url, tmp_path / "a.csv", 1, 10)
    with open_for_reading(url, "UTC") as view:
        load(url, tmp_path / "b.csv", 2, 7)
        load(url, tmp_path / "c.csv", 3, 5)
        assert view.store.duckdb.execute(TOTAL_SQL).fetchone()[1] == 10
    assert read_total(url)[1] == 5


def test_a_failed_write_publishes_nothing_and_leaves_no_file(
    url: str, folder: Path, tmp_path: Path
) -> None:
    load(url, tmp_path / "a.csv", 1, 10)
    published = (folder / "CURRENT").read_text()
    with pytest.raises(RuntimeError), open_for_writing(url, "UTC") as store:
        store.duckdb.execute("DELETE FROM cost_line_items")
        raise RuntimeError("the connector failed half way")
    assert (folder / "CURRENT").read_text() == published
    assert read_total(url)[1] == 10
    assert len(generations(folder)) == 1


def test_superseded_generations_are_deleted_and_restatements_do_not_grow_the_store(
    url: str, folder: Path, tmp_path: Path
) -> None:
    load(url, tmp_path / "a.csv", 1, 3000)
    first_size = generations(folder)[0].stat().st_size
    for seed in range(2, 7):  # the same month restated five times
        load(url, tmp_path / f"r{seed}.csv", seed, 3000)
    kept = generations(folder)
    assert len(kept) == 1
    assert kept[0].stat().st_size <= 2.5 * first_size


def test_a_second_writer_gives_up_after_its_wait_with_a_busy_error_naming_no_path(
    url: str, tmp_path: Path
) -> None:
    load(url, tmp_path / "a.csv", 1, 10)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with open_for_writing(url, "UTC"):
            holding.set()
            release.wait(30)

    first = threading.Thread(target=hold_the_lock)
    first.start()
    holding.wait(30)
    waited: list[float] = []
    try:
        with (
            pytest.raises(StoreBusyError) as raised,
            open_for_writing(url, "UTC", wait=1.5, on_wait=waited.append),
        ):
            pass
        assert read_total(url)[1] == 10  # readers are not blocked by the writer
    finally:
        release.set()
        first.join()
    assert raised.value.retry_after > 0
    assert str(tmp_path) not in str(raised.value)
    assert "costs" not in str(raised.value).replace("cost store", "")
    assert waited, "the waiting writer reported no progress"


def test_a_store_written_before_snapshots_is_taken_over_as_the_first_one(
    tmp_path: Path, url: str
) -> None:
    legacy = tmp_path / "state" / "costs.duckdb"
    legacy.parent.mkdir(parents=True)
    store = CostStore.open(f"duckdb:///{legacy}")
    ingest_files(
        store,
        [str(write_focus_csv(tmp_path / "a.csv", generate_rows(1, 12, MAY)))],
        FileKind.FOCUS,
        source="export",
    )
    store.close()
    assert read_total(url)[1] == 12
    assert not legacy.exists()


def test_a_new_billing_time_zone_recuts_the_rollup_in_a_new_snapshot(
    url: str, tmp_path: Path
) -> None:
    load(url, tmp_path / "a.csv", 1, 10)
    with open_for_reading(url, "Europe/Berlin") as view:
        zone = view.store.rollup_layout().timezone
    assert zone == "Europe/Berlin"
    close_snapshots()


def record(day: int, hour: int, amount: str) -> CostRecord:
    start = datetime(2026, 5, day, hour, tzinfo=UTC)
    return CostRecord(
        charge_period_start=start,
        charge_period_end=start.replace(hour=hour + 1),
        billed_cost=Money(Decimal(amount), "USD"),
        effective_cost=Money(Decimal(amount), "USD"),
        provider_name="AWS",
        billing_account_id="100000000001",
        service_name="AmazonEC2",
    )


def test_streamed_records_are_appended_and_a_day_replaced_as_one_snapshot_each(url: str) -> None:
    assert append_records(url, "UTC", "watcher", [record(3, 1, "1.000000000001")]) == 1
    append_records(url, "UTC", "watcher", [record(3, 2, "2.5"), record(4, 1, "0.25")])
    assert read_total(url) == (Decimal("3.750000000001"), 3)
    replace_records(url, "UTC", "watcher", [date(2026, 5, 3)], [record(3, 5, "10")])
    assert read_total(url) == (Decimal("10.25"), 2)
    with open_for_reading(url, "UTC") as view:
        daily = view.store.duckdb.execute("SELECT sum(BilledCost) FROM cost_daily").fetchone()[0]
    assert daily == Decimal("10.25")
