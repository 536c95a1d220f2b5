from __future__ import annotations

from pathlib import Path

import pytest

from finance_pack.errors import UnavailableError, UsageError
from finance_pack.store.engine import make_engine, redact
from finance_pack.store.migrate import current_revision, head_revision, upgrade


def test_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/state/finance.db")
    before, after = upgrade(engine)
    assert before is None and after == head_revision()
    assert upgrade(engine) == (after, after)
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/f.db")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_unreachable_postgres_is_one_clear_error_without_the_password() -> None:
    engine = make_engine("postgresql://finance:hunter2@127.0.0.1:1/finance")
    with pytest.raises(UnavailableError) as info:
        upgrade(engine)
    assert "unreachable" in str(info.value) and "hunter2" not in str(info.value)


def test_unparseable_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="invalid database URL"):
        make_engine("not a url")
    assert "hunter2" not in redact("postgresql://u:hunter2@h/db")


@pytest.mark.postgres
def test_replicas_starting_together_on_postgres_migrate_once(postgres_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engines = [make_engine(postgres_url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(upgrade, engines))
    heads = {after for _before, after in results}
    assert heads == {head_revision()}
    assert sum(before is None for before, _after in results) == 1
