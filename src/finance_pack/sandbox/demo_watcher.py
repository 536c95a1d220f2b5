"""The demo's Cost Watcher step, against the running pack (`brctl finance up`): three days of
calm spend streamed in, then a spike; the pack's cost-watcher agent posts the alert, and a calm
hour afterwards resolves it in the alert's thread."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
from rich.console import Console

from brctl.errors import CommandError
from finance_pack.clock import SYSTEM_CLOCK
from finance_pack.sandbox.testing import RunningSlackEmulator

DIMENSIONS = {"provider": "aws", "account": "111122223333", "service": "AmazonEC2"}
WAIT_SECONDS = 30.0


class DemoWatcherError(CommandError):
    """The alert or its resolution did not reach Slack in time."""


def _point(start: Any, cost: str) -> dict[str, Any]:
    return {
        "dimensions": DIMENSIONS,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "cost": cost,
        "currency": "USD",
    }


def _calm(hour: Any) -> str:
    return f"{38 + (8 <= hour.hour < 18) * 7 + hour.hour % 3:.2f}"


def _anomaly_messages(slack: RunningSlackEmulator, thread: bool) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.emulator.messages()
        if "cost anomaly" in str(m.get("text") or "").lower() and bool(m.get("thread_ts")) == thread
    ]


def _wait_for(slack: RunningSlackEmulator, thread: bool) -> tuple[dict[str, Any], float]:
    began = time.monotonic()
    while time.monotonic() - began < WAIT_SECONDS:
        found = _anomaly_messages(slack, thread)
        if found:
            return found[-1], time.monotonic() - began
        time.sleep(0.1)
    raise DemoWatcherError(
        f"no {'resolution' if thread else 'alert'} in Slack after {WAIT_SECONDS:.0f} s"
    )


def _show(console: Console, message: dict[str, Any]) -> None:
    where = " (thread reply)" if message.get("thread_ts") else ""
    for line in str(message.get("text") or "").splitlines():
        console.print(f"  #finance-alerts{where}: {line}", markup=False)


def stream_spike(
    pack_url: str, console: Console, steward_token: str, slack: RunningSlackEmulator
) -> list[str]:
    """Returns the lines worth keeping in the demo's results."""
    now = SYSTEM_CLOCK.now().replace(minute=0, second=0, microsecond=0)
    hours = [now - timedelta(hours=h) for h in range(75, 2, -1)]
    headers = {"Authorization": f"Bearer {steward_token}"}
    with httpx.Client(base_url=pack_url, headers=headers, timeout=30) as client:
        client.post(
            "/v1/costs/stream", json=[_point(h, _calm(h)) for h in hours]
        ).raise_for_status()
        console.print(f"  streamed {len(hours)} calm hours of AmazonEC2 spend (about 40 USD/h)")
        spike = client.post("/v1/costs/stream", json=[_point(now - timedelta(hours=2), "612.40")])
        spike.raise_for_status()
        console.print(
            f"  POST /v1/costs/stream a spike of 612.40 USD: {spike.json()}", markup=False
        )
        alert, seconds = _wait_for(slack, thread=False)
        console.print(f"  the alert reached Slack {seconds:.1f} s after the point was sent:")
        _show(console, alert)
        calm = _point(now - timedelta(hours=1), _calm(now - timedelta(hours=1)))
        client.post("/v1/costs/stream", json=[calm]).raise_for_status()
        resolution, _seconds = _wait_for(slack, thread=True)
    console.print("  spend back to normal: the resolution goes into the alert's thread")
    _show(console, resolution)
    return [f"spike alerted in Slack within {seconds:.1f} s", "resolved in the alert's thread"]
