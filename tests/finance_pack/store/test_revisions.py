"""The automatic upgrade's shortcut: the revisions it compares agree with Alembic's own."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import current_revision, head_revision, upgrade
from finance_pack.store.revisions import newest_revision, stored_revision, upgrade_if_behind


def test_the_newest_migration_file_is_alembics_head() -> None:
    assert newest_revision() == head_revision()


def test_every_migration_declares_the_revision_its_file_name_numbers() -> None:
    versions = files("finance_pack.store") / "migrations" / "versions"
    for migration in versions.iterdir():
        if not re.fullmatch(r"\d{4}_\w+\.py", migration.name):
            continue
        declared = re.search(r'^revision = "(\w+)"$', migration.read_text(), re.MULTILINE)
        assert declared is not None, migration.name
        assert declared.group(1) == migration.name[:4], migration.name


def test_a_store_never_migrated_has_no_revision_and_gets_the_whole_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    assert stored_revision(engine) is None
    upgrade_if_behind(engine)
    assert current_revision(engine) == head_revision()


def test_a_store_one_revision_behind_is_upgraded(tmp_path: Path) -> None:
    from alembic import command

    from finance_pack.store.migrate import _config

    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head-1")
    behind = stored_revision(engine)
    assert behind is not None and behind != head_revision()
    upgrade_if_behind(engine)
    assert stored_revision(engine) == current_revision(engine) == head_revision()


def test_a_store_at_the_newest_revision_reads_as_current(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/current.db")
    upgrade(engine)
    assert stored_revision(engine) == newest_revision()
