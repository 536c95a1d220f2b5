"""Who is acting, and what they may do: one way for CLI commands to check a permission.

A mutating command calls `authorize_cli` before touching anything, then records its change
with `finance_pack.access.audit.record_audit` in the same transaction:

    actor = authorize_cli(context, "budgets:write", acting_as)
    with engine.begin() as connection:
        ...change...
        record_audit(connection, actor, "budgets.update", "budget:core", before, after, via="cli")

The acting subject is `--as SUBJECT` (`ActingAsOption`), else `$BLACKROAD_SUBJECT`, else the
local operator `local:<os user>`, who holds every permission when they can write the pack
directory (they could edit roles.yaml by hand anyway; this is how the first Policy Steward is
bound). See `brctl.roles` for subjects and bindings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from brctl.roles import acting_grant
from brctl.roles_cli import ActingAsOption
from finance_pack.context import PackContext
from finance_pack.errors import PermissionDeniedError

__all__ = ["ActingAsOption", "Actor", "Via", "authorize_cli"]

Via = Literal["cli", "api", "agent"]


@dataclass(frozen=True)
class Actor:
    """An authenticated subject with the permissions it holds right now."""

    subject: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    reason: str
    via: Via
    token_id: str | None = None

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


def authorize_cli(context: PackContext, permission: str, acting_as: str | None) -> Actor:
    """The acting subject for a CLI command; raises PermissionDeniedError (exit 3) without
    `permission`, UsageError (exit 2) for a malformed subject or an undeclared permission."""
    grant = acting_grant(acting_as, permission, context.pack_dir, context.manifest)
    if not grant.allows(permission):
        raise PermissionDeniedError(grant.subject, permission, grant.reason)
    return Actor(grant.subject, grant.roles, grant.permissions, grant.reason, via="cli")
