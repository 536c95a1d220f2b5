"""The watcher's hot-path writes (one driver-level executemany per batch) store exactly what
SQLAlchemy Core would: Core queries find the rows, and times read back as the same UTC instants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from finance_pack.store import alerts as store
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade
from finance_pack.store.watcher_tables import watcher_points, watcher_series

START = datetime(2026, 11, 2, 10, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 11, 0, 3, 250_000, tzinfo=UTC)
KEY = "provider=aws|account=111122223333|service=AmazonEC2"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _row(key: str, start: datetime, cost: str) -> dict[str, object]:
    return {
        "series_key": key,
        "interval_start": start,
        "interval_end": start + timedelta(hours=1),
        "cost": cost,
        "currency": "USD",
        "source": "api",
        "status": "scored",
        "ingested_at": NOW,
    }


def test_points_written_in_one_batch_are_found_by_core_queries_with_their_utc_times(
    engine: Engine,
) -> None:
    berlin = timezone(timedelta(hours=1))
    rows = [
        _row(KEY, START, "41.25"),
        _row(KEY, START + timedelta(hours=1), "-3.10"),
        # The same instant written with another offset is the same interval.
        _row("provider=aws|account=1", START.astimezone(berlin), "7"),
    ]
    with engine.begin() as connection:
        store.insert_points(connection, rows)
    with engine.connect() as connection:
        found = store.stored_costs(
            connection,
            [(KEY, START), (KEY, START + timedelta(hours=1)), ("provider=aws|account=1", START)],
        )
        stored = connection.execute(select(watcher_points).order_by(watcher_points.c.id)).all()
    assert found == {
        (KEY, START): "41.25",
        (KEY, START + timedelta(hours=1)): "-3.10",
        ("provider=aws|account=1", START): "7",
    }
    assert [(r.interval_start, r.interval_end, r.ingested_at) for r in stored] == [
        (START, START + timedelta(hours=1), NOW),
        (START + timedelta(hours=1), START + timedelta(hours=2), NOW),
        (START, START + timedelta(hours=1), NOW),
    ]
    assert [r.cost_store_at for r in stored] == [None, None, None]


def test_saved_baselines_replace_the_state_and_stamp_the_time(engine: Engine) -> None:
    later = NOW + timedelta(minutes=5)
    with engine.begin() as connection:
        store.save_series(
            connection,
            [{"series_key": KEY, "currency": "USD", "dimensions_json": "{}", "state_json": "a"}],
            set(),
            NOW,
        )
        store.save_series(
            connection,
            [{"series_key": KEY, "currency": "USD", "dimensions_json": "{}", "state_json": "b"}],
            {KEY},
            later,
        )
    with engine.connect() as connection:
        rows = connection.execute(select(watcher_series)).all()
        loaded = store.load_series(connection, [KEY])
    assert [(r.series_key, r.state_json, r.updated_at) for r in rows] == [(KEY, "b", later)]
    assert loaded == {KEY: ("USD", "b")}
