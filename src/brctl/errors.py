"""The error type every pack's errors derive from, so `brctl` reports them in one place."""

from __future__ import annotations


class CommandError(Exception):
    """A failure a user can act on; `exit_code` 2 is bad usage or invalid input."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(CommandError):
    exit_code = 2


class ValidationError(UsageError):
    """Input that does not satisfy a schema; `location` is `file:line` when known."""

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None):
        super().__init__(f"{location}: {message}" if location else message, hint=hint)
        self.location = location
