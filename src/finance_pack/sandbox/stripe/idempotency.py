"""Stripe's idempotency: the same key and parameters replay the stored answer; the same key
with other parameters is an idempotency error."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from finance_pack.sandbox.stripe.errors import StripeApiError


@dataclass
class StoredAnswer:
    fingerprint: tuple[str, str, str]
    status: int
    body: dict[str, Any]


class IdempotencyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, StoredAnswer] = {}

    def replay(self, key: str, fingerprint: tuple[str, str, str]) -> StoredAnswer | None:
        """The stored answer for `key`; an idempotency error when its parameters differ."""
        with self._lock:
            stored = self._answers.get(key)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise StripeApiError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                kind="idempotency_error",
            )
        return stored

    def store(self, key: str, fingerprint: tuple[str, str, str], status: int, body: Any) -> None:
        with self._lock:
            self._answers.setdefault(key, StoredAnswer(fingerprint, status, body))
