"""`/v1/alerts`: list, acknowledge, silence (audited); a silenced incident is recorded, not posted."""

from __future__ import annotations

from datetime import timedelta

from finance_pack_api_support import CATALYST, STEWARD, Api
from sqlalchemy import select
from test_stream_api import headers, point

from finance_pack.access.audit import read_audit
from finance_pack.store.watcher_tables import watcher_deliveries


def spike(api: Api) -> int:
    calm = [point(h, f"{40 + h % 3}.00") for h in range(72)]
    assert api.client.post("/v1/costs/stream", json=calm, headers=headers(api)).status_code == 202
    response = api.client.post("/v1/costs/stream", json=[point(72, "500.00")], headers=headers(api))
    [incident_id] = response.json()["incidents_opened"]
    return int(incident_id)


def test_a_steward_acknowledges_an_incident_and_it_is_audited(api: Api) -> None:
    incident_id = spike(api)
    listed = api.client.get("/v1/alerts", headers=headers(api, CATALYST))
    assert listed.status_code == 403  # alerts:read is the Policy Steward's
    [row] = api.client.get("/v1/alerts", headers=headers(api)).json()
    assert (row["id"], row["state"], row["silenced"]) == (incident_id, "open", False)
    acked = api.client.post(f"/v1/alerts/{incident_id}/ack", headers=headers(api))
    assert acked.status_code == 200 and acked.json()["acked_by"] == STEWARD
    assert api.client.post("/v1/alerts/999/ack", headers=headers(api)).status_code == 404
    with api.engine.connect() as connection:
        actions = [
            (r.action, r.actor) for r in read_audit(connection) if r.action.startswith("alerts.")
        ]
    assert actions == [("alerts.ack", STEWARD)]


def test_a_silenced_scope_records_the_incident_without_queuing_an_alert(api: Api) -> None:
    until = (api.clock.now() + timedelta(days=1)).isoformat()
    body = {
        "scope": {"provider": "aws", "account": "111122223333"},
        "until": until,
        "reason": "load test",
    }
    created = api.client.post("/v1/alerts/silences", json=body, headers=headers(api))
    assert created.status_code == 201, created.text
    assert created.json()["scope"] == "provider=aws|account=111122223333"
    spike(api)
    [row] = api.client.get("/v1/alerts", headers=headers(api)).json()
    assert row["silenced"] is True
    with api.engine.connect() as connection:
        assert connection.execute(select(watcher_deliveries)).all() == []


def test_a_silence_on_an_unknown_dimension_is_refused(api: Api) -> None:
    until = (api.clock.now() + timedelta(days=1)).isoformat()
    body = {"scope": {"colour": "red"}, "until": until}
    response = api.client.post("/v1/alerts/silences", json=body, headers=headers(api))
    assert response.status_code == 422 and "colour" in response.json()["detail"]
