"""The per-channel pacer spaces posts to one channel without holding back the others."""

from __future__ import annotations

from finance_pack.providers.slack import ChannelPacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_posts_to_one_channel_are_spaced_by_the_interval() -> None:
    clock = FakeTime()
    pacer = ChannelPacer(1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    waits = [pacer.wait_for_slot("C1") for _ in range(3)]
    assert waits == [0.0, 1.0, 1.0]
    assert clock.now == 102.0


def test_other_channels_are_not_held_back() -> None:
    clock = FakeTime()
    pacer = ChannelPacer(1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    pacer.wait_for_slot("C1")
    assert pacer.wait_for_slot("C2") == 0.0
    assert clock.slept == []


def test_time_already_passed_counts_towards_the_interval() -> None:
    clock = FakeTime()
    pacer = ChannelPacer(1.0, monotonic=clock.monotonic, sleep=clock.sleep)
    pacer.wait_for_slot("C1")
    clock.now += 0.75
    assert pacer.wait_for_slot("C1") == 0.25
