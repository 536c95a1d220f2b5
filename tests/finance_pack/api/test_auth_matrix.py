"""Every role x every protected route, derived from the app and pack.yaml at test time.

Routes added later are covered automatically. A route's expected outcome comes from the
permissions it declared and the role's permissions in pack.yaml: allowed requests must get past
auth (not 401/403, and no crash (500); a 404 or 422 for the placeholder path parameter `1` or
the empty JSON body, or a 503 for a dependency not ready in a fresh install, still shows the
request was admitted), denied ones get 403 naming the first missing permission.
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
from finance_pack.api.app import PUBLIC_PATHS, create_app
from finance_pack.api.auth import AUTHENTICATED, RouteInfo, is_public, route_table
from finance_pack.context import load_context
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

SHIPPED = load_model(Manifest, Path(str(files("finance_pack") / "pack" / "pack.yaml")))
NO_ROLE = "(no role)"
SUBJECT = "service:matrix-probe"


def _request_path(route: RouteInfo) -> str:
    path = route.path
    for name in route.param_names:
        path = path.replace(f"{{{name}}}", "1").replace(f"{{{name}:path}}", "1")
    return path


def _expected_missing(route: RouteInfo, held: frozenset[str]) -> str | None:
    return next((p for p in route.permissions if p != AUTHENTICATED and p not in held), None)


@pytest.mark.parametrize("role", [r.name for r in SHIPPED.roles] + [NO_ROLE])
def test_every_protected_route_admits_exactly_the_roles_holding_its_permission(
    installed_target: Path, role: str
) -> None:
    context = load_context(installed_target)
    if role != NO_ROLE:
        context.roles_path.write_text(f"bindings:\n  - subject: {SUBJECT}\n    roles: [{role}]\n")
    engine = make_engine(context.state_db_url)
    upgrade(engine)
    with engine.begin() as connection:
        token = issue_token(
            connection, SUBJECT, "local:test", datetime.now(UTC), timedelta(hours=1)
        ).token
    client = TestClient(create_app(context, engine), raise_server_exceptions=False)
    bound = context.manifest.role(role)
    held = frozenset(bound.permissions) if bound else frozenset()
    routes = [r for r in route_table(client.app) if not is_public(r.path, PUBLIC_PATHS)]  # type: ignore[arg-type]
    assert len(routes) >= 3
    table = []
    for route in routes:
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            response = client.request(
                method,
                _request_path(route),
                headers={"Authorization": f"Bearer {token}"},
                json={} if method in ("POST", "PUT", "PATCH") else None,
            )
            missing = _expected_missing(route, held)
            if missing is None:
                ok = response.status_code not in (401, 403, 500)
            else:
                ok = (
                    response.status_code == 403 and f"missing permission {missing}" in response.text
                )
            expected = "allowed" if missing is None else f"403 {missing}"
            table.append(
                (
                    ok,
                    f"{role:16} {method:6} {route.path:30} expected {expected}, "
                    f"got {response.status_code} {response.text[:120]}",
                )
            )
    engine.dispose()
    failures = [line for ok, line in table if not ok]
    assert not failures, "\n".join(failures)
