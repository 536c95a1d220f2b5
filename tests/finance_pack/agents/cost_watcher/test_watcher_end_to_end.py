"""A spike streamed in becomes one Slack alert, its resolution a reply in the thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cost_watcher_support import EC2, S3, SETTINGS, baseline, dispatcher, hourly, normal_cost
from sqlalchemy import Engine, select

from finance_pack.agents.cost_watcher import dispatch as dispatch_module
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.clock import FakeClock
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.watcher_tables import watcher_deliveries, watcher_incidents


def top_level(slack: RunningSlackEmulator) -> list[dict]:
    return [m for m in slack.emulator.messages() if not m.get("thread_ts")]


def test_a_spike_is_alerted_once_and_resolved_in_its_thread(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    result = watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    assert result.anomalies == 1 and len(result.incidents_opened) == 1
    sender = dispatcher(engine, slack_emulator, clock)
    assert sender.tick(clock.now()) == 1
    assert sender.tick(clock.now()) == 0
    [alert] = top_level(slack_emulator)
    assert "400.00 USD" in alert["text"] and "AmazonEC2" in alert["text"]
    watcher.ingest([hourly(EC2, 73, normal_cost(73))], clock.now())
    assert sender.tick(clock.now()) == 1
    replies = [m for m in slack_emulator.emulator.messages() if m.get("thread_ts")]
    assert len(replies) == 1 and "Resolved" in replies[0]["text"]
    assert replies[0]["thread_ts"] == alert["ts"]
    with engine.connect() as connection:
        assert connection.execute(select(watcher_incidents.c.state)).scalars().all() == ["resolved"]


def test_two_services_of_one_account_are_one_incident_with_both_contributors(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    for hour in range(72):
        watcher.ingest(
            [hourly(EC2, hour, normal_cost(hour)), hourly(S3, hour, normal_cost(hour))], clock.now()
        )
    result = watcher.ingest([hourly(EC2, 72, "900.00"), hourly(S3, 72, "300.00")], clock.now())
    assert len(result.incidents_opened) == 1
    sender = dispatcher(engine, slack_emulator, clock)
    sender.tick(clock.now())
    [alert] = top_level(slack_emulator)
    text = alert["text"]
    assert text.index("AmazonEC2") < text.index("AmazonS3")  # largest impact first


def test_slack_down_for_ten_minutes_delays_the_alert_and_sends_it_once(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    slack_emulator.emulator.inject_fault(503)
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    sender = dispatcher(engine, slack_emulator, clock)
    for _minute in range(10):
        sender.tick(clock.now())
        clock.advance(timedelta(minutes=1))
    assert top_level(slack_emulator) == []
    slack_emulator.emulator.clear_faults()
    for _minute in range(30):
        sender.tick(clock.now())
        clock.advance(timedelta(minutes=1))
    assert len(top_level(slack_emulator)) == 1
    with engine.connect() as connection:
        row = connection.execute(select(watcher_deliveries)).one()
    assert row.state == "posted" and row.attempts > 1
    assert row.posted_at - row.trigger_ingested_at >= timedelta(minutes=10)


def test_a_restart_mid_incident_keeps_the_baseline_and_sends_no_second_alert(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    dispatcher(engine, slack_emulator, clock).tick(clock.now())
    restarted = CostWatcher(engine, SETTINGS)
    result = restarted.ingest([hourly(EC2, 73, "420.00")], clock.now())
    assert result.anomalies == 1 and result.incidents_opened == []
    dispatcher(engine, slack_emulator, clock).tick(clock.now())
    assert len(top_level(slack_emulator)) == 1


def test_a_crash_after_posting_is_recovered_by_metadata_without_a_second_post(
    engine: Engine,
    clock: FakeClock,
    slack_emulator: RunningSlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    sender = dispatcher(engine, slack_emulator, clock)

    def crash(*_args: object, **_kwargs: object) -> bool:
        raise RuntimeError("process killed before recording the post")

    monkeypatch.setattr(dispatch_module, "mark_posted", crash)
    with pytest.raises(RuntimeError):
        sender.tick(clock.now())
    monkeypatch.undo()
    clock.advance(sender.lease + timedelta(seconds=1))
    assert sender.tick(clock.now()) == 1
    assert len(top_level(slack_emulator)) == 1
    with engine.connect() as connection:
        row = connection.execute(select(watcher_deliveries)).one()
    assert (row.state, row.attempts) == ("posted", 2)


def test_a_storm_of_incidents_is_spread_over_minutes_not_dropped(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    accounts = [
        (("account", f"00000000000{n}"), ("provider", "aws"), ("service", "AmazonEC2"))
        for n in range(3)
    ]
    for hour in range(72):
        watcher.ingest([hourly(a, hour, normal_cost(hour)) for a in accounts], clock.now())
    result = watcher.ingest([hourly(a, 72, "400.00") for a in accounts], clock.now())
    assert len(result.incidents_opened) == 3
    sender = dispatcher(engine, slack_emulator, clock)
    sender.max_per_minute = 2
    assert sender.tick(clock.now()) == 2
    clock.advance(timedelta(seconds=30))
    assert sender.tick(clock.now()) == 0
    clock.advance(timedelta(seconds=31))
    assert sender.tick(clock.now()) == 1
    assert len(top_level(slack_emulator)) == 3


def test_a_new_alert_goes_out_before_an_older_incidents_resolution(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    other = (("account", "444455556666"), ("provider", "aws"), ("service", "AmazonEC2"))
    for hour in range(72):
        watcher.ingest(
            [hourly(EC2, hour, normal_cost(hour)), hourly(other, hour, normal_cost(hour))],
            clock.now(),
        )
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    sender = dispatcher(engine, slack_emulator, clock)
    assert sender.tick(clock.now()) == 1
    watcher.ingest([hourly(EC2, 73, normal_cost(73))], clock.now())  # resolution queued first
    watcher.ingest([hourly(other, 72, "400.00")], clock.now())  # then a new incident
    sender.batch = 1  # one delivery a tick: the order is what is tested
    assert sender.tick(clock.now()) == 1
    posted = slack_emulator.emulator.messages()
    assert [bool(m.get("thread_ts")) for m in posted] == [False, False]
    assert "444455556666" in posted[1]["text"]
    assert sender.tick(clock.now()) == 1
    assert "Resolved" in slack_emulator.emulator.messages()[2]["text"]


def test_resolutions_in_threads_are_not_held_back_by_the_alert_budget(
    engine: Engine, clock: FakeClock, slack_emulator: RunningSlackEmulator
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    sender = dispatcher(engine, slack_emulator, clock)
    sender.max_per_minute = 1
    assert sender.tick(clock.now()) == 1
    watcher.ingest([hourly(EC2, 73, normal_cost(73))], clock.now())
    assert sender.tick(clock.now()) == 1  # the same minute: the budget is spent on alerts
    replies = [m for m in slack_emulator.emulator.messages() if m.get("thread_ts")]
    assert len(replies) == 1 and "Resolved" in replies[0]["text"]


def test_a_spike_and_its_return_to_normal_in_one_batch_open_and_resolve_the_incident(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    result = watcher.ingest(
        [hourly(EC2, 72, "400.00"), hourly(EC2, 73, normal_cost(73))], clock.now()
    )
    assert len(result.incidents_opened) == 1
    with engine.connect() as connection:
        assert connection.execute(select(watcher_incidents.c.state)).scalars().all() == ["resolved"]


def test_a_batch_that_queued_an_alert_signals_the_dispatcher_after_it_commits(
    engine: Engine, clock: FakeClock
) -> None:
    watcher = CostWatcher(engine, SETTINGS)
    baseline(watcher, clock)
    assert not watcher.alerts_queued.is_set()  # calm points queue nothing
    watcher.ingest([hourly(EC2, 72, "400.00")], clock.now())
    assert watcher.alerts_queued.is_set()
    with engine.connect() as connection:
        assert len(connection.execute(select(watcher_deliveries)).all()) == 1
