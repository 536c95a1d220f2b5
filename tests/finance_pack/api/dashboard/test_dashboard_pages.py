"""The dashboard: sign-in links, pages behind the API's permissions, and figures identical to
the API's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from finance_pack_api_support import CATALYST, STEWARD, Api

from finance_pack.access.actors import Actor
from finance_pack.services.signin import issue_signin_link

SESSION = "finance_session"


def _link(api: Api, subject: str, now: datetime | None = None) -> str:
    actor = Actor("local:test", (), frozenset(), "test", "cli")
    link = issue_signin_link(
        api.engine, subject, actor, "http://testserver", now or datetime.now(UTC)
    )
    return link.url.removeprefix("http://testserver")


def _sign_in(api: Api, subject: str) -> None:
    response = api.client.get(_link(api, subject), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


class _Kpis(HTMLParser):
    """Collects `data-kpi` figures per budget card from the budgets page."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict[str, str]] = {}
        self._budget: str | None = None
        self._kpi: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-budget" in found:
            self._budget = str(found["data-budget"])
            self.cards[self._budget] = {}
        if "data-kpi" in found:
            self._kpi = str(found["data-kpi"])
            if "datetime" in found:  # a <time>: the machine-readable value is the contract
                self.cards[str(self._budget)][self._kpi] = str(found["datetime"])
                self._kpi = None

    def handle_data(self, data: str) -> None:
        if self._budget and self._kpi and data.strip():
            self.cards[self._budget].setdefault(self._kpi, data.strip())
            self._kpi = None


def test_pages_without_a_session_show_how_to_sign_in(dashboard: Api) -> None:
    for page in ("/", "/costs", "/slo"):
        response = dashboard.client.get(page)
        assert response.status_code == 401
        assert "text/html" in response.headers["content-type"]
        assert "brctl finance dashboard-link" in response.text


def test_a_sign_in_link_works_once_and_opens_the_budgets_page(dashboard: Api) -> None:
    link = _link(dashboard, CATALYST)
    assert dashboard.client.get(link, follow_redirects=False).status_code == 303
    page = dashboard.client.get("/")
    assert page.status_code == 200
    assert CATALYST in page.text
    again = dashboard.client.get(link, follow_redirects=False)
    assert again.status_code == 401
    assert "revoked" in again.text or "already used" in again.text


@pytest.mark.parametrize(
    "mangle", [lambda u: u[:-3] + "xyz", lambda u: u.split("?")[0] + "?token=brf_nope"]
)
def test_a_tampered_link_is_refused(dashboard: Api, mangle: object) -> None:
    response = dashboard.client.get(mangle(_link(dashboard, STEWARD)), follow_redirects=False)  # type: ignore[operator]
    assert response.status_code == 401
    assert SESSION not in response.headers.get("set-cookie", "")


def test_an_expired_link_is_refused(dashboard: Api) -> None:
    stale = _link(dashboard, STEWARD, datetime.now(UTC) - timedelta(minutes=11))
    response = dashboard.client.get(stale, follow_redirects=False)
    assert response.status_code == 401
    assert "expired" in response.text


def test_an_api_token_is_not_a_sign_in_link_and_stays_valid(dashboard: Api) -> None:
    token = dashboard.token(STEWARD)
    response = dashboard.client.get(f"/signin?token={token}", follow_redirects=False)
    assert response.status_code == 401
    assert "not a sign-in link" in response.text
    headers = {"Authorization": f"Bearer {token}"}
    assert dashboard.client.get("/v1/budgets", headers=headers).status_code == 200


def test_the_session_cookie_reads_but_never_changes_anything(dashboard: Api) -> None:
    _sign_in(dashboard, STEWARD)
    assert dashboard.client.get("/v1/budgets").status_code == 200
    body = {"amount": "1.00", "currency": "USD"}
    assert dashboard.client.put("/v1/budgets/csrf", json=body).status_code == 401
    assert dashboard.client.delete("/v1/budgets/web").status_code == 401


def test_a_subject_without_a_role_is_told_what_is_missing(dashboard: Api) -> None:
    _sign_in(dashboard, "user:nobody@example.com")
    response = dashboard.client.get("/")
    assert response.status_code == 403
    assert "kpis:read" in response.text


def test_budget_cards_show_exactly_the_api_figures(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    parser = _Kpis()
    parser.feed(dashboard.client.get("/").text)
    api_rows = {row["budget"]: row for row in dashboard.client.get("/v1/kpis").json()}
    assert set(parser.cards) == {"platform", "web", "total"} == set(api_rows)
    for name, shown in parser.cards.items():
        row = api_rows[name]
        assert shown["mtd_spend"] == f"USD {row['mtd_spend']}"
        assert shown["budget_amount"] == f"USD {row['budget_amount']}"
        assert shown["forecast_month_end"] == f"USD {row['forecast_month_end']}"
        assert shown["forecast_range"] == f"{row['forecast_low']}–{row['forecast_high']}"
        assert shown.get("forecast_fallback") == row["forecast_fallback"]
        assert shown["consumption_actual_pct"] == f"{row['consumption_actual_pct']}%"
        assert shown["as_of"] == row["as_of"]
    assert dashboard.client.get("/").text.count('<svg class="burn"') == 3


def test_a_forecast_from_a_short_history_says_so_on_its_card(short_dashboard: Api) -> None:
    _sign_in(short_dashboard, CATALYST)
    parser = _Kpis()
    parser.feed(short_dashboard.client.get("/").text)
    [row] = short_dashboard.client.get("/v1/kpis").json()
    assert row["forecast_fallback"].startswith("short history (")
    assert parser.cards[row["budget"]]["forecast_fallback"] == row["forecast_fallback"]


def test_the_cost_explorer_matches_the_api_and_downloads_csv(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    page = dashboard.client.get("/costs", params={"group_by": "service"})
    assert page.status_code == 200
    api = dashboard.client.get("/v1/costs", params={"group_by": "service"}).json()
    assert api["rows"], "seeded spend has services"
    shown = re.findall(r'<tr data-key="([^"]+)">.*?data-col="amount">([^<]+)<', page.text, re.S)
    assert shown == [(row["key"], row["amount"]) for row in api["rows"]]
    csv = dashboard.client.get("/v1/costs", params={"group_by": "service", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "key,currency,amount,previous,change,change_pct"
    assert len(lines) == len(api["rows"]) + 1
    by_tag = dashboard.client.get("/costs", params={"tag_key": "team"})
    assert "tag:team" in by_tag.text and 'data-key="platform"' in by_tag.text


def test_the_slo_page_lists_the_three_slos(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    page = dashboard.client.get("/slo").text
    for slo in dashboard.client.get("/v1/slo").json():
        assert f'data-slo="{slo["slo"]}"' in page


def test_signing_out_ends_the_session(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    assert dashboard.client.get("/signout", follow_redirects=False).status_code == 303
    assert dashboard.client.get("/").status_code == 401


def test_forecast_accuracy_shows_the_api_back_test(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    api = dashboard.client.get("/v1/forecast/backtest", params={"months": 1}).json()
    assert {r["forecaster"] for r in api["results"]} == {"linear", "seasonal"}
    page = dashboard.client.get("/forecasts", params={"months": 1}).text
    for result in api["results"]:
        shown = re.search(
            rf'data-forecaster="{result["forecaster"]}">.*?data-col="mape_5_25">([^<]+)<',
            page,
            re.S,
        )
        assert shown is not None
        expected = "n/a" if result["mape_5_25"] is None else f"{result['mape_5_25']:.1f}%"
        assert shown.group(1) == expected


def test_the_back_test_of_an_unknown_budget_is_404(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    response = dashboard.client.get("/v1/forecast/backtest", params={"budget": "nope"})
    assert response.status_code == 404


def test_a_budget_that_cannot_be_read_is_named_and_the_others_are_shown(dashboard: Api) -> None:
    from sqlalchemy import text

    insert = text(
        "INSERT INTO budgets (name, amount_minor, currency, scope_json, thresholds_json,"
        " updated_at, updated_by) VALUES ('tiny', 0, 'USD', '{}', '[]', CURRENT_TIMESTAMP, 'x')"
    )
    with dashboard.engine.begin() as connection:
        connection.execute(insert)
    try:
        _sign_in(dashboard, CATALYST)
        page = dashboard.client.get("/")
        assert page.status_code == 200
        assert re.search(r"<strong>tiny</strong>: not computed: [^<]*must be positive", page.text)
        assert page.text.count('<svg class="burn"') == 3  # total, platform and web
    finally:
        with dashboard.engine.begin() as connection:
            connection.execute(text("DELETE FROM budgets WHERE name = 'tiny'"))


def _stream_spike(api: Api) -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    token = {"Authorization": f"Bearer {api.token(STEWARD)}"}

    def point(hour: int, cost: str) -> dict[str, object]:
        at = start + timedelta(hours=hour)
        return {
            "dimensions": {"provider": "aws", "account": "111122223333", "service": "AmazonEC2"},
            "start": at.isoformat(),
            "end": (at + timedelta(hours=1)).isoformat(),
            "cost": cost,
            "currency": "USD",
        }

    calm = [point(h, f"{40 + h % 3}.00") for h in range(72)]
    assert api.client.post("/v1/costs/stream", json=calm, headers=token).status_code == 202
    spike = api.client.post("/v1/costs/stream", json=[point(72, "500.00")], headers=token)
    assert spike.json()["incidents_opened"], spike.text


def test_anomalies_show_the_api_incidents_with_a_chart(dashboard: Api) -> None:
    _stream_spike(dashboard)
    _sign_in(dashboard, STEWARD)
    [row] = [r for r in dashboard.client.get("/v1/alerts").json() if r["state"] == "open"][:1]
    page = dashboard.client.get("/anomalies", params={"state": "open"}).text
    card = re.search(rf'data-incident="{row["id"]}">.*?</article>', page, re.S)
    assert card is not None
    assert f'data-col="impact">USD {row["impact"]}<' in card.group(0)
    assert '<svg class="contributors"' in card.group(0)
    assert "AmazonEC2" in card.group(0)


def test_anomalies_need_alerts_read_and_are_not_offered_without_it(dashboard: Api) -> None:
    _sign_in(dashboard, CATALYST)
    assert 'href="/anomalies"' not in dashboard.client.get("/").text
    assert dashboard.client.get("/anomalies").status_code == 403


def test_invoices_show_the_api_rows_with_their_state(dashboard: Api) -> None:
    token = {"Authorization": f"Bearer {dashboard.token(CATALYST)}"}
    customer = {"id": "acme", "name": "Acme Corp", "email": "ap@acme.test", "currency": "usd"}
    dashboard.client.post("/v1/customers", json=customer, headers=token)
    body = {"customer": "acme", "amount": "1250.00", "currency": "usd"}
    created = dashboard.client.post("/v1/invoices", json=body, headers=token)
    assert created.status_code in (200, 201), created.text
    _sign_in(dashboard, CATALYST)
    [row] = [
        r for r in dashboard.client.get("/v1/invoices").json() if r["id"] == created.json()["id"]
    ]
    page = dashboard.client.get("/invoices").text
    shown = re.search(rf'data-invoice="{row["id"]}">.*?data-col="amount">([^<]+)<', page, re.S)
    assert shown is not None and shown.group(1) == "USD 1250.00"
    assert f">{row['status']}<" in page
