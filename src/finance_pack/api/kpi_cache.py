"""KPI answers cached per cost-store snapshot and budget version, computed once per key.

A KPI report only changes when data arrives (a new snapshot) or a budget changes, so the key is
a digest of both plus the request; it doubles as the answer's `ETag`. Twenty clients asking at
once after an ingest wait for one computation instead of running twenty.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

# Snapshots x budget versions x (month, budgets, forecaster) a dashboard cycles through.
DEFAULT_CAPACITY = 256


def kpi_cache_key(
    snapshot_id: str,
    budgets: Sequence[dict[str, Any]],
    request: dict[str, Any],
    today: date,
) -> str:
    """An opaque digest: it reveals nothing of the snapshot, the budgets or the store."""
    material = json.dumps(
        [snapshot_id, list(budgets), request, today.isoformat()], sort_keys=True, default=str
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class KpiCache:
    """A bounded LRU of serialised answers with one computation in flight per key."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._computing: dict[str, threading.Lock] = {}

    def get_or_compute(self, key: str, compute: Callable[[], bytes]) -> bytes:
        with self._lock:
            answer = self._cached(key)
            if answer is not None:
                return answer
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                answer = self._cached(key)
            if answer is not None:
                return answer
            answer = compute()  # an error is not cached: the next caller tries again
            with self._lock:
                self._answers[key] = answer
                while len(self._answers) > self._capacity:
                    self._answers.popitem(last=False)
                self._computing.pop(key, None)
            return answer

    def _cached(self, key: str) -> bytes | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer
