"""The errors the product raises: what went wrong and what to do, never how a shell reports it.

They carry no exit code and no HTTP status: the CLI maps them to exit codes in one place
(`finance_pack.cli.exit_codes`), the API to statuses in one place (`finance_pack.api.errors`).
"""

from __future__ import annotations


class FinanceError(Exception):
    """A failure a user can act on; `hint` says what to do about it."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(FinanceError):
    """Bad usage or invalid input."""


class ValidationError(UsageError):
    """Input that does not satisfy a schema; `location` is `file:line` when known."""

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None):
        super().__init__(f"{location}: {message}" if location else message, hint=hint)
        self.location = location


class NotFoundError(FinanceError):
    """A named thing (pack, budget, invoice, ...) does not exist."""


class PermissionDeniedError(FinanceError):
    """The subject lacks a permission; `permission` names it."""

    def __init__(self, subject: str, permission: str, why: str | None = None) -> None:
        super().__init__(f"{subject} lacks permission {permission}" + (f": {why}" if why else ""))
        self.subject = subject
        self.permission = permission


class UnavailableError(FinanceError):
    """A dependency (database, provider) cannot be reached."""
