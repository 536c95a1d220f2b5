"""Engines for the state store: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from finance_pack.errors import UnavailableError, UsageError
from finance_pack.secrets import redact_url as redact

__all__ = ["check_reachable", "make_engine", "redact"]

URL_HINT = "FINANCE_DATABASE_URL looks like postgresql://user@host:5432/database"


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ValueError as exc:  # a port like `notaport`
        raise UsageError(
            f"invalid database URL {redact(url)!r}: the port is not a number", hint=URL_HINT
        ) from exc
    except ArgumentError as exc:
        raise UsageError(f"invalid database URL {redact(url)!r}", hint=URL_HINT) from exc
    if parsed.drivername == "postgresql" or parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    except Exception as exc:  # missing driver, bad options
        raise UsageError(f"cannot use database URL {redact(url)}: {exc}") from exc


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise UnavailableError(
            f"state store {redact(str(engine.url))} is unreachable: {reason}",
            hint="check FINANCE_DATABASE_URL, the server, and the network",
        ) from exc
