"""The one place where the product's errors become exit codes (`brctl` asks through the pack)."""

from __future__ import annotations

from collections.abc import Mapping

from finance_pack.domain.errors import (
    FinanceError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
    UsageError,
)
from finance_pack.domain.money import CurrencyMismatchError

# Most specific first: the first type the error is an instance of decides.
EXIT_CODES: Mapping[type[Exception], int] = {
    UsageError: 2,
    NotFoundError: 2,
    CurrencyMismatchError: 2,
    PermissionDeniedError: 3,
    UnavailableError: 4,
    FinanceError: 1,
}


def exit_code_for(exc: BaseException) -> int | None:
    """The exit code of one of our errors; None for anything else (a bug: brctl shows it)."""
    for kind, code in EXIT_CODES.items():
        if isinstance(exc, kind):
            return code
    return None
