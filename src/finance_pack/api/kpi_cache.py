"""KPI answers cached per cost-store snapshot, budget version and clock step, computed once.

A KPI report only changes when data arrives (a new snapshot), a budget changes, or the clock
moves the figures that depend on it (the data age in 0.1 h, the default month, a month
closing). The key is a digest of those plus the request; it doubles as the answer's `ETag`.
Twenty clients asking at once after an ingest wait for one computation instead of running
twenty. The API (`/v1/kpis`, `/v1/forecast/backtest`) and the dashboard's pages keep their
answers in the one cache of their app (`AppState.kpi_cache`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

# Snapshots x budget versions x (month, budgets, forecaster) x pages a dashboard cycles through.
DEFAULT_CAPACITY = 256

#: The clock step answers are computed for. A data age is shown in steps of 6 minutes counted
#: from a whole hour or day, and months start at local midnight (a multiple of 15 minutes from
#: UTC midnight): every one of those instants is a multiple of 3 minutes, so an answer computed
#: at the start of a 3-minute step is the answer for any instant in it.
CLOCK_STEP = timedelta(minutes=3)

T = TypeVar("T")

log = logging.getLogger(__name__)


def clock_step(now: datetime) -> datetime:
    """The start of the clock step that holds `now` (tz-aware UTC)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + (now - epoch) // CLOCK_STEP * CLOCK_STEP


def _digest(material: object) -> str:
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CacheKeys:
    """`key`: this question on this snapshot, budget version and clock step (the ETag);
    `question`: the same question on any snapshot and step (what stale-while-recomputing
    serves); `at`: the instant the answer is computed for (None: it does not read the clock)."""

    key: str
    question: str
    at: datetime | None

    @property
    def etag(self) -> str:
        return f'"{self.key}"'


def answer_keys(
    kind: str,
    snapshot_id: str,
    budgets_version: str,
    asked: Mapping[str, Any],
    now: datetime | None,
) -> CacheKeys:
    """Opaque digests: they reveal nothing of the snapshot, the budgets or the store."""
    at = clock_step(now) if now is not None else None
    question = [kind, budgets_version, dict(asked)]
    return CacheKeys(
        _digest([snapshot_id, at.isoformat() if at else None, *question]),
        _digest(question),
        at,
    )


class KpiCache:
    """A bounded LRU of answers with one computation in flight per key.

    While the answer for a new snapshot is computed, other callers asking the same question
    get the newest answer already computed for it (`question`: the key without the snapshot)
    instead of queueing behind the computation: a complete snapshot, one ingest older.
    Answers are immutable values (bytes, frozen dataclasses), shared by every caller.

    With `in_background`, even the caller that starts the computation gets that older answer
    at once, and the new one is computed on a thread of its own: for answers that take
    seconds (the forecast back-test), where one ingest older is worth more than a page that
    hangs. A question never answered before is still computed while its caller waits.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, object] = OrderedDict()
        self._computing: dict[str, threading.Lock] = {}
        self._latest: OrderedDict[str, tuple[str, object]] = OrderedDict()
        self._background: set[threading.Thread] = set()

    def get_or_compute(
        self,
        key: str,
        compute: Callable[[], T],
        *,
        question: str | None = None,
        in_background: bool = False,
    ) -> tuple[str, T]:
        """(the key answered, the answer): `key`, or an older key of the same `question`."""
        with self._lock:
            answer = self._cached(key)
            if answer is not None:
                return key, cast(T, answer)
            gate = self._computing.setdefault(key, threading.Lock())
        computing_here = gate.acquire(blocking=False)
        with self._lock:
            latest = self._latest.get(question) if question else None
            answer = self._cached(key)
        if answer is not None:  # computed between the two looks
            if computing_here:
                gate.release()
            return key, cast(T, answer)
        if latest is not None and not computing_here:
            return latest[0], cast(T, latest[1])
        if latest is not None and in_background:
            self._start_background(key, compute, question, gate)
            return latest[0], cast(T, latest[1])
        if not computing_here:
            gate.acquire()
        try:
            with self._lock:
                answer = self._cached(key)
            if answer is None:
                answer = compute()  # an error is not cached: the next caller tries again
                self._store(key, answer, question)
            return key, cast(T, answer)
        finally:
            gate.release()

    def settle(self, timeout: float | None = None) -> None:
        """Wait for the computations running in the background (tests; an orderly stop)."""
        with self._lock:
            running = list(self._background)
        for thread in running:
            thread.join(timeout)

    def _start_background(
        self, key: str, compute: Callable[[], T], question: str | None, gate: threading.Lock
    ) -> None:
        def run() -> None:
            try:
                self._store(key, compute(), question)
            except Exception:  # not cached: the next caller tries again
                log.warning("computing a cached answer in the background failed", exc_info=True)
            finally:
                gate.release()  # acquired by the caller that started this thread
                with self._lock:
                    self._background.discard(thread)

        thread = threading.Thread(target=run, name=f"kpi-cache-{key[:8]}", daemon=True)
        with self._lock:
            self._background.add(thread)
        thread.start()

    def _store(self, key: str, answer: object, question: str | None) -> None:
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

    def _cached(self, key: str) -> object | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer


def entity_tags(header: str | None) -> set[str]:
    """The entity tags of an `If-None-Match` header (weak ones compare equal, RFC 9110)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def validators(etag: str) -> dict[str, str]:
    """Answers depend on who asks (permissions, the signed-in name): private, and revalidated
    on every use (a 304 costs no computation)."""
    return {"ETag": etag, "Cache-Control": "private, no-cache"}
