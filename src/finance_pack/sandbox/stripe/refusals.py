"""Refusals on demand: Stripe answering an operation with a 4xx error object, as it does for
an invalid customer, a currency it will not combine, or an amount over the account's limit.

Unlike the 429/500 faults (`FaultPlan`), a refusal is an answer Stripe gives after executing
the request: it is stored under the request's Idempotency-Key and replayed to a retry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from finance_pack.sandbox.stripe.errors import StripeApiError


@dataclass(slots=True)
class Refusal:
    operation: str  # e.g. "invoices.finalize"
    status: int
    message: str
    code: str | None
    param: str | None
    remaining: int | None  # None: until cleared


class RefusalPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refusals: list[Refusal] = []

    def add(
        self,
        operation: str,
        message: str,
        *,
        status: int = 400,
        code: str | None = None,
        param: str | None = None,
        count: int | None = None,
    ) -> Refusal:
        if not 400 <= status < 500 or status == 429:
            raise ValueError("a refusal's status is a 4xx other than 429 (use a fault for 429)")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        refusal = Refusal(operation, status, message, code, param, count)
        with self._lock:
            self._refusals.append(refusal)
        return refusal

    def take(self, operation: str) -> StripeApiError | None:
        """The error refusing this call of `operation`, if any (consuming one counted call)."""
        with self._lock:
            for refusal in self._refusals:
                if refusal.operation == operation and refusal.remaining != 0:
                    if refusal.remaining is not None:
                        refusal.remaining -= 1
                    return StripeApiError(
                        refusal.status, refusal.message, code=refusal.code, param=refusal.param
                    )
            return None

    def clear(self) -> None:
        with self._lock:
            self._refusals.clear()
