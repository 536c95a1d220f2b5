"""The AWS sandbox: moto seeded so that `brctl finance ingest aws-ce` loads the seeded spend."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finance_pack.cli.sandbox import app, run_aws_sandbox
from finance_pack.clock import FakeClock
from finance_pack.context import load_context
from finance_pack.costs.snapshots import open_for_reading
from finance_pack.errors import UnavailableError
from finance_pack.providers.aws.access import check_aws_access
from finance_pack.providers.aws.calls import client
from finance_pack.providers.aws.cloudwatch import BillingPoller, BillingSeries
from finance_pack.sandbox.aws import (
    RunningAwsSandbox,
    running_aws_sandbox,
    sandbox_session,
)

Run = Callable[..., tuple[int, str, str]]
NOW = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningAwsSandbox]:
    with running_aws_sandbox(clock=FakeClock(NOW)) as running:
        yield running


def ingest_aws_ce(brctl: Run, sandbox: RunningAwsSandbox) -> dict[str, int]:
    assert sandbox.seed is not None
    command = sandbox.seed.ingest_command.split()[1:]
    code, out, err = brctl(*command, "--format", "json")
    assert code == 0, err
    result: dict[str, int] = json.loads(out)[0]
    return result


def billed_in_store(target: Path) -> Decimal:
    with open_for_reading(load_context(target).cost_store_url, "UTC") as view:
        row = view.store.duckdb.execute(
            "SELECT sum(BilledCost) FROM cost_line_items WHERE source = 'aws-ce'"
        ).fetchone()
    assert row is not None
    return Decimal(row[0])


def test_seed_covers_last_month_through_yesterday(sandbox: RunningAwsSandbox) -> None:
    assert sandbox.seed is not None
    assert (sandbox.seed.start, sandbox.seed.end) == (date(2026, 10, 1), date(2026, 11, 27))
    assert len(sandbox.seed.days) == 57 and sandbox.seed.newest.day == date(2026, 11, 26)


def test_ingest_aws_ce_loads_the_seeded_totals_and_the_estimated_day_once_final(
    brctl: Run,
    installed_target: Path,
    sandbox: RunningAwsSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert sandbox.seed is not None
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in sandbox.environment.items():
        monkeypatch.setenv(name, value)
    # Another Cost Explorer request first (the doctor's) must not take the seeded answer.
    check_aws_access(sandbox_session(), endpoint_url=sandbox.url)

    first = ingest_aws_ce(brctl, sandbox)
    assert (first["days_fetched"], first["requests"]) == (57, 1)
    assert billed_in_store(installed_target) == sandbox.seed.billed_total(newest_final=False)

    second = ingest_aws_ce(brctl, sandbox)
    assert (second["days_fetched"], second["requests"]) == (1, 1)  # only the estimated day
    assert billed_in_store(installed_target) == sandbox.seed.billed_total()
    assert sandbox.seed.billed_total() > sandbox.seed.billed_total(newest_final=False)

    third = ingest_aws_ce(brctl, sandbox)
    assert third["requests"] == 0


def test_billing_metrics_are_month_to_date_and_reset_on_the_first(
    sandbox: RunningAwsSandbox,
) -> None:
    assert sandbox.seed is not None
    poller = BillingPoller(
        client(sandbox_session(), "cloudwatch", endpoint_url=sandbox.url), period_seconds=21600
    )
    total = BillingSeries("USD")
    samples = poller.samples([total], datetime(2026, 10, 1, tzinfo=UTC), NOW)[total]
    by_moment = {s.timestamp: s.month_to_date for s in samples}
    october = sum((d.billed for d in sandbox.seed.days if d.day.month == 10), Decimal(0))
    november = sum((d.billed for d in sandbox.seed.days if d.day.month == 11), Decimal(0))
    assert by_moment[datetime(2026, 11, 1, tzinfo=UTC)] == october.quantize(Decimal("0.01"))
    assert by_moment[datetime(2026, 11, 27, tzinfo=UTC)] == november.quantize(Decimal("0.01"))
    assert by_moment[datetime(2026, 11, 1, 6, tzinfo=UTC)] < october / 10  # reset on the 1st
    assert len(poller.list_series()) > 1  # per service and account, besides the total


def test_a_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(UnavailableError, match=f"cannot listen on 127.0.0.1:{port}"),
            running_aws_sandbox(port=port, seed=False),
        ):
            pass


def test_help_shows_an_example() -> None:
    result = CliRunner().invoke(app, ["aws", "--help"])
    assert result.exit_code == 0
    assert "brctl finance sandbox aws --port" in result.output


def test_server_function_serves_until_the_stop_event() -> None:
    stop, ready = threading.Event(), threading.Event()
    started: list[RunningAwsSandbox] = []

    def on_ready(running: RunningAwsSandbox) -> None:
        started.append(running)
        ready.set()

    thread = threading.Thread(
        target=run_aws_sandbox,
        args=("127.0.0.1", 0, stop),
        kwargs={"seed": False, "on_ready": on_ready},
    )
    thread.start()
    try:
        assert ready.wait(30)
        sts = client(sandbox_session(), "sts", endpoint_url=started[0].url)
        assert sts.get_caller_identity()["Account"]
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
