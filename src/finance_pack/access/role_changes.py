"""The finance pack's `brctl roles bind|unbind` hook: the audit record for a roles.yaml edit.

`brctl.roles.apply_edit` enters this transaction (the record is written, uncommitted), replaces
roles.yaml, then leaves it (commit). A failed file write rolls the record back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brctl.roles import RoleChange
from finance_pack.access.audit import audited_transaction
from finance_pack.clock import SYSTEM_CLOCK
from finance_pack.context import PackContext
from finance_pack.store.engine import make_engine
from finance_pack.store.revisions import upgrade_if_behind


@contextmanager
def record_role_change(pack_dir: Path, change: RoleChange) -> Iterator[None]:
    context = PackContext(target=pack_dir.parent.parent, pack_dir=pack_dir)
    engine = make_engine(context.state_db_url)
    upgrade_if_behind(engine)
    try:
        with audited_transaction(
            engine,
            change.actor,
            change.action,
            change.subject,
            {"roles": change.before},
            {"roles": change.after},
            via="cli",
            at=SYSTEM_CLOCK.now(),  # brctl's role commands call in here: no clock of theirs
        ):
            yield
    finally:
        engine.dispose()
