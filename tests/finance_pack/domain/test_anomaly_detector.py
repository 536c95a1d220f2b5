"""The streaming detector: seasonality, both margins, level shifts, gaps, bounded state."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finance_pack.domain.anomaly import DetectorSettings, Direction, LatePointError, SeriesDetector

START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)


def calm(hour: int) -> float:
    """Working hours cost more, weekends less: a real bill's daily and weekly shape."""
    moment = START + hour * HOUR
    day = 60.0 if 8 <= moment.hour < 18 else 30.0
    return day * (0.6 if moment.weekday() >= 5 else 1.0) + (hour * 7 % 5) * 0.4


def trained(hours: int = 24 * 14, **options: object) -> SeriesDetector:
    detector = SeriesDetector(3600, DetectorSettings(**options))  # type: ignore[arg-type]
    for hour in range(hours):
        detector.observe(START + hour * HOUR, calm(hour))
    return detector


def test_two_weeks_of_seasonal_spend_raise_no_alarm() -> None:
    detector = SeriesDetector(3600, DetectorSettings(absolute_margin=5.0))
    flagged = [
        hour
        for hour in range(24 * 21)
        if detector.observe(START + hour * HOUR, calm(hour)).is_anomaly
    ]
    assert flagged == []


def test_a_spike_is_flagged_on_the_point_itself_with_a_high_score() -> None:
    detector = trained()
    hour = 24 * 14
    verdict = detector.observe(START + hour * HOUR, calm(hour) * 4)
    assert verdict.is_anomaly and verdict.score > 0.5
    assert verdict.lower < calm(hour) < verdict.upper


def test_weekend_spend_is_judged_against_weekends() -> None:
    detector = trained()
    saturday_noon = 24 * 19 + 12  # a Saturday
    assert (START + saturday_noon * HOUR).weekday() == 5
    expected = detector.observe(START + saturday_noon * HOUR, calm(saturday_noon)).expected
    weekday_noon = saturday_noon - 24
    assert abs(expected - calm(saturday_noon)) < abs(expected - calm(weekday_noon)) / 2


def test_both_margins_must_be_exceeded() -> None:
    relative_only = trained(absolute_margin=1000.0)
    hour = 24 * 14
    assert not relative_only.observe(START + hour * HOUR, calm(hour) * 4).is_anomaly
    absolute_only = trained(relative_margin=10.0, absolute_margin=1.0)
    assert not absolute_only.observe(START + hour * HOUR, calm(hour) * 4).is_anomaly


def test_direction_decides_which_side_is_anomalous() -> None:
    hour = 24 * 14
    drop = calm(hour) * 0.05
    assert not trained().observe(START + hour * HOUR, drop).is_anomaly
    assert (
        trained(direction=Direction.DOWN, absolute_margin=5.0)
        .observe(START + hour * HOUR, drop)
        .is_anomaly
    )
    assert (
        trained(direction=Direction.BOTH, absolute_margin=5.0)
        .observe(START + hour * HOUR, drop)
        .is_anomaly
    )


def test_a_level_shift_alerts_then_becomes_the_new_normal() -> None:
    detector = trained()
    flags = []
    for hour in range(24 * 14, 24 * 17):
        flags.append(detector.observe(START + hour * HOUR, calm(hour) * 2.5).is_anomaly)
    assert flags[0] is True
    assert not any(flags[24:])  # learnt within a day
    assert sum(flags) <= 6


def test_a_spike_does_not_teach_the_baseline() -> None:
    detector = trained()
    hour = 24 * 14
    detector.observe(START + hour * HOUR, calm(hour) * 10)
    assert not detector.observe(START + (hour + 1) * HOUR, calm(hour + 1)).is_anomaly
    assert detector.observe(START + (hour + 2) * HOUR, calm(hour + 2) * 4).is_anomaly


def test_a_point_not_after_the_last_is_refused() -> None:
    detector = trained(hours=30)
    with pytest.raises(LatePointError):
        detector.observe(START + 29 * HOUR, 40.0)
    with pytest.raises(LatePointError):
        detector.observe(START + 3 * HOUR, 40.0)


def test_nothing_is_flagged_while_warming_up() -> None:
    detector = SeriesDetector(3600)
    verdicts = [detector.observe(START + h * HOUR, 40.0 if h != 5 else 4000.0) for h in range(10)]
    assert not any(v.is_anomaly for v in verdicts) and verdicts[5].warming_up


def test_state_round_trips_and_stays_small() -> None:
    detector = trained()
    text = detector.to_text()
    assert len(text) < 500
    restored = SeriesDetector.from_text(text, DetectorSettings())
    restored_json = SeriesDetector.from_state(detector.to_state(), DetectorSettings())
    hour = 24 * 14
    moment = START + hour * HOUR
    original = detector.observe(moment, 300.0)
    assert restored.observe(moment, 300.0) == original
    assert restored_json.observe(moment, 300.0) == original


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e7, allow_nan=False), min_size=2, max_size=80))
def test_scores_are_always_between_zero_and_one(values: list[float]) -> None:
    detector = SeriesDetector(3600, DetectorSettings(warmup_points=1))
    for hour, value in enumerate(values):
        verdict = detector.observe(START + hour * HOUR, value)
        assert 0.0 <= verdict.score <= 1.0
        assert verdict.is_anomaly == (verdict.score > 0.5)


def test_the_verdict_on_a_point_does_not_depend_on_later_points() -> None:
    first, second = trained(hours=24 * 3), trained(hours=24 * 3)
    moment = START + 24 * 3 * HOUR
    assert first.observe(moment, 123.0) == second.observe(moment, 123.0)


def test_a_credit_is_judged_but_not_learnt() -> None:
    with_credit, without = trained(), trained()
    hour = 24 * 14
    credit = with_credit.observe(START + hour * HOUR, -900.0)
    assert not credit.is_anomaly  # watching spend upwards, a credit is no alarm
    after = START + (hour + 1) * HOUR
    expected = with_credit.observe(after, calm(hour + 1)).expected
    assert expected == pytest.approx(without.observe(after, calm(hour + 1)).expected, rel=0.002)


def test_restored_state_equals_the_original_with_the_settings_given() -> None:
    detector = trained(hours=24 * 3)
    detector.run, detector.run_sum = 2, 1.25
    own = DetectorSettings(relative_margin=0.5, direction=Direction.BOTH)
    from_text = SeriesDetector.from_text(detector.to_text(), own)
    from_state = SeriesDetector.from_state(detector.to_state(), own)
    legacy_json = SeriesDetector.from_text(json.dumps(detector.to_state()), own)
    for restored in (from_text, from_state, legacy_json):
        assert restored == SeriesDetector(**{**vars_of(detector), "settings": own})


def test_a_fresh_detector_round_trips_without_a_last_point() -> None:
    fresh = SeriesDetector(86400)
    assert SeriesDetector.from_text(fresh.to_text(), DetectorSettings()).last_start is None
    assert SeriesDetector.from_state(fresh.to_state(), DetectorSettings()) == fresh


def test_an_unknown_state_version_is_refused_by_name() -> None:
    state = {**SeriesDetector(3600).to_state(), "v": 99}
    with pytest.raises(ValueError, match=r"^unknown detector state version 99$"):
        SeriesDetector.from_state(state, DetectorSettings())


def vars_of(detector: SeriesDetector) -> dict[str, object]:
    return {f.name: getattr(detector, f.name) for f in dataclasses.fields(detector)}
