"""Every role x every API route against a permission table transcribed by hand from DESIGN §6.

The table is the test's own data: it is never read from the routes, so a route that declares the
wrong permission (say `PUT /v1/budgets/{name}` asking for `budgets:read`) fails here. A route the
app serves without a row here fails too, with the row to add.

Adding a route: add one line to ROUTE_PERMISSIONS, `("METHOD", "/path/{param}"): "resource:verb"`
(PUBLIC for routes without a bearer token, such as health checks and signed webhooks; ANY_TOKEN
for routes open to every valid token).

Allowed requests must get past auth (not 401/403, and no crash (500); a 404 or 422 for the
placeholder path parameter `1` or the empty JSON body, or a 503 for a dependency not ready in a
fresh install, still shows the request was admitted); denied ones get 403 naming the permission.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from brctl.manifest import Manifest
from brctl.yamlfile import load_model
from finance_pack.access.tokens import issue_token
from finance_pack.api.app import create_app
from finance_pack.api.auth import route_table
from finance_pack.context import load_context
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

PUBLIC = "(public: no token)"
ANY_TOKEN = "(any valid token)"
DASHBOARD = "(dashboard page: browser session, checked by the dashboard tests)"

# (method, path as FastAPI declares it) -> the permission DESIGN §6 gives it.
ROUTE_PERMISSIONS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/v1/whoami"): ANY_TOKEN,
    ("GET", "/v1/audit"): "audit:read",
    ("DELETE", "/v1/tokens/{token_id}"): "roles:write",
    ("GET", "/v1/budgets"): "budgets:read",
    ("PUT", "/v1/budgets/{name}"): "budgets:write",
    ("DELETE", "/v1/budgets/{name}"): "budgets:write",
    ("GET", "/v1/kpis"): "kpis:read",
    ("GET", "/v1/slo"): "slo:read",
    ("GET", "/v1/alerts"): "alerts:read",
    ("GET", "/v1/alerts/silences"): "alerts:read",
    ("POST", "/v1/alerts/silences"): "alerts:write",
    ("POST", "/v1/alerts/{incident_id}/ack"): "alerts:write",
    ("GET", "/v1/costs"): "costs:read",
    ("POST", "/v1/costs/stream"): "costs:write",
    ("POST", "/v1/invoices"): "invoices:create",
    ("GET", "/v1/invoices"): "invoices:read",
    ("GET", "/v1/invoices/{invoice_id}"): "invoices:read",
    # The customer directory serves invoicing: whoever requests invoices may add a customer.
    ("POST", "/v1/customers"): "invoices:create",
    ("GET", "/v1/customers"): "invoices:read",
    ("GET", "/v1/customers/{customer_id}"): "invoices:read",
    # Stripe authenticates by its signature (Stripe-Signature), not by a token.
    ("POST", "/v1/webhooks/stripe"): PUBLIC,
    # DESIGN §6 names no forecast permission; the backtest reads spend KPIs (lead: confirm).
    ("GET", "/v1/forecast/backtest"): "kpis:read",
    # Dashboard pages: a signed-in browser session, not a bearer token (tests/.../dashboard).
    ("GET", "/"): DASHBOARD,
    ("GET", "/costs"): DASHBOARD,
    ("GET", "/forecasts"): DASHBOARD,
    ("GET", "/anomalies"): DASHBOARD,
    ("GET", "/invoices"): DASHBOARD,
    ("GET", "/slo"): DASHBOARD,
    ("GET", "/signin"): DASHBOARD,
    ("GET", "/signout"): DASHBOARD,
}

ALL_PERMISSIONS = frozenset(
    {
        "invoices:create",
        "invoices:read",
        "kpis:read",
        "budgets:read",
        "budgets:write",
        "costs:read",
        "costs:write",
        "alerts:read",
        "alerts:write",
        "detectors:write",
        "slo:read",
        "roles:write",
        "audit:read",
    }
)
NO_ROLE = "(no role)"
# DESIGN §6: what each role holds.
ROLE_GRANTS: dict[str, frozenset[str]] = {
    "growth-catalyst": frozenset(
        {"invoices:create", "invoices:read", "kpis:read", "budgets:read", "costs:read", "slo:read"}
    ),
    "policy-steward": ALL_PERMISSIONS - {"invoices:create"},
    NO_ROLE: frozenset(),
}
SUBJECT = "service:matrix-probe"
SHIPPED = load_model(Manifest, Path(str(files("finance_pack") / "pack" / "pack.yaml")))


def _served(client: TestClient) -> dict[tuple[str, str], tuple[str, ...]]:
    """(method, path) -> path parameter names, for every route the app serves."""
    return {
        (method, route.path): route.param_names
        for route in route_table(client.app)  # type: ignore[arg-type]
        for method in route.methods - {"HEAD", "OPTIONS"}
    }


def _request_path(path: str, params: tuple[str, ...]) -> str:
    for name in params:
        path = path.replace(f"{{{name}}}", "1").replace(f"{{{name}:path}}", "1")
    return path


def _client(target: Path, role: str) -> tuple[TestClient, str]:
    context = load_context(target)
    if role != NO_ROLE:
        context.roles_path.write_text(f"bindings:\n  - subject: {SUBJECT}\n    roles: [{role}]\n")
    engine = make_engine(context.state_db_url)
    upgrade(engine)
    with engine.begin() as connection:
        token = issue_token(
            connection, SUBJECT, "local:test", datetime.now(UTC), timedelta(hours=1)
        ).token
    return TestClient(create_app(context, engine), raise_server_exceptions=False), token


def test_the_shipped_roles_hold_exactly_the_permissions_design_gives_them() -> None:
    shipped = {role.name: frozenset(role.permissions) for role in SHIPPED.roles}
    assert shipped == {name: held for name, held in ROLE_GRANTS.items() if name != NO_ROLE}


def test_every_served_route_has_a_row_in_the_permission_table(installed_target: Path) -> None:
    client, _ = _client(installed_target, NO_ROLE)
    served = set(_served(client))
    missing = sorted(served - set(ROUTE_PERMISSIONS))
    stale = sorted(set(ROUTE_PERMISSIONS) - served)
    assert not missing, (
        "routes served but missing from ROUTE_PERMISSIONS in "
        + __file__
        + ":\n"
        + ("\n".join(f'    ("{m}", "{p}"): "<permission from DESIGN §6>",' for m, p in missing))
    )
    assert not stale, f"rows for routes the app no longer serves: {stale}"


@pytest.mark.parametrize("role", sorted(ROLE_GRANTS))
def test_every_route_admits_exactly_the_roles_design_grants_it(
    installed_target: Path, role: str
) -> None:
    client, token = _client(installed_target, role)
    served = _served(client)
    failures = []
    for (method, path), permission in sorted(ROUTE_PERMISSIONS.items()):
        if (method, path) not in served or permission == DASHBOARD:
            continue  # missing rows: the coverage test above; pages: the dashboard tests
        url = _request_path(path, served[(method, path)])
        body = {} if method in ("POST", "PUT", "PATCH") else None
        with_token = client.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, json=body
        )
        without = client.request(method, url, json=body)
        if permission == PUBLIC:
            ok = without.status_code not in (401, 403, 500)
            expected, got = "served without a token", without
        elif permission != ANY_TOKEN and permission not in ROLE_GRANTS[role]:
            ok = with_token.status_code == 403 and f"missing permission {permission}" in (
                with_token.text
            )
            expected, got = f"403 missing {permission}", with_token
        else:
            ok = with_token.status_code not in (401, 403, 500)
            expected, got = "allowed", with_token
        if permission != PUBLIC and without.status_code != 401:
            failures.append(f"{method} {path}: no token gave {without.status_code}, expected 401")
        if not ok:
            failures.append(
                f"{role:16} {method:6} {path:30} expected {expected}, "
                f"got {got.status_code} {got.text[:120]}"
            )
    assert not failures, "\n".join(failures)
