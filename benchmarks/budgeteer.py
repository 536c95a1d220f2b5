"""What the Budgeteer costs: rendering, one weekly tick, Slack pacing, exactly-once bookkeeping.

    .venv/bin/python benchmarks/budgeteer.py [--budgets 1,10,50] [--repeats 5] [--messages 200]
                                             [--paced-messages 5] [--claims 500]
                                             [--no-postgres] [--json PATH]

All against the real Slack emulator (on loopback, in process) and a SQLite state store:
(a) rendering the weekly summary (Block Kit) and the charts for N budgets; (b) one
`Budgeteer.tick` that posts a week's summary, with its charts, to 3 channels; (c) posting
throughput to one channel with the adapter's pacing at 1 msg/s and with pacing off; (d)
claim + mark-posted round trips per second on SQLite and on PostgreSQL (a throwaway server).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

from _report import emit
from sqlalchemy import Engine

from finance_pack.agents.budgeteer.agent import CHARTS_PER_SUMMARY, Budgeteer
from finance_pack.agents.budgeteer.chart import render_chart
from finance_pack.agents.budgeteer.summary import weekly_summary
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import Budget, Threshold
from finance_pack.domain.cadence import Schedule
from finance_pack.domain.daily import local_daily_totals
from finance_pack.domain.kpis import compute_kpis
from finance_pack.domain.money import Money
from finance_pack.domain.movers import biggest_movers
from finance_pack.domain.spend import SpendPoint, SpendSeries
from finance_pack.providers.slack import RetryPolicy, SlackSettings, SlackWebGateway
from finance_pack.sandbox.testing import RunningSlackEmulator, running_slack_emulator
from finance_pack.store.deliveries import mark_posted, try_claim
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade
from finance_pack.store.tables import budgeteer_posts

SCHEDULE = Schedule("0 9 * * MON", "UTC", timedelta(hours=6))
TICK_CHANNELS = ("#finops", "#billing", "#finance-alerts")
FIRST_SLOT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday, just after the 09:00 slot
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _snapshot(index: int) -> BudgetSnapshot:
    """A budget in November 2026 with 86 days of history; amounts vary with `index`."""
    start = datetime(2026, 9, 1, tzinfo=UTC)
    base = Decimal(40 + 7 * index)
    points = tuple(
        SpendPoint(start + timedelta(days=i), base + Decimal(i % 7) * 3, hours=24)
        for i in range(86)
    )
    series = SpendSeries("USD", points, start + timedelta(days=86))
    budget = Budget(
        f"team-{index:02d}",
        Money.of(str(1500 + 90 * index), "USD"),
        thresholds=(Threshold.parse("80"), Threshold.parse("100:forecast")),
    )
    month = BillingMonth(2026, 11)
    report = compute_kpis(series, budget, month, now=NOW)
    assert series.as_of is not None
    daily = local_daily_totals(series.points, month.zone, series.as_of)
    month_days = tuple((d, a) for d, a in sorted(daily.items()) if d >= month.first_day)
    movers = biggest_movers(
        {"Amazon EC2": base * 7, "Amazon S3": Decimal(90), "AWS Lambda": Decimal(12)},
        {"Amazon EC2": base * 6, "Amazon S3": Decimal(120), "Amazon RDS": Decimal(55)},
    )
    return BudgetSnapshot(report, month_days, tuple(movers))


def _median_ms(repeats: int, action: Callable[[], object]) -> float:
    action()  # warm-up: fonts, caches, connections
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _render_charts(snapshots: Sequence[BudgetSnapshot]) -> list[bytes]:
    return [render_chart(snapshot) for snapshot in snapshots]


def bench_rendering(
    budget_counts: Sequence[int], repeats: int, chart_repeats: int
) -> list[dict[str, object]]:
    """The summary for N budgets, and as many charts as the agent posts with it (3 at most)."""
    rows: list[dict[str, object]] = []
    for count in budget_counts:
        snapshots = [_snapshot(i) for i in range(count)]
        posted = snapshots[:CHARTS_PER_SUMMARY]
        summary = _median_ms(
            repeats, partial(weekly_summary, snapshots, "2026-W48", late=False, month="2026-11")
        )
        charts = _median_ms(chart_repeats, partial(_render_charts, posted))
        case = f"{count} budget(s)"
        rows.append(_row("a. summary", case, summary, "ms"))
        rows.append(
            _row(
                f"a. {len(posted)} chart(s)",
                case,
                charts,
                "ms",
                per=charts / len(posted),
            )
        )
        rows.append(_row("a. summary+charts", case, summary + charts, "ms"))
    return rows


def _row(
    figure: str, case: str, value: float, unit: str, *, per: float | None = None, ratio: str = ""
) -> dict[str, object]:
    return {
        "figure": figure,
        "case": case,
        "value": value,
        "unit": unit,
        "ms_per_chart": per,
        "ratio": ratio,
    }


def _gateway(slack: RunningSlackEmulator, pacing_seconds: float) -> SlackWebGateway:
    settings = SlackSettings(
        token=slack.token,
        base_url=slack.api_url,
        retry=RetryPolicy(max_attempts=2, max_total_wait_seconds=1),
        min_post_interval_seconds=pacing_seconds,
    )
    return SlackWebGateway(settings)


@contextmanager
def _sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="bench-budgeteer-") as workdir:
        engine = make_engine(f"sqlite:///{Path(workdir) / 'state.db'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def _tick_ms(
    slack: RunningSlackEmulator, pacing: float, ticks: int, budgets: int, *, charts: bool = True
) -> float:
    """Median latency of a tick posting a new week's summary (and charts) to 3 channels.

    Each week brings other figures, as real weeks do, so no chart can be reused from the last.
    """
    weekly = {week: [_snapshot(i + 100 * week) for i in range(budgets)] for week in range(ticks)}

    def snapshots(now: datetime, _movers: bool) -> list[BudgetSnapshot]:
        return weekly[max(0, (now - FIRST_SLOT) // timedelta(weeks=1))]

    with _sqlite_engine() as engine:
        budgeteer = Budgeteer(
            engine,
            _gateway(slack, pacing),
            snapshots,
            SCHEDULE,
            TICK_CHANNELS,
            "#finance-alerts",
            "bench",
            charts=charts,
        )
        budgeteer.tick(FIRST_SLOT - timedelta(days=1))  # first run: earlier slots never due
        samples = []
        for week in range(ticks):
            before = len(slack.emulator.messages())
            started = time.perf_counter()
            budgeteer.tick(FIRST_SLOT + timedelta(weeks=week))
            samples.append((time.perf_counter() - started) * 1000)
            assert len(slack.emulator.messages()) - before >= len(TICK_CHANNELS)
    return statistics.median(samples)


def bench_tick(slack: RunningSlackEmulator, repeats: int) -> list[dict[str, object]]:
    bare = _tick_ms(slack, 0, repeats, budgets=3, charts=False)
    unpaced = _tick_ms(slack, 0, repeats, budgets=3)
    paced = _tick_ms(slack, 1.0, 1, budgets=3)
    return [
        _row("b. tick, 3 channels", "no charts", bare, "ms"),
        _row(
            "b. tick, 3 channels",
            "3 charts each",
            unpaced,
            "ms",
            ratio=f"{unpaced / bare:.0f}x no charts",
        ),
        _row(
            "b. tick, 3 channels",
            "3 charts, paced 1/s",
            paced,
            "ms",
            ratio=f"{paced / unpaced:.1f}x unpaced",
        ),
    ]


def _posts_per_second(slack: RunningSlackEmulator, pacing: float, messages: int) -> float:
    gateway = _gateway(slack, pacing)
    # Two warm-up posts: the first one paces under the channel's name, later ones under its id.
    gateway.post_message("#finops", "warm-up")
    gateway.post_message("#finops", "warm-up")
    started = time.perf_counter()
    for index in range(messages):
        gateway.post_message("#finops", f"benchmark message {index}")
    return messages / (time.perf_counter() - started)


def bench_pacing(
    slack: RunningSlackEmulator, messages: int, paced_messages: int
) -> list[dict[str, object]]:
    unpaced = _posts_per_second(slack, 0, messages)
    paced = _posts_per_second(slack, 1.0, paced_messages)
    return [
        _row("c. posts, 1 channel", f"unpaced, {messages}", unpaced, "msg/s"),
        _row(
            "c. posts, 1 channel",
            f"paced 1/s, {paced_messages}",
            paced,
            "msg/s",
            ratio=f"{unpaced / paced:.0f}x paced",
        ),
    ]


def _claims_per_second(engine: Engine, claims: int) -> float:
    """Round trips of the exactly-once protocol: claim a new delivery, then record it posted."""
    run = uuid.uuid4().hex[:6]  # slot_key is VARCHAR(16)
    started = time.perf_counter()
    for index in range(claims):
        key = {"channel": "#finops", "slot_key": f"{run}-{index:06d}"}
        claim = try_claim(
            engine,
            budgeteer_posts,
            key,
            replica="bench",
            now=NOW,
            lease=timedelta(minutes=10),
            extra={"slot_at": NOW, "late": False},
        )
        assert claim is not None
        mark_posted(
            engine,
            budgeteer_posts,
            claim,
            "bench",
            channel_id="C0FINOPS01",
            ts=f"{index}.000001",
            posted_at=NOW,
        )
    return claims / (time.perf_counter() - started)


def bench_exactly_once(claims: int, postgres: bool) -> list[dict[str, object]]:
    with _sqlite_engine() as engine:
        sqlite = _claims_per_second(engine, claims)
    rows = [_row("d. claim+mark", "SQLite file", sqlite, "trips/s")]
    if postgres:
        from finance_pack.sandbox.postgres import running_postgres

        with running_postgres() as url:
            engine = make_engine(url)
            upgrade(engine)
            pg = _claims_per_second(engine, claims)
            engine.dispose()
        rows.append(
            _row(
                "d. claim+mark",
                "PostgreSQL",
                pg,
                "trips/s",
                ratio=f"{sqlite / pg:.2f}x slower",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="1,10,50", help="Budget counts to render.")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chart-repeats", type=int, default=3)
    parser.add_argument("--ticks", type=int, default=3, help="Unpaced ticks per variant.")
    parser.add_argument("--messages", type=int, default=200, help="Unpaced posts.")
    parser.add_argument("--paced-messages", type=int, default=5, help="Posts at 1 msg/s.")
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--no-postgres", action="store_true", help="Skip PostgreSQL.")
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args()
    counts = [int(part) for part in args.budgets.split(",")]
    rows = bench_rendering(counts, args.repeats, args.chart_repeats)
    with running_slack_emulator() as slack:
        rows += bench_tick(slack, args.ticks)
        rows += bench_pacing(slack, args.messages, args.paced_messages)
    rows += bench_exactly_once(args.claims, postgres=not args.no_postgres)
    emit("Budgeteer: rendering, weekly tick, Slack pacing, exactly-once", rows, args.json_path)


if __name__ == "__main__":
    main()
