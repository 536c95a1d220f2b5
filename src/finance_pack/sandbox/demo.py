"""The sandbox demo: everything that works so far, on local servers, with no credentials.

Each capability adds a step; a step gets the shared `DemoSession` and prints what it shows.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from brctl.install import apply_plan, plan_install
from brctl.manifest import Manifest
from brctl.packs import get_pack
from brctl.yamlfile import load_model
from finance_pack.api.app import create_app
from finance_pack.context import PackContext, load_context
from finance_pack.doctor import run_checks
from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

SANDBOX_ENV = {"SLACK_BOT_TOKEN": "xoxb-sandbox-demo-token"}


@dataclass
class DemoSession:
    target: Path
    console: Console
    stack: ExitStack
    context: PackContext | None = None
    urls: dict[str, str] = field(default_factory=dict)


Step = Callable[[DemoSession], None]


def install_pack(session: DemoSession) -> None:
    plan = plan_install(get_pack("finance"), session.target)
    if plan.changes:
        apply_plan(plan)
    verb = f"installed {len(plan.changes)} file(s)" if plan.changes else "already installed"
    session.console.print(
        f"[green]✓[/] brctl pack install finance --target={session.target}: {verb}"
    )
    manifest = load_model(Manifest, plan.directory / "pack.yaml")
    session.console.print(
        f"[green]✓[/] pack.yaml valid: {len(manifest.roles)} roles, "
        f"{len(manifest.agents)} agents, {len(manifest.permissions)} permissions"
    )
    session.context = load_context(session.target)


def migrate_state(session: DemoSession) -> None:
    assert session.context is not None
    before, after = upgrade(make_engine(session.context.state_db_url))
    session.console.print(f"[green]✓[/] state store at schema {after} (was {before or 'empty'})")


def doctor(session: DemoSession) -> None:
    assert session.context is not None
    table = Table(title="brctl finance doctor", title_justify="left")
    for column in ("check", "status", "detail"):
        table.add_column(column)
    for finding in run_checks(session.context):
        table.add_row(finding.check, finding.status.value, finding.detail)
    session.console.print(table)


def serve_api(session: DemoSession) -> None:
    assert session.context is not None
    engine = make_engine(session.context.state_db_url)
    server = session.stack.enter_context(
        BackgroundServer(create_app(session.context, engine), name="finance-api").start()
    )
    base = server.url.rstrip("/")
    session.urls["API"] = base
    with httpx.Client(base_url=base, timeout=10) as client:
        health = client.get("/healthz").json()
        ready = client.get("/readyz").json()
        paths = client.get("/openapi.json").json()["paths"]
        metrics = [m for m in client.get("/metrics").text.splitlines() if m.startswith("finance_")]
    body = "\n".join(
        [
            f"GET /healthz       {json.dumps(health)}",
            f"GET /readyz        {json.dumps(ready)}",
            f"GET /openapi.json  {len(paths)} documented paths",
            f"GET /metrics       {len(metrics)} finance_* samples",
        ]
    )
    session.console.print(Panel(body, title=f"API on {base}", expand=False))


STEPS: list[Step] = [install_pack, migrate_state, doctor, serve_api]


@contextmanager
def demo_session(target: Path, console: Console, *, fresh: bool) -> Iterator[DemoSession]:
    if fresh and target.exists():
        shutil.rmtree(target)
    with ExitStack() as stack:
        yield DemoSession(target=target, console=console, stack=stack)


def run_demo(
    target: Path, console: Console, *, fresh: bool = False, keep_serving: Callable[[], None] | None
) -> DemoSession:
    with demo_session(target, console, fresh=fresh) as session:
        for step in STEPS:
            step(session)
        if keep_serving is not None:
            for name, url in session.urls.items():
                console.print(f"  {name}: {url}")
            keep_serving()
        return session
