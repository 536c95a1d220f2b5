"""The loop every agent runs in: tick, sleep until the next thing is due, stop on SIGTERM.

An agent is a `tick(now) -> next_due` function; the runtime owns time and shutdown so agents
stay testable with a simulated clock (call `tick` directly with any `now`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType

from finance_pack.clock import Clock, SystemClock

log = logging.getLogger(__name__)

Tick = Callable[[datetime], datetime | None]


@dataclass
class AgentLoop:
    """Runs `tick` until `stop` is set; a failing tick is logged and retried, never a crash loop."""

    name: str
    tick: Tick
    clock: Clock = field(default_factory=SystemClock)
    stop: threading.Event = field(default_factory=threading.Event)
    idle: timedelta = timedelta(seconds=60)
    error_backoff: timedelta = timedelta(seconds=30)
    # Set by whoever has new work for this agent (the API queuing an alert): the wait between
    # ticks ends then instead of at the next poll.
    wake: threading.Event | None = None

    def run(self) -> None:
        log.info("agent %s started", self.name)
        while not self.stop.is_set():
            now = self.clock.now()
            if self.wake is not None:
                self.wake.clear()  # before the tick: work arriving during it wakes the next wait
            try:
                due = self.tick(now)
            except Exception:  # an agent must outlive any one bad tick; the next one retries
                log.exception("agent %s: tick failed; retry in %s", self.name, self.error_backoff)
                due = now + self.error_backoff
            wait = min((due or now + self.idle) - self.clock.now(), self.idle)
            self._pause(max(wait.total_seconds(), 0.05))
        log.info("agent %s stopped", self.name)

    def _pause(self, seconds: float) -> None:
        """Until `seconds` pass, `stop` is set or, with a `wake` event, work arrives."""
        if self.wake is None:
            self.stop.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if self.wake.wait(min(left, 0.25)):  # a quarter second: `stop` stays prompt
                return


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop`, so the current tick finishes and the loop exits cleanly."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping after the current step", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
