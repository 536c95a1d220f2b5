"""The streaming detector: seasonality, both margins, level shifts, gaps, bounded state."""

from __future__ import annotations

import base64
import struct
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
    assert restored == detector and restored_json == detector  # every field, both forms
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


def noisy(hour: int) -> float:
    """`calm` with a deterministic wobble of up to 10 %: enough for single points to cross a
    threshold the smoothed level does not."""
    return calm(hour) * (1 + 0.1 * ((hour * 37) % 7 - 3) / 3)


def ramp_flags(detector: SeriesDetector, first: int, days: int) -> list[int]:
    """Hours flagged while spend doubles over five days from `first`, then stays doubled."""
    flagged = []
    for hour in range(first, first + 24 * days):
        growth = 1 + min(hour - first, 120) / 120
        if detector.observe(START + hour * HOUR, noisy(hour) * growth).is_anomaly:
            flagged.append(hour)
    return flagged


def test_a_slow_ramp_is_flagged_once_while_it_lasts_against_last_weeks_level() -> None:
    detector = SeriesDetector(3600, DetectorSettings(absolute_margin=5.0))
    for hour in range(24 * 14):
        detector.observe(START + hour * HOUR, noisy(hour))
    first = 24 * 14
    flagged = ramp_flags(detector, first, days=9)
    assert flagged and first < flagged[0] < first + 120  # found while still ramping
    assert flagged == list(range(flagged[0], flagged[0] + len(flagged)))  # one alert
    assert len(flagged) < 24  # then accepted as the new level within a day


def test_a_ramp_verdict_reports_the_long_baseline_as_expected() -> None:
    detector = SeriesDetector(3600, DetectorSettings(absolute_margin=5.0))
    for hour in range(24 * 14):
        detector.observe(START + hour * HOUR, noisy(hour))
    for hour in range(24 * 14, 24 * 19):
        value = noisy(hour) * (1 + (hour - 24 * 14) / 120)
        verdict = detector.observe(START + hour * HOUR, value)
        if verdict.is_anomaly:
            break
    assert verdict.drift and not verdict.level_shift
    # Expected is what this hour cost before the ramp, within the noise.
    assert verdict.expected == pytest.approx(noisy(hour), rel=0.15)
    assert verdict.upper < value and verdict.score > 0.5


def test_growth_of_twenty_percent_a_month_is_never_drift() -> None:
    detector = SeriesDetector(3600, DetectorSettings(absolute_margin=5.0))
    verdicts = [
        detector.observe(START + hour * HOUR, noisy(hour) * (1 + 0.2 * hour / 720))
        for hour in range(24 * 70)
    ]
    assert [v.start for v in verdicts if v.is_anomaly] == []


def test_the_long_baseline_stands_still_in_an_anomaly_then_follows_the_level() -> None:
    detector = trained()
    hour = 24 * 14
    before = detector.long_level
    assert detector.observe(START + hour * HOUR, calm(hour) * 10).is_anomaly
    assert detector.long_level == before and detector.settle == 48  # two days of points
    detector.observe(START + (hour + 1) * HOUR, calm(hour + 1))
    assert detector.long_level == detector.level and detector.settle == 47


def test_the_long_baseline_otherwise_follows_the_level_over_a_week() -> None:
    detector = trained()
    assert detector.settle == 0
    detector.long_level -= 0.1  # as if spend had risen by a tenth
    before = detector.long_level
    hour = 24 * 14
    detector.observe(START + hour * HOUR, calm(hour))
    assert detector.long_level == pytest.approx(before + (detector.level - before) / 168)


def test_a_daily_series_long_baseline_spans_four_weeks() -> None:
    detector = SeriesDetector(86_400)
    for day in range(30):
        detector.observe(START + timedelta(days=day), 1000.0)
    detector.long_level -= 0.1
    before = detector.long_level
    detector.observe(START + timedelta(days=30), 1000.0)
    assert detector.long_level == pytest.approx(before + (detector.level - before) / 28)
    assert detector.settle_points == 3


def test_version_1_state_loads_with_the_level_as_its_long_baseline() -> None:
    season = [0.01 * n for n in range(24)] + [0.1, 0.2, 0.3, 0.4, 0.5, -0.6, -0.7]
    scalars = [3600.0, 200.0, 1_790_000_000.0, 3.75, 0.002, 0.05, 0.0, 0.0]
    packed = struct.pack("<39d", *scalars, *season)
    text = "p1:" + base64.b64encode(packed).decode()
    as_json = (
        '{"v": 1, "interval": 3600, "count": 200, "last": 1790000000.0, "level": 3.75, '
        '"trend": 0.002, "scale": 0.05, "hour": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '
        '0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "week": [0, 0, 0, 0, 0, 0, 0], "run": [2, 0.8]}'
    )
    for detector in (
        SeriesDetector.from_text(text, DetectorSettings()),
        SeriesDetector.from_text(as_json, DetectorSettings()),
    ):
        assert (detector.level, detector.long_level, detector.settle) == (3.75, 3.75, 0)
        assert (detector.count, detector.last_start, detector.trend) == (200, 1.79e9, 0.002)
    packed_v1 = SeriesDetector.from_text(text, DetectorSettings())
    assert packed_v1.hour_season == season[:24] and packed_v1.week_season == season[24:]
    assert SeriesDetector.from_text(as_json, DetectorSettings()).run == 2
    assert packed_v1.to_text().startswith("p2:")


def test_while_warming_up_the_long_baseline_is_the_level() -> None:
    detector = SeriesDetector(3600)
    for hour in range(40):
        detector.observe(START + hour * HOUR, calm(hour))
        assert detector.long_level == detector.level


def drifted(run: int) -> tuple[SeriesDetector, float]:
    """A detector whose level is e times its long baseline, `run` points into an anomaly,
    and a point at the next hour close to what spend used to be."""
    detector = trained(absolute_margin=1.0)
    detector.long_level = detector.level - 1.0
    detector.run, detector.run_sum = run, 0.1 * run
    return detector, calm(24 * 14) * 0.5


def test_a_drift_in_progress_goes_on_while_the_level_stays_high_even_if_a_point_dips() -> None:
    detector, dip = drifted(run=1)
    verdict = detector.observe(START + 24 * 14 * HOUR, dip)
    assert verdict.is_anomaly and verdict.drift
    detector, dip = drifted(run=0)
    assert not detector.observe(START + 24 * 14 * HOUR, dip).is_anomaly  # a new one needs both


def test_a_spike_during_a_drift_is_judged_by_the_point_test() -> None:
    detector, _dip = drifted(run=0)
    hour = 24 * 14
    verdict = detector.observe(START + hour * HOUR, calm(hour) * 10)
    assert verdict.is_anomaly and not verdict.drift
    assert verdict.expected == pytest.approx(calm(hour), rel=0.15)  # not the long baseline
