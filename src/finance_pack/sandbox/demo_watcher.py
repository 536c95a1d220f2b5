"""The demo's Cost Watcher step: three days of calm spend streamed in, then a spike; the alert
appears in Slack within a second, and a normal hour afterwards resolves it in the thread."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from finance_pack.agents.cost_watcher.factory import build_agent
from finance_pack.api.app import create_app
from finance_pack.context import load_context
from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.testing import RunningSlackEmulator
from finance_pack.store.engine import make_engine

DIMENSIONS = {"provider": "aws", "account": "111122223333", "service": "AmazonEC2"}


def _point(start: datetime, cost: str) -> dict[str, Any]:
    end = start + timedelta(hours=1)
    return {
        "dimensions": DIMENSIONS,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "cost": cost,
        "currency": "USD",
    }


def _calm(hour: datetime) -> str:
    return f"{38 + (8 <= hour.hour < 18) * 7 + hour.hour % 3:.2f}"


def stream_spike(
    target: Path,
    console: Console,
    stack: ExitStack,
    steward_token: str,
    slack: RunningSlackEmulator,
    run: Callable[..., str],
) -> None:
    context = load_context(target)
    engine = make_engine(context.state_db_url)
    app = create_app(context, engine)
    server = stack.enter_context(BackgroundServer(app, name="finance-api-watcher").start())
    agent = build_agent(context, engine, None)
    app.state.cost_watcher = agent.watcher
    headers = {"Authorization": f"Bearer {steward_token}"}
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    calm = [
        _point(now - timedelta(hours=h), _calm(now - timedelta(hours=h))) for h in range(75, 2, -1)
    ]
    with httpx.Client(base_url=server.url.rstrip("/"), headers=headers, timeout=30) as client:
        client.post("/v1/costs/stream", json=calm).raise_for_status()
        console.print(f"  streamed {len(calm)} calm hours of AmazonEC2 spend (about 40 USD/h)")
        spike = client.post("/v1/costs/stream", json=[_point(now - timedelta(hours=2), "612.40")])
        spike.raise_for_status()
        console.print(f"  streamed a spike of 612.40 USD: {spike.json()}", markup=False)
        agent.tick(datetime.now(UTC))
        _show_slack(console, slack)
        calm_again = _point(now - timedelta(hours=1), _calm(now - timedelta(hours=1)))
        client.post("/v1/costs/stream", json=[calm_again]).raise_for_status()
        agent.tick(datetime.now(UTC))
    console.print("  spend back to normal: the resolution goes into the alert's thread")
    _show_slack(console, slack, threads_only=True)
    run("finance", "alerts", "list")


def _show_slack(console: Console, slack: RunningSlackEmulator, threads_only: bool = False) -> None:
    for message in slack.emulator.messages():
        if message.get("channel_name") != "finance-alerts":
            continue
        text = str(message.get("text") or "")
        if "anomaly" not in text.lower() or (threads_only and not message.get("thread_ts")):
            continue
        where = "  (thread reply)" if message.get("thread_ts") else ""
        for line in text.splitlines():
            console.print(f"  #finance-alerts{where}: {line}", markup=False)
