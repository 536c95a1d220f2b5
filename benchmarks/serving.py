"""`/v1/kpis` under load, without and then with an ingest running (issue 12).

20 client threads ask `GET /v1/kpis?month=2026-06` (50 budgets plus finance.yaml's `total`)
of `brctl finance up --no-agents` for `--seconds`; then again while `brctl finance ingest
focus` restates the same rows (a new snapshot is published part-way). The ingest is also timed
alone, before the API starts. The data are `benchmarks/kpi.py`'s generated FOCUS rows.

    .venv/bin/python benchmarks/serving.py --rows 200000 --seconds 10   # a quick look
    .venv/bin/python benchmarks/serving.py                              # the issue's scale

Figures per phase: requests/s, p50/p99/max latency, errors (any status but 200), the API
process's CPU time per request (user + system, from /proc: on a shared machine it says what a
request costs where wall times say how busy the machine was), and the 1-minute load average;
for the phase with the ingest, the ingest's wall time against alone, and the p99/max of the
requests that started in the 2 s after the new snapshot appeared (the first computation on it).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit
from kpi import budgets, generate

from finance_pack.access.tokens import issue_token
from finance_pack.context import load_context
from finance_pack.store.budgets import budget_to_json
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

STEWARD = "user:bench@example.com"
ROLES = f"bindings:\n  - subject: {STEWARD}\n    roles: [policy-steward]\n"
BRCTL = str(Path(sys.executable).with_name("brctl"))
FIRST_COMPUTE_WINDOW_S = 2.0


@dataclass(frozen=True, slots=True)
class Answer:
    started: float
    seconds: float
    status: int
    etag: str | None


def prepare(work: Path, rows: int) -> tuple[dict[str, str], Path]:
    """A pack installed under `work`, the data file, a token; returns (environment, file)."""
    target = work / "deploy"
    env = {**os.environ, "BLACKROAD_HOME": str(target)}
    for name in ("FINANCE_DATABASE_URL", "FINANCE_DATABASE_URL_FILE", "FINANCE_COST_STORE_URL"):
        env.pop(name, None)
    subprocess.run(
        [BRCTL, "pack", "install", "finance", f"--target={target}"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    context = load_context(target)
    context.roles_path.write_text(ROLES)
    engine = make_engine(context.state_db_url)
    upgrade(engine)
    with engine.begin() as connection:
        now = datetime.now(UTC)
        env["BENCH_TOKEN"] = issue_token(
            connection, STEWARD, "local:bench", now, timedelta(days=1)
        ).token
    engine.dispose()
    return env, generate(work, rows)


def ingest(env: dict[str, str], file: Path) -> float:
    """`brctl finance ingest focus` of `file` as one restatement; its wall time in seconds."""
    began = time.perf_counter()
    subprocess.run(
        [BRCTL, "finance", "ingest", "focus", str(file), "--source", "bench", "--format", "json"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


class Api:
    def __init__(self, env: dict[str, str]) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {env['BENCH_TOKEN']}"}
        command = [BRCTL, "finance", "up", "--no-agents", "--port", str(port)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while True:
            try:
                httpx.get(f"{self.base}/healthz", timeout=2)
                return
            except httpx.TransportError:
                if self.process.poll() is not None:
                    raise SystemExit("the API did not start") from None
                time.sleep(0.2)

    def put_budgets(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=60) as client:
            for budget in budgets():
                body = budget_to_json(budget)
                name = body.pop("name")
                client.put(f"/v1/budgets/{name}", json=body).raise_for_status()

    def cpu_seconds(self) -> float | None:
        """The API process's CPU time so far (None where /proc is not there)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def load(api: Api, clients: int, until: threading.Event) -> list[Answer]:
    """`clients` threads asking for the KPIs until `until` is set."""
    answers: list[Answer] = []
    lock = threading.Lock()

    def client() -> None:
        mine: list[Answer] = []
        with httpx.Client(base_url=api.base, headers=api.headers, timeout=120) as http:
            while not until.is_set():
                began = time.perf_counter()
                try:
                    response = http.get("/v1/kpis", params={"month": "2026-06"})
                    status, etag = response.status_code, response.headers.get("ETag")
                except httpx.HTTPError:
                    status, etag = 0, None
                mine.append(Answer(began, time.perf_counter() - began, status, etag))
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def figures(answers: list[Answer], seconds: float) -> dict[str, Any]:
    latencies = sorted(a.seconds * 1000 for a in answers)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(answers),
        "requests_per_s": round(len(answers) / seconds, 1),
        "p50_ms": round(cuts[49], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(latencies[-1], 1),
        "errors": sum(1 for a in answers if a.status != 200),
    }


def first_compute(answers: list[Answer]) -> dict[str, Any]:
    """Latency of the requests that started just after the new snapshot's first answer."""
    ordered = sorted(answers, key=lambda a: a.started)
    old = ordered[0].etag
    new = [a for a in ordered if a.etag not in (None, old)]
    if not new:
        return {"new_snapshot_seen": False}
    seen = new[0].started
    window = [
        a.seconds * 1000
        for a in ordered
        if seen - FIRST_COMPUTE_WINDOW_S <= a.started <= seen + FIRST_COMPUTE_WINDOW_S
    ]
    cuts = statistics.quantiles(window, n=100) if len(window) > 1 else window * 99
    return {
        "new_snapshot_seen": True,
        "first_compute_p99_ms": round(cuts[98], 1),
        "first_compute_max_ms": round(max(window), 1),
    }


def run(rows: int, seconds: float, clients: int, work: Path) -> list[dict[str, Any]]:
    env, file = prepare(work, rows)
    ingest(env, file)  # the store holds the rows; every later ingest restates them
    alone = ingest(env, file)
    api = Api(env)
    try:
        api.put_budgets()
        httpx.get(
            f"{api.base}/v1/kpis", params={"month": "2026-06"}, headers=api.headers, timeout=300
        ).raise_for_status()
        quiet = _phase(api, clients, seconds, None)
        busy = _phase(api, clients, seconds, lambda: ingest(env, file))
    finally:
        api.stop()
    common = {"rows": rows, "clients": clients, "budgets": len(budgets()) + 1}
    return [
        {**common, "phase": "cached, no ingest", **quiet[0], "ingest_alone_s": round(alone, 1)},
        {
            **common,
            "phase": "ingest running",
            **busy[0],
            "ingest_alone_s": round(alone, 1),
            "ingest_during_s": round(busy[1], 1),
            "ingest_ratio": round(busy[1] / alone, 2),
            **busy[2],
        },
    ]


def _phase(
    api: Api, clients: int, seconds: float, writer: Any
) -> tuple[dict[str, Any], float, dict[str, Any]]:
    """Load for `seconds`; with `writer`, also for as long as it runs plus 3 s (to see the new
    snapshot served)."""
    until = threading.Event()
    result: list[Answer] = []
    loader = threading.Thread(target=lambda: result.extend(load(api, clients, until)))
    cpu_before = api.cpu_seconds()
    began = time.perf_counter()
    loader.start()
    ingest_s = writer() if writer else 0.0
    left = seconds - (time.perf_counter() - began)
    time.sleep(max(3.0 if writer else 0.0, left))
    until.set()
    loader.join()
    elapsed = time.perf_counter() - began
    cpu_after = api.cpu_seconds()
    measured = figures(result, elapsed)
    if cpu_before is not None and cpu_after is not None and result:
        measured["api_cpu_ms_per_request"] = round((cpu_after - cpu_before) * 1000 / len(result), 2)
    measured["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return measured, ingest_s, first_compute(result) if writer else {}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument("--dir", default=None, help="work directory (default: a temp dir)")
    args = parser.parse_args()
    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
        rows = run(args.rows, args.seconds, args.clients, Path(args.dir))
    else:
        with tempfile.TemporaryDirectory(prefix="serving-") as work:
            rows = run(args.rows, args.seconds, args.clients, Path(work))
    emit("/v1/kpis under load, without and with an ingest", rows, args.json_path)


if __name__ == "__main__":
    main()
