"""The sandbox demo: everything that works so far, on local servers, with no credentials.

The tour runs the real commands (`brctl ...`, in-process) against a sandbox deployment: the
pack installed into a local target, seeded spend in its cost store, the emulators standing in
for Slack, Stripe and AWS, and the pack itself running as `brctl finance up` (API, dashboard and
agents) in a child process on loopback. Each capability adds a step; each step's outcome and
time are recorded (`--format json`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from brctl.cli import main as brctl_main
from brctl.errors import CommandError
from finance_pack.clock import SYSTEM_CLOCK
from finance_pack.sandbox.children import Children
from finance_pack.sandbox.demo_api import show_api
from finance_pack.sandbox.demo_invoices import ENVIRONMENT as INVOICE_ENVIRONMENT
from finance_pack.sandbox.demo_invoices import invoice_tour, start_stripe, wait_for_delivery
from finance_pack.sandbox.demo_pack import RunningPack, start_pack_process
from finance_pack.sandbox.demo_watcher import stream_spike
from finance_pack.sandbox.seed_spend import write_focus_csv
from finance_pack.sandbox.testing import RunningSlackEmulator, running_slack_emulator

DEMO_SUBJECTS = {"steward": "user:pat@example.com", "catalyst": "user:gina@example.com"}


SANDBOX_MARKER = ".finance-demo-sandbox"


class DemoStepFailed(RuntimeError):
    """A command of the tour failed; the message says which and what it printed."""


@dataclass(frozen=True, slots=True)
class StepResult:
    name: str
    ok: bool
    detail: str
    seconds: float

    def to_json_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class DemoSession:
    target: Path
    console: Console
    stack: ExitStack
    port: int = 0
    slack: RunningSlackEmulator | None = None
    pack: RunningPack | None = None
    children: Children | None = None
    urls: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    results: list[StepResult] = field(default_factory=list)
    step_name: str = ""
    details: list[str] = field(default_factory=list)

    def note(self, detail: str) -> None:
        """A line for this step's entry in the results (`--format json`, the closing table)."""
        self.details.append(detail)

    def run(self, *args: str, show: bool = True, quiet_output: bool = False) -> str:
        """Run `brctl ARGS` in-process as an operator would; fail the demo on a non-zero exit."""
        # soft_wrap=False: a long line wraps between words, never through a number.
        self.console.print(f"[bold cyan]$ brctl {shlex.join(args)}[/]", soft_wrap=False)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = brctl_main(list(args))
        if code != 0:
            raise DemoStepFailed(f"brctl {shlex.join(args)} exited {code}:\n{err.getvalue()}")
        if show and not quiet_output:
            self.console.print(
                out.getvalue().rstrip(), highlight=False, markup=False, soft_wrap=False
            )
        return out.getvalue()


Step = Callable[[DemoSession], None]


def _section(session: DemoSession, title: str) -> None:
    """Start a step: its title names it in the results; steps are numbered as they run."""
    session.step_name = title
    session.console.print()
    number = len(session.results) + 1
    session.console.print(Rule(f"[bold]{number}. {title}[/]", align="left"))


def install_pack(session: DemoSession) -> None:
    _section(session, "Install the pack and check it")
    session.run("pack", "install", "finance", f"--target={session.target}")
    session.run("pack", "validate")
    session.run("finance", "db", "upgrade")


def start_slack(session: DemoSession) -> None:
    _section(session, "Start the sandbox's Slack (an emulator of the Web API)")
    session.slack = session.stack.enter_context(running_slack_emulator())
    os.environ["FINANCE_SLACK_API_URL"] = session.slack.api_url
    os.environ["SLACK_BOT_TOKEN"] = session.slack.token
    session.urls["Slack emulator (what was posted)"] = session.slack.url
    session.console.print(f"Slack Web API emulator on {session.slack.api_url}", soft_wrap=False)
    session.run("finance", "doctor")


def bind_roles(session: DemoSession) -> None:
    _section(session, "Bind the Policy Steward and the Growth Catalyst")
    session.run("roles", "bind", DEMO_SUBJECTS["steward"], "policy-steward")
    session.run("roles", "bind", DEMO_SUBJECTS["catalyst"], "growth-catalyst")
    session.run("roles", "list")


def ingest_spend(session: DemoSession) -> None:
    _section(session, "Load 17 months of seeded spend (a FOCUS export)")
    yesterday = SYSTEM_CLOCK.now().date() - timedelta(days=1)
    export = session.target / "seed" / "focus-export.csv"
    rows = write_focus_csv(export, yesterday - timedelta(days=520), yesterday)
    session.console.print(f"wrote {rows:,} FOCUS rows to {export}", soft_wrap=False)
    session.run("finance", "ingest", "focus", str(export))


def set_budgets(session: DemoSession) -> None:
    _section(session, "Budgets, set by the Policy Steward (audited)")
    steward = DEMO_SUBJECTS["steward"]
    for name, amount, team in (
        ("platform", "5200", "platform"),
        ("data", "4600", "data"),
        ("web", "900", "web"),
    ):
        session.run(
            "finance",
            "budget",
            "set",
            name,
            "--amount",
            amount,
            "--currency",
            "USD",
            "--tag",
            f"team={team}",
            "--threshold",
            "80",
            "--threshold",
            "100:forecast",
            "--as",
            steward,
        )
    session.run("finance", "budget", "list")


def show_kpis(session: DemoSession) -> None:
    _section(session, "KPIs: MTD spend, daily burn, forecast with its 80% interval, consumption")
    session.run("finance", "kpi")
    session.run("finance", "forecast", "backtest", "--months", "3")


def post_summary(session: DemoSession) -> None:
    _section(session, "The Budgeteer posts the burn-rate summary and threshold alerts to Slack")
    session.run("finance", "budgeteer", "run-now", "--as", DEMO_SUBJECTS["steward"])
    session.run("finance", "agent", "run", "budgeteer", "--once")
    assert session.slack is not None
    for message in session.slack.emulator.messages():
        files = [str(f.get("name")) for f in message.get("files") or []]
        text = str(message.get("text") or "").splitlines()[0][:100] if message.get("text") else ""
        what = f"chart {', '.join(files)} (in the summary's thread)" if files else text
        session.console.print(
            f"  #{message['channel_name']}: {what}", markup=False, soft_wrap=False
        )


def deliver_invoice(session: DemoSession) -> None:
    _section(session, "The Invoice Bot: Stripe invoice -> Slack, confirmed by Stripe's webhook")
    start_stripe(session.stack, session.console, session.urls)
    invoice_tour(session.run, DEMO_SUBJECTS["catalyst"])
    wait_for_delivery(session.console)
    session.run("finance", "invoice", "list")
    assert session.slack is not None
    for message in session.slack.emulator.messages():
        if (message.get("metadata") or {}).get("event_type") == "finance_invoice":
            text = str(message.get("text") or "")
            session.console.print(f"  #{message['channel_name']}: {text}", markup=False)
        elif message.get("files") and "invoice-" in str(message["files"][0].get("name")):
            name = message["files"][0].get("name")
            session.console.print(f"  #{message['channel_name']}: {name} (in its thread)")


def show_slo_and_audit(session: DemoSession) -> None:
    _section(session, "SLOs and the audit log")
    session.run("finance", "slo")
    session.run("finance", "audit")


def start_pack(session: DemoSession) -> None:
    _section(session, "Start the pack: API, dashboard and agents (brctl finance up)")
    assert session.children is not None
    session.pack = start_pack_process(session.children, session.target, session.port)
    if session.pack.note:
        session.console.print(session.pack.note)
        session.note(session.pack.note)
    session.console.print(
        f"brctl finance up is serving on {session.pack.url} (pid {session.pack.child.pid}, "
        f"log {session.pack.child.log})"
    )
    session.urls["API (OpenAPI docs)"] = f"{session.pack.url}/docs"
    session.note(session.pack.url)


def serve_api(session: DemoSession) -> None:
    _section(session, "The API, with role-checked tokens")
    for who, subject in DEMO_SUBJECTS.items():
        out = session.run("finance", "token", "create", subject, "--expires", "1d", show=False)
        match = re.search(r"brf_[A-Za-z0-9_-]+", out)
        if match is None:
            raise DemoStepFailed(f"no token in the output of token create:\n{out}")
        session.tokens[who] = match.group(0)
        session.console.print(f"  issued an API token for {subject} (shown once, stored hashed)")
    assert session.pack is not None
    show_api(session.pack.url, session.console, session.tokens)


def open_dashboard(session: DemoSession) -> None:
    _section(session, "The dashboard, with a one-time sign-in link")
    assert session.pack is not None
    out = session.run(
        "finance",
        "dashboard-link",
        "--as",
        DEMO_SUBJECTS["steward"],
        "--url",
        session.pack.url,
        show=False,
    )
    match = re.search(r"https?://\S+/signin\?token=\S+", out)
    if match is None:
        raise DemoStepFailed(f"no sign-in link in the output of dashboard-link:\n{out}")
    session.urls["Dashboard (sign-in link, works once, 10 minutes)"] = match.group(0)
    session.console.print(f"  {match.group(0)}", markup=False, highlight=False)
    session.note(f"{session.pack.url}/")


def watch_costs(session: DemoSession) -> None:
    _section(session, "The Cost Watcher: a spend spike streamed in, alerted, then resolved")
    assert session.slack is not None and session.pack is not None
    for line in stream_spike(
        session.pack.url, session.console, session.tokens["steward"], session.slack
    ):
        session.note(line)
    session.run("finance", "alerts", "list")


STEPS: list[Step] = [
    install_pack,
    start_slack,
    bind_roles,
    ingest_spend,
    set_budgets,
    show_kpis,
    post_summary,
    deliver_invoice,
    start_pack,
    serve_api,
    watch_costs,
    open_dashboard,
    show_slo_and_audit,
]


@contextmanager
def _demo_environment(target: Path, width: int) -> Iterator[None]:
    """The demo's commands find the sandbox through the environment, as an operator's would."""
    keys = (
        "BLACKROAD_HOME",
        "FINANCE_SLACK_API_URL",
        "SLACK_BOT_TOKEN",
        "BLACKROAD_SUBJECT",
        *INVOICE_ENVIRONMENT,
    )
    saved = {key: os.environ.get(key) for key in (*keys, "COLUMNS")}
    os.environ["BLACKROAD_HOME"] = str(target)
    # The tour's output is captured, then shown on the demo's console: lay tables out for its
    # width (narrow ones stack), so the terminal never wraps a line through a number.
    os.environ["COLUMNS"] = str(width)
    os.environ.pop("BLACKROAD_SUBJECT", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def prepare_target(target: Path, *, fresh: bool, force: bool) -> None:
    """Refuse a real install; reset a previous sandbox's state so every run shows the same."""
    marker = target / SANDBOX_MARKER
    holds_install = (target / "packs").exists()
    if holds_install and not marker.exists() and not force:
        raise CommandError(
            f"{target} holds a pack install that is not a demo sandbox; the demo would "
            "overwrite its state",
            hint="choose another --target, or pass --force to use it anyway",
        )
    if fresh and target.exists():
        shutil.rmtree(target)
    state = target / "packs" / "finance" / "state"
    if state.exists():
        shutil.rmtree(state)  # a sandbox's state is disposable: no leftovers between runs
    target.mkdir(parents=True, exist_ok=True)
    marker.write_text("created by brctl finance demo; safe to delete\n", encoding="utf-8")


def _run_step(session: DemoSession, step: Step) -> bool:
    session.step_name, session.details = step.__name__.replace("_", " "), []
    started = time.monotonic()
    ok, failure = True, ""
    try:
        step(session)
    except (DemoStepFailed, CommandError) as exc:
        ok, failure = False, str(exc)
        session.console.print(f"[red]step failed:[/] {exc}", highlight=False)
    detail = failure or "; ".join(session.details)
    session.results.append(StepResult(session.step_name, ok, detail, time.monotonic() - started))
    return ok


def run_demo(
    target: Path,
    console: Console,
    *,
    port: int = 0,
    fresh: bool = False,
    force: bool = False,
    keep_serving: Callable[[DemoSession], None] | None = None,
) -> DemoSession:
    """Play every step (stopping at the first failure), then `keep_serving` unless a step
    failed; the sandbox's servers and child processes stop when this returns."""
    prepare_target(target, fresh=fresh, force=force)
    console.soft_wrap = False  # the tour's sentences wrap at the terminal's width
    with ExitStack() as stack, _demo_environment(target, console.width):
        children = stack.enter_context(Children(target / "logs"))
        session = DemoSession(
            target=target, console=console, stack=stack, port=port, children=children
        )
        for step in STEPS:
            if not _run_step(session, step):
                break
        else:
            console.print()
            console.print(
                Rule("[bold]Everything above ran on this machine's loopback, no credentials[/]")
            )
            for name, url in session.urls.items():
                console.print(f"  {name}: {url}", markup=False, highlight=False, soft_wrap=False)
            if keep_serving is not None:
                keep_serving(session)
        return session
