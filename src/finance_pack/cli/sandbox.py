"""`brctl finance sandbox ...`: run one of our local stand-ins for an outside service."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

import typer
from rich.console import Console

from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.slack import DEFAULT_TOKEN, SlackEmulator, create_app

app = typer.Typer(
    help="Run a local sandbox service (Slack emulator; Stripe and AWS follow).",
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.callback()
def sandbox() -> None:
    """Local stand-ins for Slack (and soon Stripe and AWS), each alone in the foreground."""


DEFAULT_SLACK_PORT = 8765


def run_slack_sandbox(
    host: str,
    port: int,
    stop: threading.Event,
    *,
    token: str = DEFAULT_TOKEN,
    on_ready: Callable[[BackgroundServer], None] | None = None,
) -> None:
    """Serves the Slack emulator on `host:port` until `stop` is set."""
    emulator = SlackEmulator(tokens=(token,))
    with BackgroundServer(create_app(emulator), host, port, name="slack-emulator") as server:
        emulator.public_url = server.url
        if on_ready is not None:
            on_ready(server)
        stop.wait()


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def _announce(server: BackgroundServer, token: str) -> None:
    console.print(f"[bold]Slack emulator[/] listening: messages at {server.url}")
    console.print(f"  export FINANCE_SLACK_API_URL={server.url}api/")
    console.print(f"  export SLACK_BOT_TOKEN={token}")
    console.print("  Ctrl-C (or SIGTERM) stops it.")


@app.command("slack")
def slack(
    port: int = typer.Option(DEFAULT_SLACK_PORT, help="TCP port (0: any free port)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    token: str = typer.Option(DEFAULT_TOKEN, help="The bot token the emulator accepts."),
) -> None:
    """Run the Slack Web API emulator in the foreground until Ctrl-C or SIGTERM.

    It answers auth.test, chat.postMessage, chat.update, conversations.history/list and the
    files_upload_v2 flow, keeps what was posted (page at /, JSON at /_emulator/messages),
    and can be told to fail (POST /_emulator/faults).

    Example:

        brctl finance sandbox slack --port 8765
    """
    stop = threading.Event()
    _stop_on_signals(stop)
    run_slack_sandbox(host, port, stop, token=token, on_ready=lambda s: _announce(s, token))
    console.print("Slack emulator stopped.")
