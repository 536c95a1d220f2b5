"""Bad, late and odd points: each is handled on purpose, nothing is half-written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cost_watcher_support import EC2, S3, SETTINGS, START, baseline, hourly, normal_cost
from sqlalchemy import Engine, func, select

from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.clock import FakeClock
from finance_pack.domain.anomaly.points import PointError, StreamPoint
from finance_pack.domain.costs import CumulativeSample, interval_spend
from finance_pack.store.watcher_tables import watcher_incidents, watcher_points


def count_points(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(watcher_points)).scalar_one()
        )


def test_duplicates_are_ignored_and_a_changed_repeat_revises_the_stored_cost(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock, hours=10)
    again = watcher.ingest([hourly(EC2, 9, normal_cost(9))], clock.now())
    assert (again.duplicates, again.accepted) == (1, 0)
    revised = watcher.ingest([hourly(EC2, 9, "41.00")], clock.now())
    assert revised.revised == 1
    with engine.connect() as connection:
        row = connection.execute(
            select(watcher_points).where(
                watcher_points.c.interval_start == START + timedelta(hours=9)
            )
        ).one()
    assert (row.cost, row.status) == ("41.00", "revised")
    assert count_points(engine) == 10


def test_out_of_order_points_in_one_batch_are_judged_in_time_order(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    points = [hourly(EC2, hour, normal_cost(hour)) for hour in reversed(range(72))]
    result = watcher.ingest(points, clock.now())
    assert (result.accepted, result.late, result.anomalies) == (72, 0, 0)


def test_a_late_point_is_stored_but_never_alerts(engine: Engine, clock: FakeClock) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    late = StreamPoint(
        EC2, START - timedelta(hours=5), START - timedelta(hours=4), Decimal("5000"), "USD"
    )
    result = watcher.ingest([late], clock.now())
    assert (result.late, result.anomalies, result.incidents_opened) == (1, 0, [])
    assert count_points(engine) == 73


def test_a_gap_of_several_days_neither_alerts_on_normal_spend_nor_forgets_the_baseline(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock, hours=24 * 7)
    after_gap = 24 * 11
    calm = watcher.ingest([hourly(EC2, after_gap, normal_cost(after_gap))], clock.now())
    assert calm.anomalies == 0
    spike = watcher.ingest([hourly(EC2, after_gap + 1, "500.00")], clock.now())
    assert spike.anomalies == 1


def test_a_cumulative_source_across_the_month_boundary_raises_no_alert(
    engine: Engine, clock: FakeClock
) -> None:
    """EstimatedCharges grows through November and restarts at 0 on 1 December."""
    samples, total = [], Decimal(0)
    moment = datetime(2026, 11, 20, tzinfo=UTC)
    while moment < datetime(2026, 12, 3, tzinfo=UTC):
        moment += timedelta(hours=1)
        if moment.day == 1 and moment.hour == 0:
            total = Decimal(0)
        total += Decimal("40.00")
        samples.append(CumulativeSample(moment, total))
    watcher = CostWatcher(engine, SETTINGS)
    dims = (("provider", "aws"), ("service", "AmazonEC2"))
    points = [
        StreamPoint(dims, i.start, i.end, i.amount, "USD")
        for i in interval_spend(samples)
        if i.end > i.start
    ]
    assert all(p.cost >= 0 for p in points)
    result = watcher.ingest(points, clock.now())
    assert result.anomalies == 0


def test_another_currency_is_converted_with_the_configured_rate_or_refused(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock, hours=10)
    converted = watcher.ingest([hourly(EC2, 10, "40.00", "EUR")], clock.now())
    assert converted.accepted == 1
    with engine.connect() as connection:
        row = connection.execute(
            select(watcher_points).order_by(watcher_points.c.id.desc())
        ).first()
    assert (row.cost, row.currency) == ("44.0000", "USD")
    with pytest.raises(PointError) as refused:
        watcher.ingest([hourly(EC2, 11, "40.00"), hourly(EC2, 12, "40.00", "GBP")], clock.now())
    assert refused.value.location == "[1].currency"
    assert count_points(engine) == 11  # the whole batch was refused


def test_a_new_series_takes_its_first_points_currency_for_the_whole_batch(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    with pytest.raises(PointError) as refused:
        watcher.ingest([hourly(S3, 0, "40.00"), hourly(S3, 1, "40.00", "GBP")], clock.now())
    assert refused.value.location == "[1].currency"
    assert count_points(engine) == 0

    watcher.ingest([hourly(S3, 0, "40.00"), hourly(S3, 1, "40.00", "EUR")], clock.now())
    with engine.connect() as connection:
        rows = connection.execute(select(watcher_points).order_by(watcher_points.c.id)).all()
    stored = [(Decimal(row.cost), row.currency) for row in rows]
    assert stored == [(Decimal("40"), "USD"), (Decimal("44"), "USD")]


def test_a_credit_is_recorded_without_alerting_or_moving_the_baseline(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    credit = watcher.ingest([hourly(EC2, 72, "-900.00")], clock.now())
    assert credit.anomalies == 0 and credit.accepted == 1
    calm = watcher.ingest([hourly(EC2, 73, normal_cost(73))], clock.now())
    assert calm.anomalies == 0
    with engine.connect() as connection:
        assert connection.execute(select(watcher_incidents)).all() == []
