from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import APIRouter, FastAPI
from finance_pack_api_support import CATALYST, ROLES, STEWARD, Api

from brctl.manifest import Manifest
from brctl.yamlfile import load_model
from finance_pack.access.audit import read_audit
from finance_pack.api.app import PUBLIC_PATHS
from finance_pack.api.auth import is_public, require, route_table


def test_whoami_names_the_subject_roles_and_permissions(api: Api) -> None:
    token = api.token(CATALYST)
    response = api.client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert response.status_code == 200
    assert (body["subject"], body["roles"]) == (CATALYST, ["growth-catalyst"])
    assert "invoices:create" in body["permissions"] and "audit:read" not in body["permissions"]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer brf_nothing", "Bearer not-a-token"],
)
def test_missing_or_bad_credentials_are_401_with_a_bearer_challenge(
    api: Api, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = api.client.get("/v1/audit", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_tampered_token_is_401(api: Api) -> None:
    token = api.token(STEWARD)
    tampered = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    response = api.client.get("/v1/audit", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401 and response.json()["detail"] == "invalid token"


def test_an_expired_token_is_401(api: Api) -> None:
    token = api.token(STEWARD, timedelta(hours=1))
    api.clock.advance(timedelta(hours=1, seconds=1))
    response = api.client.get("/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_revoked_token_is_401_and_the_revocation_is_audited_once(api: Api) -> None:
    victim = api.token(CATALYST)
    steward = api.token(STEWARD)
    token_id = victim.split("_")[1]
    response = api.client.delete(
        f"/v1/tokens/{token_id}", headers={"Authorization": f"Bearer {steward}"}
    )
    assert response.status_code == 200 and response.json()["changed"] is True
    again = api.client.delete(
        f"/v1/tokens/{token_id}", headers={"Authorization": f"Bearer {steward}"}
    )
    assert again.status_code == 200 and again.json()["changed"] is False
    response = api.client.get("/v1/whoami", headers={"Authorization": f"Bearer {victim}"})
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    with api.engine.connect() as connection:
        [record] = read_audit(connection)
    assert (record.actor, record.action, record.via) == (STEWARD, "token.revoke", "api")


def test_revoking_an_unknown_token_is_404_and_records_nothing(api: Api) -> None:
    steward = api.token(STEWARD)
    response = api.client.delete(
        "/v1/tokens/ffffffffffff", headers={"Authorization": f"Bearer {steward}"}
    )
    assert response.status_code == 404
    with api.engine.connect() as connection:
        assert read_audit(connection) == []


def test_a_missing_permission_is_403_naming_it(api: Api) -> None:
    token = api.token(CATALYST)
    response = api.client.get("/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["detail"].startswith("missing permission audit:read")


def test_a_removed_binding_takes_the_permission_away_at_once(api: Api) -> None:
    token = api.token(STEWARD)
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/v1/audit", headers=headers).status_code == 200
    api.context.roles_path.write_text(ROLES.replace("[policy-steward]", "[growth-catalyst]"))
    response = api.client.get("/v1/audit", headers=headers)
    assert response.status_code == 403 and "audit:read" in response.json()["detail"]


def test_a_broken_roles_file_fails_closed(api: Api) -> None:
    token = api.token(STEWARD)
    api.context.roles_path.write_text(ROLES.replace("policy-steward", "superuser"))
    response = api.client.get("/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503 and "unknown role 'superuser'" in response.json()["detail"]


def test_health_and_metrics_stay_open(api: Api) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert api.client.get(path).status_code == 200, path


def test_openapi_advertises_bearer_auth(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def _undeclared(app: FastAPI, permissions: set[str]) -> list[str]:
    problems = []
    for route in route_table(app):
        if is_public(route.path, PUBLIC_PATHS):
            continue
        if not route.permissions:
            problems.append(f"{sorted(route.methods)} {route.path} declares no permission")
        problems += [
            f"{route.path} declares unknown {p}" for p in route.permissions if p not in permissions
        ]
    return problems


def test_every_non_public_route_declares_a_known_permission(api: Api) -> None:
    manifest = load_model(Manifest, api.context.manifest_path)
    permissions = {p.name for p in manifest.permissions} | {"(authenticated)"}
    paths = {route.path for route in route_table(api.app)}
    assert {"/healthz", "/v1/whoami", "/v1/audit", "/v1/tokens/{token_id}"} <= paths
    assert _undeclared(api.app, permissions) == []


def test_the_route_check_catches_a_route_without_a_permission(api: Api) -> None:
    router = APIRouter()

    @router.get("/v1/leaky")
    def leaky() -> dict[str, str]:
        return {}

    @router.get("/v1/typo", dependencies=[require("budget:write")])
    def typo() -> dict[str, str]:
        return {}

    api.app.include_router(router)
    problems = _undeclared(api.app, {"budgets:write"})
    assert [p for p in problems if "/v1/leaky" in p or "/v1/typo" in p] == [
        "['GET'] /v1/leaky declares no permission",
        "/v1/typo declares unknown budget:write",
    ]


def test_no_credentials_at_all_says_the_bearer_token_is_missing(api: Api) -> None:
    response = api.client.get("/v1/whoami")
    assert (response.status_code, response.json()["detail"]) == (401, "missing bearer token")


def test_the_session_cookie_signs_in_reads(api: Api) -> None:
    token = api.token(STEWARD)
    api.client.cookies.set("finance_session", token)
    try:
        response = api.client.get("/v1/whoami")
        assert (response.status_code, response.json()["subject"]) == (200, STEWARD)
    finally:
        api.client.cookies.clear()


def test_the_session_cookie_never_authorises_a_change(api: Api) -> None:
    victim = api.token(CATALYST)
    api.client.cookies.set("finance_session", api.token(STEWARD))
    try:
        response = api.client.delete(f"/v1/tokens/{victim.split('_')[1]}")
    finally:
        api.client.cookies.clear()
    assert (response.status_code, response.json()["detail"]) == (401, "missing bearer token")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    with api.engine.connect() as connection:
        assert read_audit(connection) == []


def test_a_bearer_token_wins_over_the_session_cookie(api: Api) -> None:
    api.client.cookies.set("finance_session", api.token(STEWARD))
    try:
        catalyst = api.token(CATALYST)
        response = api.client.get("/v1/whoami", headers={"Authorization": f"Bearer {catalyst}"})
    finally:
        api.client.cookies.clear()
    assert response.json()["subject"] == CATALYST


def test_the_broken_roles_message_says_the_bindings_are_unreadable(api: Api) -> None:
    token = api.token(STEWARD)
    api.context.roles_path.write_text(ROLES.replace("policy-steward", "superuser"))
    response = api.client.get("/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["detail"].startswith("role bindings unreadable: ")


def test_the_403_names_the_permission_and_why_it_is_missing(api: Api) -> None:
    token = api.token(CATALYST)
    response = api.client.get("/v1/audit", headers={"Authorization": f"Bearer {token}"})
    detail = response.json()["detail"]
    assert detail.startswith("missing permission audit:read: ")
    assert len(detail) > len("missing permission audit:read: ")


def test_webhooks_are_public_by_prefix_and_nothing_else_is() -> None:
    public = frozenset({"/healthz"})
    assert is_public("/healthz", public)
    assert is_public("/v1/webhooks/stripe", public)
    assert not is_public("/v1/webhooks", public)
    assert not is_public("/v1/audit", public)


def test_the_route_table_lists_methods_permissions_and_path_parameters(api: Api) -> None:
    routes = {(route.path, frozenset(route.methods)): route for route in route_table(api.app)}
    revoke = routes[("/v1/tokens/{token_id}", frozenset({"DELETE"}))]
    assert revoke.permissions == ("roles:write",)  # as the permission table (DESIGN §6) says
    assert revoke.param_names == ("token_id",)
    whoami = routes[("/v1/whoami", frozenset({"GET"}))]
    assert (whoami.permissions, whoami.param_names) == (("(authenticated)",), ())
