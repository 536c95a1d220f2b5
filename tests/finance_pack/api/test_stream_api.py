"""`POST /v1/costs/stream`: JSON or NDJSON in; bad input is a 4xx naming where, nothing kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from finance_pack_api_support import CATALYST, STEWARD, Api
from sqlalchemy import func, select

from finance_pack.agents.cost_watcher.settings import WatcherSettings
from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.store.watcher_tables import watcher_points

START = datetime(2026, 11, 2, tzinfo=UTC)


def point(hour: int, cost: Any = "40.00", **changes: Any) -> dict[str, Any]:
    start = START + timedelta(hours=hour)
    body = {
        "dimensions": {"provider": "aws", "account": "111122223333", "service": "AmazonEC2"},
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "cost": cost,
        "currency": "USD",
    }
    return {**body, **changes}


def headers(api: Api, subject: str = STEWARD, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(subject)}", **extra}


def stored(api: Api) -> int:
    with api.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(watcher_points)).scalar_one()
        )


def test_a_json_array_is_accepted_and_stamped_with_its_ingestion_time(api: Api) -> None:
    response = api.client.post("/v1/costs/stream", json=[point(0), point(1)], headers=headers(api))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 2
    with api.engine.connect() as connection:
        stamps = connection.execute(select(watcher_points.c.ingested_at)).scalars().all()
    assert stamps[0] == datetime.fromisoformat(response.json()["ingested_at"])


def test_ndjson_is_accepted_line_by_line(api: Api) -> None:
    body = "\n".join(json.dumps(point(h)) for h in range(3)) + "\n"
    response = api.client.post(
        "/v1/costs/stream",
        content=body,
        headers=headers(api, **{"Content-Type": "application/x-ndjson"}),
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 3


def test_malformed_ndjson_names_the_line(api: Api) -> None:
    body = json.dumps(point(0)) + "\n{not json\n"
    response = api.client.post(
        "/v1/costs/stream",
        content=body,
        headers=headers(api, **{"Content-Type": "application/x-ndjson"}),
    )
    assert response.status_code == 400
    assert "line 2" in response.json()["detail"]
    assert stored(api) == 0


def test_malformed_json_is_a_400(api: Api) -> None:
    response = api.client.post(
        "/v1/costs/stream",
        content=b"[{",
        headers=headers(api, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400 and "line 1" in response.json()["detail"]


def test_an_oversized_batch_is_a_413_and_nothing_is_kept(api: Api) -> None:
    api.app.state.cost_watcher = CostWatcher(api.engine, WatcherSettings(max_batch=5))
    too_many = [point(h) for h in range(6)]
    response = api.client.post("/v1/costs/stream", json=too_many, headers=headers(api))
    assert response.status_code == 413
    assert "6 points in one batch; the limit is 5" in response.json()["detail"]
    huge = [point(h) for h in range(5_000)]  # over api.max_body_bytes: refused unread
    assert api.client.post("/v1/costs/stream", json=huge, headers=headers(api)).status_code == 413
    assert stored(api) == 0


def test_bad_points_name_the_field_and_nothing_is_kept(api: Api) -> None:
    cases = {
        "[1].cost": point(1, cost="NaN"),
        "[1].dimensions.colour": point(1, dimensions={"provider": "aws", "colour": "red"}),
        "[1].start": point(1, start="2026-11-02 10:00"),
        "[1].currency": point(1, currency="XYZ"),
    }
    for location, bad in cases.items():
        response = api.client.post("/v1/costs/stream", json=[point(0), bad], headers=headers(api))
        assert response.status_code == 422, (location, response.text)
        assert response.json()["detail"].startswith(location), response.text
    absurd = api.client.post("/v1/costs/stream", json=[point(0, cost="5e12")], headers=headers(api))
    assert absurd.status_code == 422 and "plausible" in absurd.json()["detail"]
    assert stored(api) == 0


def test_a_negative_cost_is_a_valid_credit(api: Api) -> None:
    response = api.client.post(
        "/v1/costs/stream", json=[point(0, cost="-12.50")], headers=headers(api)
    )
    assert response.status_code == 202 and response.json()["accepted"] == 1


def test_a_growth_catalyst_may_not_push_costs(api: Api) -> None:
    response = api.client.post("/v1/costs/stream", json=[point(0)], headers=headers(api, CATALYST))
    assert response.status_code == 403
