"""FOCUS files landing in the inbox folder are streamed to the watcher once each."""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cost_watcher_support import SETTINGS
from sqlalchemy import Engine, func, select

from finance_pack.agents.cost_watcher.inbox import Inbox
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.clock import FakeClock
from finance_pack.store.watcher_tables import watcher_incidents, watcher_points

START = datetime(2026, 11, 2, tzinfo=UTC)
HEADER = [
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "EffectiveCost",
    "ProviderName",
    "RegionId",
    "ServiceName",
    "SubAccountId",
    "Tags",
]


def write_focus(path: Path, hours: range, spike_hour: int | None = None) -> None:
    """Two line items per hour, written as exports do: quoted numbers, NULL, no `Z` on some."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(HEADER)
        for hour in hours:
            start = START + timedelta(hours=hour)
            stamp = start.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if hour % 2 else "")
            end = (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            cost = "450.00" if hour == spike_hour else f"{20 + hour % 3}.50"
            for _item in range(2):
                writer.writerow(
                    [
                        cost,
                        "111122223333",
                        "USD",
                        end,
                        stamp,
                        cost,
                        "AWS",
                        "us-east-1",
                        "AmazonEC2",
                        "NULL",
                        '{"team": "data"}',
                    ]
                )


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        points = connection.execute(select(func.count()).select_from(watcher_points)).scalar_one()
        incidents = connection.execute(
            select(func.count()).select_from(watcher_incidents)
        ).scalar_one()
    return int(points), int(incidents)


def test_files_are_read_once_and_a_spike_in_a_new_file_opens_an_incident(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    inbox = Inbox(tmp_path, CostWatcher(engine, SETTINGS))
    write_focus(tmp_path / "2026-11-part1.csv", range(0, 72))
    assert inbox.scan(clock.now()) == 72
    assert inbox.scan(clock.now()) == 0  # unchanged: not read again
    write_focus(tmp_path / "2026-11-part2.csv", range(72, 74), spike_hour=72)
    assert inbox.scan(clock.now()) == 2
    assert counts(engine) == (74, 1)


def test_a_bad_file_is_reported_once_and_skipped(
    engine: Engine, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "broken.csv").write_text("what,is,this\n1,2,3\n")
    inbox = Inbox(tmp_path, CostWatcher(engine, SETTINGS))
    with caplog.at_level(logging.ERROR):
        assert inbox.scan(clock.now()) == 0
        assert inbox.scan(clock.now()) == 0
    assert len(caplog.records) == 1 and "neither a FOCUS nor a CUR" in caplog.records[0].message
