"""Access control: who may do what, API tokens, and the audit log.

- CLI commands: `authorize_cli(context, permission, acting_as)` (see `actors`).
- API routes: `finance_pack.api.auth.require("resource:verb")`.
- Every mutating action: `record_audit(connection, actor, ...)` in the change's transaction.
"""

from finance_pack.access.actors import ActingAsOption, Actor, Via, authorize_cli
from finance_pack.access.audit import AuditRecord, audited_transaction, read_audit, record_audit

__all__ = [
    "ActingAsOption",
    "Actor",
    "AuditRecord",
    "Via",
    "audited_transaction",
    "authorize_cli",
    "read_audit",
    "record_audit",
]
