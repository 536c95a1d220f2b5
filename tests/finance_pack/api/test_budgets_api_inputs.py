"""`/v1/budgets` with real-world and hostile input, on SQLite and PostgreSQL: exact amounts,
non-finite numbers, oversized names and bodies, look-alike names, invalid stored rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from finance_pack_api_support import CATALYST, STEWARD, Api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from finance_pack.sandbox.seed_spend import write_focus_csv


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_api(
    request: pytest.FixtureRequest, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    if request.param == "postgres":
        monkeypatch.setenv("FINANCE_DATABASE_URL", request.getfixturevalue("postgres_url"))
    api = Api(installed_target)
    yield api
    api.engine.dispose()


def _headers(api: Api, subject: str = STEWARD) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token(subject)}"}


def _listed(api: Api) -> dict[str, dict[str, Any]]:
    response = api.client.get("/v1/budgets", headers=_headers(api, CATALYST))
    assert response.status_code == 200, response.text
    return {b["name"]: b for b in response.json()}


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("250000.33", "250000.33"),
        ("12345678.91", "12345678.91"),
        ("9007199254740993", "9007199254740993"),
    ],
)
def test_amounts_from_the_report_come_back_exactly(
    any_db_api: Api, amount: str, expected: str
) -> None:
    body = {"amount": amount, "currency": "USD", "thresholds": ["80"]}
    assert any_db_api.client.put(
        "/v1/budgets/x", json=body, headers=_headers(any_db_api)
    ).is_success
    assert _listed(any_db_api)["x"]["amount"] == expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cents=st.integers(min_value=1, max_value=10**18 - 1))
def test_any_amount_in_cents_round_trips_through_the_api(any_db_api: Api, cents: int) -> None:
    amount = f"{Decimal(cents).scaleb(-2):f}"
    body = {"amount": amount, "currency": "USD", "thresholds": ["80"]}
    response = any_db_api.client.put("/v1/budgets/prop", json=body, headers=_headers(any_db_api))
    assert response.status_code == 200, response.text
    assert Decimal(_listed(any_db_api)["prop"]["amount"]) == Decimal(amount)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("tiny", {"amount": "0.0000000000001"}, "more precise than USD's minor unit"),
        ("cents", {"amount": "100.555"}, "more precise than USD's minor unit"),
        ("huge", {"amount": "1" + "0" * 27}, "beyond the largest budget"),
        ("n" * 65, {}, "at most 64"),
        ("nan", {"thresholds": ["NaN"]}, "finite"),
        ("snan", {"thresholds": ["sNaN"]}, "finite"),
        ("inf", {"thresholds": ["Infinity"]}, "finite"),
    ],
)
def test_bad_input_is_422_and_no_row_is_written_on_either_database(
    any_db_api: Api, name: str, change: dict[str, Any], message: str
) -> None:
    body = {"amount": "100", "currency": "USD", "thresholds": ["80"], **change}
    response = any_db_api.client.put(f"/v1/budgets/{name}", json=body, headers=_headers(any_db_api))
    assert response.status_code == 422, response.text
    assert message in response.text
    assert name not in _listed(any_db_api)


def test_a_1000_character_name_is_422_naming_the_limit(api: Api) -> None:
    body = {"amount": "100", "currency": "USD"}
    response = api.client.put("/v1/budgets/" + "n" * 1000, json=body, headers=_headers(api))
    assert response.status_code == 422 and "at most 64" in response.text
    assert len(response.text) < 2000


def test_a_fullwidth_look_alike_name_changes_the_same_budget(api: Api) -> None:
    body = {"amount": "777", "currency": "USD"}
    response = api.client.put("/v1/budgets/ｔｏｔａｌ", json=body, headers=_headers(api))
    assert response.status_code == 200 and response.json()["name"] == "total"
    listed = _listed(api)
    assert "ｔｏｔａｌ" not in listed and listed["total"]["amount"] == "777"


def test_a_request_body_over_the_limit_is_refused_with_413(api: Api) -> None:
    body = {"amount": "100", "currency": "USD", "scope": {"services": ["s" * 300_000]}}
    response = api.client.put("/v1/budgets/big", json=body, headers=_headers(api))
    assert response.status_code == 413
    assert "big" not in _listed(api)


def test_a_stored_row_that_is_no_longer_valid_does_not_hide_the_others(any_db_api: Api) -> None:
    api = any_db_api
    with api.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO budgets (name, amount_minor, currency, scope_json, thresholds_json,"
                " updated_at, updated_by) VALUES ('tiny', 0, 'USD', '{}', '[]',"
                " CURRENT_TIMESTAMP, 'x')"
            )
        )
    listed = _listed(api)
    assert listed["total"]["amount"] == "10000"
    assert "must be positive" in listed["tiny"]["error"]
    assert api.client.delete("/v1/budgets/tiny", headers=_headers(api)).status_code == 200
    assert "tiny" not in _listed(api)


def test_a_partial_put_keeps_what_it_does_not_name_and_says_what_changed(api: Api) -> None:
    before = _listed(api)["total"]
    response = api.client.put(
        "/v1/budgets/total", json={"amount": "12000.50"}, headers=_headers(api)
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["changed"] == ["amount"] and after["created"] is False
    assert after["thresholds"] == before["thresholds"] and after["thresholds"]
    assert after["scope"] == before["scope"] and after["currency"] == "USD"


def test_a_budget_without_thresholds_is_saved_with_a_warning(api: Api) -> None:
    body = {"amount": "10", "currency": "USD"}
    response = api.client.put("/v1/budgets/quiet", json=body, headers=_headers(api))
    assert response.status_code == 200
    assert any("never alert" in w for w in response.json()["warnings"])


def test_kpis_report_every_budget_beside_a_stored_row_that_is_no_longer_valid(
    api: Api, brctl: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    export = tmp_path / "focus.csv"
    write_focus_csv(export, date(2026, 9, 1), date(2026, 10, 20))
    assert brctl("finance", "ingest", "focus", str(export))[0] == 0
    # The default month is the one containing now: the morning after the data ends.
    api.clock.set(datetime(2026, 10, 21, 6, tzinfo=UTC))
    with api.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO budgets (name, amount_minor, currency, scope_json, thresholds_json,"
                " updated_at, updated_by) VALUES ('tiny', 0, 'USD', '{}', '[]',"
                " CURRENT_TIMESTAMP, 'x')"
            )
        )
    response = api.client.get("/v1/kpis", headers=_headers(api, CATALYST))
    assert response.status_code == 200, response.text
    rows = {r["budget"]: r for r in response.json()}
    assert rows["total"]["mtd_spend"] is not None and rows["total"]["month"] == "2026-10"
    assert rows["tiny"]["status"] == "error" and "must be positive" in rows["tiny"]["error"]


def test_an_error_names_its_budget_once(api: Api) -> None:
    body = {"amount": "0", "currency": "USD"}
    response = api.client.put("/v1/budgets/bad2", json=body, headers=_headers(api))
    assert response.status_code == 422
    assert response.json()["detail"] == "budget bad2: amount must be positive, got 0 USD"
