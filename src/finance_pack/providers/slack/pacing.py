"""Keep within Slack's posting rate: about one message per second per channel.

Slack documents `chat.postMessage` as "1 per second per channel, short bursts allowed"; going
faster earns 429s, so we space posts ourselves instead of relying on retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class ChannelPacer:
    """Hands out posting slots at least `min_interval` seconds apart per channel.

    Each caller reserves its slot under the lock and sleeps outside it, so concurrent posters
    to one channel queue up in order while other channels are not held back.
    """

    def __init__(
        self,
        min_interval: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if min_interval < 0:
            raise ValueError("min_interval must not be negative")
        self.min_interval = min_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def wait_for_slot(self, channel: str) -> float:
        """Blocks until `channel` may be posted to; returns the seconds waited."""
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._next_slot.get(channel, now))
            self._next_slot[channel] = slot + self.min_interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait
