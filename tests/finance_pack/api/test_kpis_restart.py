"""The API restarted while an ingest runs: it serves the complete snapshot from before the
ingest, then the one after, never an error."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from finance_pack_api_support import STEWARD, Api

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.snapshots import close_snapshots, open_for_writing

WORKER = Path(__file__).parents[1] / "costs" / "snapshot_worker.py"
HEADER = (
    "ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,"
    "ProviderName,BillingAccountId,ServiceName\n"
)
ASK = {"month": "2026-05", "budget": "ec2"}


def focus_csv(path: Path, amounts: list[str]) -> Path:
    lines = [
        f"2026-05-{day:02d}T10:00:00Z,2026-05-{day:02d}T11:00:00Z,{amount},{amount},USD,"
        "AWS,100000000001,AmazonEC2\n"
        for day, amount in enumerate(amounts, start=1)
    ]
    path.write_text(HEADER + "".join(lines))
    return path


class Server:
    """`brctl finance up --no-agents` on a free loopback port."""

    def __init__(self, target: Path) -> None:
        self.target = target
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        brctl = Path(sys.executable).with_name("brctl")
        env = {**os.environ, "BLACKROAD_HOME": str(self.target)}
        command = [str(brctl), "finance", "up", "--no-agents", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return
            except httpx.TransportError:
                assert self.process.poll() is None, "the API did not start"
                assert time.monotonic() < deadline, "the API did not start in time"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kpis(self, headers: dict[str, str]) -> httpx.Response:
        return httpx.get(
            f"http://127.0.0.1:{self.port}/v1/kpis", params=ASK, headers=headers, timeout=60
        )


def _figures(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k not in ("data_age_hours", "stale")} for row in rows]


@pytest.fixture
def server(installed_target: Path) -> Iterator[Server]:
    running = Server(installed_target)
    yield running
    running.stop()
    close_snapshots()


def test_the_api_restarted_during_an_ingest_serves_the_snapshot_before_then_after(
    api: Api, server: Server, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {api.token(STEWARD)}"}
    budget = {"amount": "100.00", "currency": "USD", "scope": {"services": ["AmazonEC2"]}}
    assert api.client.put("/v1/budgets/ec2", json=budget, headers=headers).status_code == 200
    url = api.context.cost_store_url
    with open_for_writing(url, "UTC") as store:
        first = focus_csv(tmp_path / "first.csv", ["1.25", "2.50"])
        ingest_files(store, [str(first)], FileKind.FOCUS, source="export")
    server.start()
    before = server.kpis(headers)
    assert before.status_code == 200, before.text
    assert before.json()[0]["mtd_spend"] == "3.75"

    marker = tmp_path / "at-insert"
    restated = focus_csv(tmp_path / "restated.csv", ["10.00", "20.00", "0.01"])
    writer = subprocess.Popen(
        [sys.executable, str(WORKER), "write", url, str(restated), "export", "insert", str(marker)]
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert writer.poll() is None and time.monotonic() < deadline, "the writer never paused"
        time.sleep(0.05)

    server.stop()
    server.start()  # restarted while the ingest holds the writer lock mid-transaction
    during = server.kpis(headers)
    assert during.status_code == 200, during.text
    # The same snapshot, so the same figures; only the data's age moved with the clock.
    assert _figures(during.json()) == _figures(before.json())
    assert during.headers["ETag"] == before.headers["ETag"]

    marker.with_name(marker.name + ".go").touch()
    assert writer.wait(timeout=120) == 0
    after = server.kpis({**headers, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200, after.text
    assert after.json()[0]["mtd_spend"] == "30.01"
