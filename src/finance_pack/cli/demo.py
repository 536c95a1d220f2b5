"""`brctl finance demo`: the sandbox, end to end, with no credentials and no network."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from brctl.errors import CommandError
from finance_pack.cli.common import console


def _wait_for_interrupt() -> None:
    console.print("serving; press Ctrl-C to stop")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopped")


def demo(
    target: Annotated[
        Path, typer.Option("--target", help="Where the sandbox deployment lives.")
    ] = Path(".demo"),
    fresh: Annotated[bool, typer.Option("--fresh", help="Start from an empty target.")] = False,
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the local servers running after the tour.")
    ] = False,
) -> None:
    """Run the sandbox: install the pack, start its local servers, show everything working.

    Example: brctl finance demo --fresh --serve
    """
    from finance_pack.sandbox.demo import DemoStepFailed, run_demo

    try:
        run_demo(
            target.absolute(),
            console,
            fresh=fresh,
            keep_serving=_wait_for_interrupt if serve else None,
        )
    except DemoStepFailed as exc:
        raise CommandError(f"the demo stopped: {exc}") from exc
