"""The dashboard's budgets and forecast accuracy pages go through the API's KPI cache: a second
view computes nothing, a reload with the page's `ETag` is a 304, and a new snapshot, a budget
change or the next clock step computes once, for the page and `/v1/kpis` together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from finance_pack_api_support import CATALYST, STEWARD, Api

from finance_pack.access.actors import Actor
from finance_pack.api import forecasts, kpi_answers
from finance_pack.costs.publish import append_records
from finance_pack.domain.costs import CostRecord
from finance_pack.domain.money import Money
from finance_pack.services import backtest, reporting
from finance_pack.services.signin import issue_signin_link


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How many times the KPI report and the back-test were computed."""
    counts = {"kpis": 0, "backtest": 0}
    real_kpis, real_backtest = reporting.budget_snapshots, backtest.forecast_backtest

    def kpis(*args: Any, **kwargs: Any) -> Any:
        counts["kpis"] += 1
        return real_kpis(*args, **kwargs)

    def back_test(*args: Any, **kwargs: Any) -> Any:
        counts["backtest"] += 1
        return real_backtest(*args, **kwargs)

    monkeypatch.setattr(kpi_answers, "budget_snapshots", kpis)
    monkeypatch.setattr(forecasts, "forecast_backtest", back_test)
    yield counts


def _sign_in(api: Api, subject: str) -> None:
    actor = Actor("local:test", (), frozenset(), "test", "cli")
    link = issue_signin_link(api.engine, subject, actor, "http://testserver", datetime.now(UTC))
    response = api.client.get(link.url.removeprefix("http://testserver"), follow_redirects=False)
    assert response.status_code == 303


def _spend_today(api: Api, amount: str) -> None:
    """A new snapshot: spend in the clock's current month."""
    start = api.clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    record = CostRecord(
        charge_period_start=start,
        charge_period_end=start + timedelta(hours=1),
        billed_cost=Money(Decimal(amount), "USD"),
        effective_cost=Money(Decimal(amount), "USD"),
        provider_name="AWS",
        billing_account_id="210000000001",
        service_name="Amazon Elastic Compute Cloud",
    )
    append_records(api.context.cost_store_url, "UTC", "test", [record])


def test_a_second_view_of_the_budgets_page_computes_nothing(
    dashboard: Api, computations: dict[str, int]
) -> None:
    _sign_in(dashboard, CATALYST)
    first = dashboard.client.get("/")
    assert first.status_code == 200
    assert computations["kpis"] == 1
    again = dashboard.client.get("/")
    assert again.status_code == 200
    assert again.text == first.text
    assert computations["kpis"] == 1
    reload = dashboard.client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert reload.status_code == 304
    assert reload.headers["ETag"] == first.headers["ETag"]
    assert reload.content == b""
    assert computations["kpis"] == 1


def test_the_budgets_page_is_private_and_revalidated(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    page = dashboard.client.get("/")
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert page.headers["ETag"].startswith('"')


def test_the_budgets_page_and_the_api_share_one_computation(
    dashboard: Api, computations: dict[str, int]
) -> None:
    _sign_in(dashboard, CATALYST)
    assert dashboard.client.get("/").status_code == 200
    for _ in range(3):
        assert dashboard.client.get("/v1/kpis").status_code == 200
    assert computations["kpis"] == 1


def test_a_new_snapshot_computes_the_page_once_more(
    dashboard: Api, computations: dict[str, int]
) -> None:
    _sign_in(dashboard, CATALYST)
    before = dashboard.client.get("/")
    _spend_today(dashboard, "1000.00")
    after = dashboard.client.get("/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert dashboard.client.get("/").status_code == 200
    assert computations["kpis"] == 2


def test_a_budget_change_computes_the_page_once_more(
    dashboard: Api, computations: dict[str, int]
) -> None:
    _sign_in(dashboard, CATALYST)
    before = dashboard.client.get("/")
    token = {"Authorization": f"Bearer {dashboard.token(STEWARD)}"}
    body = {"amount": "901.00", "currency": "USD"}
    assert dashboard.client.put("/v1/budgets/web", json=body, headers=token).status_code == 200
    after = dashboard.client.get("/", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert 'data-kpi="budget_amount">USD 901.00<' in after.text
    assert dashboard.client.get("/").status_code == 200
    assert computations["kpis"] == 2


def test_the_next_clock_step_computes_once_and_moves_the_data_age(
    dashboard: Api, computations: dict[str, int]
) -> None:
    _sign_in(dashboard, CATALYST)
    now = dashboard.clock.now()
    dashboard.clock.set(now.replace(hour=12, minute=0, second=30, microsecond=0))
    first = dashboard.client.get("/v1/kpis").json()
    dashboard.clock.advance(timedelta(minutes=2))  # 12:02:30, the same 3-minute step
    assert dashboard.client.get("/v1/kpis").json() == first
    assert computations["kpis"] == 1
    dashboard.clock.advance(timedelta(minutes=4))  # 12:06:30: 6 minutes later, 0.1 h older
    later = dashboard.client.get("/v1/kpis").json()
    assert computations["kpis"] == 2
    older = [
        Decimal(b["data_age_hours"]) - Decimal(a["data_age_hours"])
        for a, b in zip(first, later, strict=True)
    ]
    assert older == [Decimal("0.1")] * 3


def test_one_subjects_page_is_never_anothers_304(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    catalyst = dashboard.client.get("/")
    _sign_in(dashboard, STEWARD)
    steward = dashboard.client.get("/", headers={"If-None-Match": catalyst.headers["ETag"]})
    assert steward.status_code == 200
    assert STEWARD in steward.text


def test_forecast_accuracy_is_computed_once_for_the_page_and_the_api(
    dashboard: Api, computations: dict[str, int]
) -> None:
    _sign_in(dashboard, CATALYST)
    page = dashboard.client.get("/forecasts", params={"months": 1})
    assert page.status_code == 200
    assert dashboard.client.get("/forecasts", params={"months": 1}).status_code == 200
    assert dashboard.client.get("/v1/forecast/backtest", params={"months": 1}).status_code == 200
    assert computations["backtest"] == 1
    reload = dashboard.client.get(
        "/forecasts", params={"months": 1}, headers={"If-None-Match": page.headers["ETag"]}
    )
    assert reload.status_code == 304
    assert "data-behind" not in page.text
    _spend_today(dashboard, "5.00")
    # A back-test takes seconds a budget: the page shows the previous one at once, saying
    # so, while the new snapshot's is computed in the background...
    meanwhile = dashboard.client.get("/forecasts", params={"months": 1})
    assert meanwhile.status_code == 200
    assert "data-behind" in meanwhile.text
    assert meanwhile.headers["ETag"] == page.headers["ETag"]
    dashboard.app.state.finance.kpi_cache.settle(120)
    assert computations["backtest"] == 2
    # ... then shows the new one.
    after = dashboard.client.get("/forecasts", params={"months": 1})
    assert after.status_code == 200
    assert "data-behind" not in after.text
    assert after.headers["ETag"] != page.headers["ETag"]


def test_the_api_back_test_waits_for_new_data_where_the_page_shows_the_previous(
    dashboard: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A script that ingests and then asks for the back-test gets the new data's.
    threads: list[str] = []
    real = backtest.forecast_backtest

    def on_which_thread(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(forecasts, "forecast_backtest", on_which_thread)
    _sign_in(dashboard, CATALYST)
    assert dashboard.client.get("/v1/forecast/backtest", params={"months": 1}).status_code == 200
    _spend_today(dashboard, "5.00")
    assert dashboard.client.get("/v1/forecast/backtest", params={"months": 1}).status_code == 200
    assert len(threads) == 2
    assert not threads[1].startswith("kpi-cache-")  # computed while the caller waited


def test_a_reload_while_the_new_back_test_is_computed_is_a_304(
    dashboard: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The browser holds the page it is shown; until the new back-test is ready nothing else
    # would be sent, so nothing is.
    release = threading.Event()
    real = backtest.forecast_backtest
    calls: list[int] = []

    def held(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(forecasts, "forecast_backtest", held)
    _sign_in(dashboard, CATALYST)
    page = dashboard.client.get("/forecasts", params={"months": 1})
    _spend_today(dashboard, "5.00")
    meanwhile = dashboard.client.get("/forecasts", params={"months": 1})
    assert "data-behind" in meanwhile.text
    etag = {"If-None-Match": page.headers["ETag"]}
    assert dashboard.client.get("/forecasts", params={"months": 1}, headers=etag).status_code == 304
    release.set()
    dashboard.app.state.finance.kpi_cache.settle(120)
    assert dashboard.client.get("/forecasts", params={"months": 1}, headers=etag).status_code == 200
