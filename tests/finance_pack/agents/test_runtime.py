"""The agent loop: new work wakes it before its next poll, and stop is prompt while it waits."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from finance_pack.agents.runtime import AgentLoop


class Ticks:
    """A tick that records each call and asks to be called again in an hour."""

    def __init__(self) -> None:
        self.calls = 0
        self.called = threading.Event()

    def __call__(self, now: datetime) -> datetime:
        self.calls += 1
        self.called.set()
        return now + timedelta(hours=1)


def start(loop: AgentLoop) -> threading.Thread:
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    return thread


def test_work_arriving_wakes_the_loop_before_its_next_poll() -> None:
    ticks, wake = Ticks(), threading.Event()
    loop = AgentLoop("test", ticks, idle=timedelta(hours=1), wake=wake)
    thread = start(loop)
    assert ticks.called.wait(10)
    ticks.called.clear()
    wake.set()
    assert ticks.called.wait(10)  # not an hour later
    assert ticks.calls == 2
    loop.stop.set()
    thread.join(10)
    assert not thread.is_alive()


def test_stop_ends_a_loop_that_waits_for_work() -> None:
    ticks = Ticks()
    loop = AgentLoop("test", ticks, idle=timedelta(hours=1), wake=threading.Event())
    thread = start(loop)
    assert ticks.called.wait(10)
    loop.stop.set()
    thread.join(10)
    assert not thread.is_alive() and ticks.calls == 1
