from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from finance_pack_api_support import CATALYST, STEWARD, Api

from finance_pack.access.audit import read_audit

BODY = {
    "amount": "2500.00",
    "currency": "USD",
    "scope": {"tags": {"team": ["data"]}},
    "thresholds": ["80", "100:forecast"],
}


def _as(api: Api, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(subject)}"}


def _budget_audit(api: Api) -> list[Any]:
    with api.engine.connect() as connection:
        return [r for r in read_audit(connection) if r.action.startswith("budgets.")]


def test_steward_puts_lists_and_deletes_a_budget_with_audit(api: Api) -> None:
    steward = _as(api, STEWARD)
    response = api.client.put("/v1/budgets/data", json=BODY, headers=steward)
    assert response.status_code == 200, response.text
    assert response.json()["thresholds"] == ["80:actual", "100:forecast"]
    listed = {
        b["name"]: b for b in api.client.get("/v1/budgets", headers=_as(api, CATALYST)).json()
    }
    assert listed["data"]["source"] == "managed" and listed["data"]["amount"] == "2500"
    assert listed["total"]["source"] == "finance.yaml"
    assert api.client.delete("/v1/budgets/data", headers=steward).status_code == 200
    records = _budget_audit(api)
    assert [(r.action, r.actor, r.via) for r in records] == [
        ("budgets.set", STEWARD, "api"),
        ("budgets.delete", STEWARD, "api"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "0"}, "must be positive"),
        ({"currency": "XYZ"}, "unknown currency"),
        ({"currency": "EUR"}, "billed in USD"),
        ({"thresholds": ["80", "80"]}, "duplicated"),
        ({"thresholds": ["5000"]}, "out of range"),
    ],
)
def test_bad_budgets_are_422_naming_the_problem_and_change_nothing(
    api: Api, change: dict[str, Any], message: str
) -> None:
    response = api.client.put("/v1/budgets/bad", json={**BODY, **change}, headers=_as(api, STEWARD))
    assert response.status_code == 422 and message in response.json()["detail"]
    assert _budget_audit(api) == []


def test_a_float_amount_or_unknown_field_is_refused_by_the_schema(api: Api) -> None:
    steward = _as(api, STEWARD)
    assert (
        api.client.put("/v1/budgets/x", json={**BODY, "amount": 12.5}, headers=steward).status_code
        == 422
    )
    assert (
        api.client.put("/v1/budgets/x", json={**BODY, "colour": "red"}, headers=steward).status_code
        == 422
    )


def test_deleting_a_finance_yaml_budget_is_refused(api: Api) -> None:
    response = api.client.delete("/v1/budgets/total", headers=_as(api, STEWARD))
    assert response.status_code == 422 and "finance.yaml" in response.json()["detail"]
    assert api.client.delete("/v1/budgets/nope", headers=_as(api, STEWARD)).status_code == 404


def test_kpis_without_cost_data_say_what_to_do(api: Api) -> None:
    response = api.client.get("/v1/kpis", headers=_as(api, CATALYST))
    assert response.status_code == 422 and "ingest" in response.json().get("hint", "")


def test_kpis_for_an_unknown_budget_are_404_like_the_cli(api: Api) -> None:
    """The same use case as `brctl finance kpi --budget nope`: an unknown name is not dropped."""
    response = api.client.get("/v1/kpis?budget=total&budget=nope", headers=_as(api, CATALYST))
    assert response.status_code == 404 and "no budget named nope" in response.text


def test_budget_routes_read_the_injected_clock(api: Api) -> None:
    api.clock.set(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    steward = _as(api, STEWARD)
    assert api.client.put("/v1/budgets/data", json=BODY, headers=steward).status_code == 200
    assert api.client.delete("/v1/budgets/data", headers=steward).status_code == 200
    assert [r.at for r in _budget_audit(api)] == [datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)] * 2
