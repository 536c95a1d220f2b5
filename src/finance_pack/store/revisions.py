"""The state store's schema revision and the newest one shipped, read without loading Alembic.

Every command opens the state store through the automatic upgrade; importing Alembic only to
find there is nothing to do costs more than the rest of a light command's start-up. So the common
case compares the two revisions directly, and Alembic runs only when the store is behind.
Migrations are files `NNNN_<topic>.py` declaring `revision = "NNNN"`, one linear chain (the store
tests pin that this agrees with Alembic's own head).
"""

from __future__ import annotations

import re
from importlib.resources import files

from sqlalchemy import Engine, inspect, text

from finance_pack.store.engine import check_reachable

_MIGRATION_FILE = re.compile(r"(\d{4})_\w+\.py")


def newest_revision() -> str:
    """The revision of the newest migration shipped with the pack."""
    versions = files("finance_pack.store") / "migrations" / "versions"
    numbers = [m.group(1) for f in versions.iterdir() if (m := _MIGRATION_FILE.fullmatch(f.name))]
    return max(numbers)


def stored_revision(engine: Engine) -> str | None:
    """The revision the store was last upgraded to; None for a store never migrated."""
    check_reachable(engine)
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found: str | None = connection.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar()
        return found


def upgrade_if_behind(engine: Engine) -> None:
    """The automatic upgrade on start: Alembic runs (and is imported) only when there is work."""
    if stored_revision(engine) != newest_revision():
        from finance_pack.store.migrate import upgrade

        upgrade(engine)
