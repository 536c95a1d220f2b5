"""Faults last for a number of calls or a duration, per method or for every call."""

from __future__ import annotations

import pytest

from finance_pack.sandbox.slack.faults import FaultPlan


def test_counted_fault_answers_that_many_calls_of_its_method_only() -> None:
    plan = FaultPlan()
    plan.add(429, now=0.0, method="chat.postMessage", count=2, retry_after=3)
    assert plan.take("auth.test", 0.0) is None
    answered = [plan.take("chat.postMessage", 0.0) for _ in range(3)]
    assert [fault.status if fault else None for fault in answered] == [429, 429, None]


def test_timed_fault_ends_when_its_duration_has_passed() -> None:
    plan = FaultPlan()
    plan.add(500, now=10.0, seconds=5)
    assert plan.take("auth.test", 14.9) is not None
    assert plan.take("auth.test", 15.0) is None


def test_fault_without_count_or_duration_lasts_until_cleared() -> None:
    plan = FaultPlan()
    plan.add(503, now=0.0)
    assert plan.take("x", 1e9) is not None
    plan.clear()
    assert plan.take("x", 0.0) is None


def test_statuses_other_than_429_and_5xx_are_rejected() -> None:
    with pytest.raises(ValueError, match="fault status"):
        FaultPlan().add(404, now=0.0)
