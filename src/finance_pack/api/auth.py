"""API authentication and authorization: one way to declare what a route needs.

Every route that is not public (`PUBLIC_PATHS` in `api/app.py`, and Stripe webhooks under
`/v1/webhooks/`, which authenticate by signature) declares its permission with `require`:

    @router.get("/v1/budgets")
    def list_budgets(actor: Annotated[Actor, require("budgets:read")]) -> ...

or for a whole router: `APIRouter(dependencies=[require("budgets:read")])`. A route any
authenticated subject may call uses `authenticated()`. A test walks `app.routes` and fails on a
non-public route that declares nothing, and on a permission `pack.yaml` does not declare.

Requests carry `Authorization: Bearer brf_...` (see `brctl finance token create`). A missing,
malformed, tampered, expired or revoked token is a 401 with `WWW-Authenticate: Bearer`; a valid
token whose subject lacks the permission is a 403 naming it. Permissions are resolved from
roles.yaml on every request (re-read when the file changes), so an unbind takes effect at once.
Mutating routes write their audit record with `record_audit(..., via="api")` in the same
transaction as the change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import fastapi.routing
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from brctl.errors import CommandError
from brctl.manifest import Manifest
from brctl.roles import Grant, RolesFile, grant_for, load_bindings
from brctl.yamlfile import load_model
from finance_pack.access.actors import Actor
from finance_pack.access.tokens import InvalidTokenError, verify_token
from finance_pack.clock import SYSTEM_CLOCK, Clock
from finance_pack.context import PackContext
from finance_pack.errors import FinanceError

AUTHENTICATED = "(authenticated)"  # declared by routes open to any valid token
WEBHOOK_PREFIX = "/v1/webhooks/"
SESSION_COOKIE = "finance_session"  # set by the dashboard's sign-in (services/signin.py)
SAFE_METHODS = frozenset({"GET", "HEAD"})

_bearer = HTTPBearer(auto_error=False, description="An API token: brctl finance token create")


class PermissionResolver:
    """Grants from pack.yaml and roles.yaml, re-read whenever either file changes."""

    def __init__(self, pack_dir: Path) -> None:
        self._manifest_path = pack_dir / "pack.yaml"
        self._roles_path = pack_dir / "roles.yaml"
        self._lock = threading.Lock()
        self._key: tuple[tuple[int, int, int], ...] | None = None
        self._loaded: tuple[Manifest, RolesFile] | None = None

    def _file_key(self) -> tuple[tuple[int, int, int], ...]:
        stats = (self._manifest_path.stat(), self._roles_path.stat())
        return tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in stats)

    def grant(self, subject: str) -> Grant:
        with self._lock:
            key = self._file_key()
            if self._loaded is None or key != self._key:
                manifest = load_model(Manifest, self._manifest_path)
                self._loaded = (manifest, load_bindings(self._roles_path, manifest))
                self._key = key
            manifest, bindings = self._loaded
        return grant_for(subject, bindings, manifest)


@dataclass
class AccessState:
    engine: Engine
    resolver: PermissionResolver
    clock: Clock


def install_auth(
    app: FastAPI, context: PackContext, engine: Engine, clock: Clock = SYSTEM_CLOCK
) -> AccessState:
    state = AccessState(engine, PermissionResolver(context.pack_dir), clock)
    app.state.access = state
    return state


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


class PermissionRequirement:
    """The dependency `require` returns; its `permission` is what the route declares."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Actor:
        presented = credentials.credentials if credentials is not None else _session(request)
        if presented is None:
            raise _unauthorized("missing bearer token")
        state: AccessState = request.app.state.access
        try:
            with state.engine.connect() as connection:
                record = verify_token(connection, presented, state.clock.now())
        except InvalidTokenError as exc:
            raise _unauthorized(str(exc)) from None
        try:
            grant = state.resolver.grant(record.subject)
        except (CommandError, FinanceError, OSError) as exc:  # fail closed on a broken roles.yaml
            raise HTTPException(503, detail=f"role bindings unreadable: {exc}") from None
        actor = Actor(grant.subject, grant.roles, grant.permissions, grant.reason, "api", record.id)
        if self.permission != AUTHENTICATED and not actor.allows(self.permission):
            raise HTTPException(403, detail=f"missing permission {self.permission}: {grant.reason}")
        request.state.actor = actor
        return actor


def _session(request: Request) -> str | None:
    """The dashboard's session cookie, honoured for reads only: a cookie rides along with
    requests other sites trigger, so it must never authorise a change (CSRF)."""
    if request.method not in SAFE_METHODS:
        return None
    return request.cookies.get(SESSION_COOKIE)


def require(permission: str) -> Any:
    """A dependency that admits only tokens whose subject holds `permission` now."""
    return Depends(PermissionRequirement(permission))


def authenticated() -> Any:
    """A dependency that admits any valid token."""
    return Depends(PermissionRequirement(AUTHENTICATED))


def _walk(dependant: Dependant) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, PermissionRequirement):
            found.append(sub.call.permission)
        found.extend(_walk(sub))
    return found


@dataclass(frozen=True)
class RouteInfo:
    """One API route as served: full path, methods, and the permissions it declared."""

    path: str
    methods: frozenset[str]
    permissions: tuple[str, ...]
    param_names: tuple[str, ...]


def _api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant]]:
    # FastAPI >= 0.165 keeps included routers as branches; older versions flatten them.
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, route.methods or set(), route.dependant
        return
    for context in iter_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context.path, context.methods, context.dependant


def route_table(app: FastAPI) -> list[RouteInfo]:
    """Every API route with the permissions it declared with `require` or `authenticated`."""
    return [
        RouteInfo(
            path,
            frozenset(methods),
            tuple(_walk(dependant)),
            tuple(p.name for p in dependant.path_params),
        )
        for path, methods, dependant in _api_routes(app)
    ]


def is_public(path: str, public_paths: frozenset[str]) -> bool:
    return path in public_paths or path.startswith(WEBHOOK_PREFIX)
