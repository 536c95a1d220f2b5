"""Run the whole pack locally on emulators: no credentials, no network.

Installs the pack, starts the local servers and the pack itself, plays a short script through
the product's own interfaces, and keeps it running until Ctrl-C.

Example: brctl finance demo --once --format json
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from brctl.errors import CommandError
from finance_pack.cli.common import FormatOption, OutputFormat, console

if TYPE_CHECKING:
    from finance_pack.sandbox.demo import DemoSession


def _stop_on_sigterm() -> None:
    """SIGTERM stops the demo the way Ctrl-C does: children first, then exit."""

    def handle(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)


def _serve_until_interrupted(open_browser: bool, out: Console) -> Callable[[DemoSession], None]:
    def serve(session: DemoSession) -> None:
        link = next((u for n, u in session.urls.items() if n.startswith("Dashboard")), None)
        if open_browser and link and _has_display():
            webbrowser.open(link)
        out.print("The sandbox is running; press Ctrl-C to stop it.")
        while True:
            if session.children is not None:
                dead = session.children.first_exited()
                if dead is not None:
                    raise CommandError(
                        f"{dead.name} (pid {dead.pid}) exited with status {dead.exited()}; "
                        f"stopping the demo. Its last lines ({dead.log}):\n{dead.log_tail()}"
                    )
            threading.Event().wait(0.5)

    return serve


def _has_display() -> bool:
    """A browser can open here: a desktop session (X11, Wayland) or macOS / Windows."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _results_table(session: DemoSession) -> Table:
    table = Table(title="Demo steps", title_justify="left")
    for column, justify in (("step", "left"), ("ok", "center"), ("s", "right"), ("detail", "left")):
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for result in session.results:
        mark = "[green]yes[/]" if result.ok else "[red]NO[/]"
        table.add_row(result.name, mark, f"{result.seconds:.1f}", result.detail)
    return table


def demo(
    target: Annotated[
        Path, typer.Option("--target", help="Where the sandbox deployment lives.")
    ] = Path(".demo"),
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="API and dashboard port (0: any free).")
    ] = 0,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Remove the target first (re-install everything).")
    ] = False,
    once: Annotated[
        bool, typer.Option("--once", help="Play the script and exit: 0 when every step worked.")
    ] = False,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the dashboard in a browser.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Use a target that holds a real install anyway.")
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    from finance_pack.sandbox.demo import run_demo  # the sandbox's servers load slowly

    _stop_on_sigterm()
    # With --format json, stdout carries only the JSON document; the tour goes to stderr.
    out = Console(stderr=True, soft_wrap=True) if fmt is OutputFormat.JSON else console
    keep = None if once else _serve_until_interrupted(not no_browser, out)
    try:
        session = run_demo(
            target.absolute(), out, port=port, fresh=fresh, force=force, keep_serving=keep
        )
    except KeyboardInterrupt:
        out.print("stopped: every sandbox server and child process is down")
        return
    failed = [r for r in session.results if not r.ok]
    if fmt is OutputFormat.JSON:
        print(json.dumps({"steps": [r.to_json_dict() for r in session.results]}, indent=2))
    else:
        out.print(_results_table(session))
    if failed:
        sys.stdout.flush()
        raise CommandError(f"the demo stopped at step {failed[0].name!r}: {failed[0].detail}")
