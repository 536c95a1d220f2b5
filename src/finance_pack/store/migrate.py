"""Bring the state store to the newest schema, safely when several replicas start at once."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import as_file, files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from finance_pack import __version__
from finance_pack.clock import SYSTEM_CLOCK, Clock
from finance_pack.store.engine import check_reachable
from finance_pack.store.tables import store_info

# An arbitrary constant: the PostgreSQL advisory lock that serialises migrations across replicas.
_MIGRATION_LOCK_ID = 0x46494E414E4345


def _config(connection: Connection) -> Config:
    config = Config()
    with as_file(files("finance_pack.store") / "migrations") as location:
        config.set_main_option("script_location", str(location))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    with as_file(files("finance_pack.store") / "migrations") as location:
        config = Config()
        config.set_main_option("script_location", str(location))
        return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, clock: Clock = SYSTEM_CLOCK) -> tuple[str | None, str | None]:
    """Upgrade to head; returns (revision before, revision after)."""
    check_reachable(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(_config(connection), "head")
        after = MigrationContext.configure(connection).get_current_revision()
        if before != after:
            _record_upgrade(connection, after, clock.now())
    return before, after


def _record_upgrade(connection: Connection, revision: str | None, now: datetime) -> None:
    rows = {"schema_revision": revision or "", "pack_version": __version__}
    for key, value in rows.items():
        connection.execute(store_info.delete().where(store_info.c.key == key))
        connection.execute(store_info.insert().values(key=key, value=value, updated_at=now))
    if (
        connection.execute(store_info.select().where(store_info.c.key == "created_at")).first()
        is None
    ):
        connection.execute(
            store_info.insert().values(key="created_at", value=now.isoformat(), updated_at=now)
        )
