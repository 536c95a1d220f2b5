"""Error types the shells turn into messages and exit codes in one place (`brctl.cli.main`)."""

from __future__ import annotations

from brctl.errors import CommandError, UsageError, ValidationError

__all__ = [
    "ConflictError",
    "FinanceError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnavailableError",
    "UsageError",
    "ValidationError",
]

FinanceError = CommandError


class NotFoundError(CommandError):
    """A named thing (pack, budget, invoice, ...) does not exist."""

    exit_code = 2


class PermissionDeniedError(CommandError):
    """The subject lacks a permission; `permission` names it."""

    exit_code = 3

    def __init__(self, subject: str, permission: str, why: str | None = None) -> None:
        super().__init__(f"{subject} lacks permission {permission}" + (f": {why}" if why else ""))
        self.subject = subject
        self.permission = permission


class UnavailableError(CommandError):
    """A dependency (database, provider) cannot be reached."""

    exit_code = 4


class ConflictError(CommandError):
    """The request contradicts an earlier one (an idempotency key reused with other data)."""

    exit_code = 2
