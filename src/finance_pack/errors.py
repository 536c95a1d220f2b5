"""Error types the shells turn into messages and exit codes in one place (`brctl.cli.main`)."""

from __future__ import annotations

from brctl.errors import CommandError, UsageError, ValidationError

__all__ = [
    "FinanceError",
    "NotFoundError",
    "PermissionDeniedError",
    "RetryLaterError",
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


class RetryLaterError(UnavailableError):
    """Busy or briefly unavailable: the same request can succeed after `retry_after` seconds.

    Shells show the message as is (the API also sets `Retry-After`), so it must not name
    paths, processes or versions.
    """

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after
