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
    """A bounded LRU of serialised answers with one computation in flight per key.

    While the answer for a new snapshot is computed, other callers asking the same question
    get the newest answer already computed for it (`question`: the key without the snapshot)
    instead of queueing behind the computation: a complete snapshot, one ingest older.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._computing: dict[str, threading.Lock] = {}
        self._latest: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    def get_or_compute(
        self, key: str, compute: Callable[[], bytes], *, question: str | None = None
    ) -> tuple[str, bytes]:
        """(the key answered, the answer): `key`, or an older key of the same `question`."""
        with self._lock:
            answer = self._cached(key)
            if answer is not None:
                return key, answer
            gate = self._computing.setdefault(key, threading.Lock())
        if not gate.acquire(blocking=False):
            with self._lock:
                latest = self._latest.get(question) if question else None
            if latest is not None:
                return latest
            gate.acquire()
        try:
            with self._lock:
                answer = self._cached(key)
            if answer is None:
                answer = compute()  # an error is not cached: the next caller tries again
                self._store(key, answer, question)
            return key, answer
        finally:
            gate.release()

    def _store(self, key: str, answer: bytes, question: str | None) -> None:
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self._capacity:
                self._answers.popitem(last=False)
            self._computing.pop(key, None)
            if question:
                self._latest[question] = (key, answer)
                self._latest.move_to_end(question)
                while len(self._latest) > self._capacity:
                    self._latest.popitem(last=False)

    def _cached(self, key: str) -> bytes | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer
