"""The Go client of `POST /v1/costs/stream` (clients/go), as the playbook's troubleshooting
step runs it (`GO111MODULE=on go test ./...`) and against a real `brctl finance up` process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from test_live_contract import LiveApi, live_api  # noqa: F401  (the real server fixture)

ROOT = Path(__file__).resolve().parents[3]
GO = shutil.which("go") or "/usr/bin/go"
ACCOUNT = "444455556666"


def _go_env(tmp_path: Path) -> dict[str, str]:
    # The client uses the standard library only: nothing may be downloaded (GOPROXY=off).
    return {**os.environ, "GO111MODULE": "on", "GOPROXY": "off", "GOPATH": str(tmp_path / "gopath")}


def test_the_playbooks_go_test_command_passes(tmp_path: Path) -> None:
    result = subprocess.run(
        [GO, "test", "./..."], cwd=ROOT, env=_go_env(tmp_path), capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok  \tblackroad.dev/finance-pack/clients/go/coststream" in result.stdout


@pytest.fixture(scope="module")
def finance_stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("go") / "finance-stream"
    result = subprocess.run(
        [GO, "build", "-o", str(out), "./clients/go/cmd/finance-stream"],
        cwd=ROOT,
        env=_go_env(out.parent),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return out


def _point(at: datetime, cost: str, currency: str = "USD", service: str = "AmazonEC2") -> str:
    def iso(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    dimensions = {"provider": "aws", "account": ACCOUNT, "service": service}
    end = at + timedelta(hours=1)
    return json.dumps(
        {
            "dimensions": dimensions,
            "start": iso(at),
            "end": iso(end),
            "cost": cost,
            "currency": currency,
        }
    )


def _hourly_points(hours: int, spike_at: int) -> str:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    costs = ["60.00" if h == spike_at else f"{2.40 + 0.05 * (h % 3):.2f}" for h in range(hours)]
    return "".join(_point(start + timedelta(hours=h), cost) + "\n" for h, cost in enumerate(costs))


def _send(binary: Path, api: LiveApi, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FINANCE_API_TOKEN": token, "FINANCE_API_URL": api.url}
    return subprocess.run([str(binary), *args], env=env, capture_output=True, text=True)


def test_points_sent_by_the_go_client_are_judged_and_a_resend_counts_nothing_twice(
    live_api: LiveApi,  # noqa: F811
    finance_stream: Path,
    tmp_path: Path,
) -> None:
    points = tmp_path / "points.ndjson"
    points.write_text(_hourly_points(hours=24 * 4, spike_at=24 * 4 - 1))

    first = _send(
        finance_stream, live_api, "-batch", "40", str(points), token=live_api.steward_token
    )
    again = _send(finance_stream, live_api, str(points), token=live_api.steward_token)

    assert first.returncode == 0, first.stderr
    sent = json.loads(first.stdout)
    assert (sent["batches"], sent["accepted"], sent["duplicates"]) == (3, 96, 0)
    assert sent["anomalies"] == 1 and len(sent["incidents_opened"]) == 1
    resent = json.loads(again.stdout)
    assert (resent["accepted"], resent["duplicates"], resent["anomalies"]) == (0, 96, 0)
    alerts = httpx.get(
        f"{live_api.url}/v1/alerts",
        headers={"Authorization": f"Bearer {live_api.steward_token}"},
        timeout=30,
    ).json()
    assert ACCOUNT in json.dumps(alerts)


def test_a_refusal_names_the_point_and_a_bad_token_is_not_retried(
    live_api: LiveApi,  # noqa: F811
    finance_stream: Path,
    tmp_path: Path,
) -> None:
    points = tmp_path / "team.ndjson"
    at = datetime(2026, 11, 2, tzinfo=UTC)
    known = _point(at, "1.00", service="AmazonS3")
    # `team` is not in this install's watcher.dimensions: only the server can tell.
    unknown = known.replace('"service"', '"team": "web", "service"')
    points.write_text(f"{known}\n{unknown}\n")

    refused = _send(finance_stream, live_api, str(points), token=live_api.steward_token)
    unauthorised = _send(finance_stream, live_api, str(points), token="fin_not_a_token")

    assert refused.returncode == 1
    assert "HTTP 422" in refused.stderr and "[1].dimensions.team" in refused.stderr, refused.stderr
    assert unauthorised.returncode == 1
    assert "HTTP 401" in unauthorised.stderr and "attempts" not in unauthorised.stderr
