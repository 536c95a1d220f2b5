"""The product's error types, for the layers above the domain (defined in `domain.errors`)."""

from __future__ import annotations

from finance_pack.domain.errors import (
    FinanceError,
    NotFoundError,
    PermissionDeniedError,
    UnavailableError,
    UsageError,
    ValidationError,
)

__all__ = [
    "FinanceError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnavailableError",
    "UsageError",
    "ValidationError",
]
