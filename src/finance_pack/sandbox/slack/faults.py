"""Faults the emulator can be told to answer with, and the log of requests it received."""

from __future__ import annotations

import threading
from dataclasses import dataclass

# The upload URL is not a Web API method; faults and the request log name it so.
UPLOAD_METHOD = "files.upload.v2-url"
FAULT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(slots=True)
class Fault:
    """Answer `status` to calls of `method` (None: every call) while it lasts.

    It lasts for `remaining` calls, or until the monotonic time `until`, or both (whichever
    ends first); with neither it lasts until cleared.
    """

    status: int
    method: str | None
    remaining: int | None
    until: float | None
    retry_after: int

    def applies_to(self, method: str, now: float) -> bool:
        return self.method in (None, method) and not self.expired(now)

    def expired(self, now: float) -> bool:
        used_up = self.remaining is not None and self.remaining <= 0
        return used_up or (self.until is not None and now >= self.until)


class FaultPlan:
    """Thread-safe list of active faults; the first one that applies answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        status: int,
        *,
        now: float,
        method: str | None = None,
        count: int | None = None,
        seconds: float | None = None,
        retry_after: int = 1,
    ) -> Fault:
        if status not in FAULT_STATUSES:
            raise ValueError(f"fault status must be one of {sorted(FAULT_STATUSES)}")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1")
        if retry_after < 0:
            raise ValueError("retry_after must not be negative")
        until = now + seconds if seconds is not None else None
        fault = Fault(status, method, count, until, retry_after)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, now: float) -> Fault | None:
        """The fault answering this call, if any (consuming one of its counted calls)."""
        with self._lock:
            self._faults = [fault for fault in self._faults if not fault.expired(now)]
            for fault in self._faults:
                if fault.applies_to(method, now):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it; `at` is its monotonic clock on arrival."""

    method: str
    at: float
    status: int
    error: str | None

    def as_json(self) -> dict[str, object]:
        return {"method": self.method, "at": self.at, "status": self.status, "error": self.error}


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [entry for entry in self._entries if method in (None, entry.method)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
