"""Run a local sandbox service (Slack and Stripe emulators, AWS on moto)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

import typer
from rich.console import Console

app = typer.Typer(
    help=__doc__,
    no_args_is_help=True,
)
console = Console(stderr=True, emoji=False)

if TYPE_CHECKING:
    from finance_pack.sandbox.aws import RunningAwsSandbox
    from finance_pack.sandbox.servers import BackgroundServer

# The emulators' web stack loads only when one runs; this is the token the Slack one accepts.
DEFAULT_TOKEN = "xoxb-emulator-token"


@app.callback()
def sandbox() -> None:
    """Local stand-ins for Slack, Stripe and AWS, each alone in the foreground."""


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
    from finance_pack.sandbox.servers import BackgroundServer
    from finance_pack.sandbox.slack import SlackEmulator, create_app

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


DEFAULT_AWS_PORT = 8766


def run_aws_sandbox(
    host: str,
    port: int,
    stop: threading.Event,
    *,
    seed: bool = True,
    log_requests: bool = False,
    on_ready: Callable[[RunningAwsSandbox], None] | None = None,
) -> None:
    """Serves moto (seeded unless `seed` is False) on `host:port` until `stop` is set."""
    from finance_pack.sandbox.aws import running_aws_sandbox  # moto and boto3 load slowly

    with running_aws_sandbox(host, port, seed=seed, log_requests=log_requests) as running:
        if on_ready is not None:
            on_ready(running)
        stop.wait()


def _announce_aws(running: RunningAwsSandbox) -> None:
    console.print(f"[bold]AWS sandbox[/] (moto) listening on {running.url}")
    for name, value in running.environment.items():
        console.print(f"  export {name}={value}")
    console.print("  and in finance.yaml: providers.aws.enabled: true")
    if running.seed is not None:
        seed = running.seed
        console.print(
            f"Seeded Cost Explorer and CloudWatch AWS/Billing EstimatedCharges for "
            f"{seed.start} .. {seed.newest.day} ({seed.billed_total()} USD billed; "
            f"{seed.newest.day} is answered as estimated first). Load it with:"
        )
        console.print(f"  {seed.ingest_command}")
    console.print("  Ctrl-C (or SIGTERM) stops it.")


@app.command("aws")
def aws(
    port: int = typer.Option(DEFAULT_AWS_PORT, help="TCP port (0: any free port)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    seed: bool = typer.Option(
        True, "--seed/--no-seed", help="Queue Cost Explorer results and billing metrics."
    ),
    log_requests: bool = typer.Option(False, "--log-requests", help="Log every AWS request."),
) -> None:
    """Run AWS (moto's server) in the foreground until Ctrl-C or SIGTERM.

    With --seed (the default) Cost Explorer answers GetCostAndUsage for the sandbox's spend
    (the 1st of last month through yesterday, per service and linked account) and CloudWatch
    holds AWS/Billing EstimatedCharges for it, so `brctl finance ingest aws-ce` works at once.

    Example:

        brctl finance sandbox aws --port 8766
    """
    stop = threading.Event()
    _stop_on_signals(stop)
    run_aws_sandbox(host, port, stop, seed=seed, log_requests=log_requests, on_ready=_announce_aws)
    console.print("AWS sandbox stopped.")


DEFAULT_STRIPE_PORT = 8791
STRIPE_KEY = "sk_test_emulator"  # the emulator's DEFAULT_API_KEY, without importing it here


def run_stripe_sandbox(
    host: str,
    port: int,
    stop: threading.Event,
    *,
    api_key: str = STRIPE_KEY,
    webhook_url: str | None = None,
    on_ready: Callable[[BackgroundServer, str | None], None] | None = None,
) -> None:
    """Serves the Stripe emulator on `host:port` until `stop` is set; with `webhook_url`, an
    endpoint for the invoice events is registered first and its secret handed to `on_ready`."""
    from finance_pack.sandbox.stripe import StripeEmulator
    from finance_pack.sandbox.stripe import create_app as create_stripe_app

    emulator = StripeEmulator((api_key,))
    try:
        with BackgroundServer(create_stripe_app(emulator), host, port, name="stripe") as server:
            emulator.public_url = server.url
            secret = None
            if webhook_url:
                endpoint = emulator.create_endpoint(
                    {"url": webhook_url, "enabled_events": ["*"]}, None
                )
                secret = str(endpoint["secret"])
            if on_ready is not None:
                on_ready(server, secret)
            stop.wait()
    finally:
        emulator.close()


def _announce_stripe(server: BackgroundServer, api_key: str, secret: str | None) -> None:
    console.print(f"[bold]Stripe emulator[/] listening on {server.url}")
    console.print(f"  export FINANCE_STRIPE_API_URL={server.url.rstrip('/')}")
    console.print(f"  export STRIPE_API_KEY={api_key}")
    if secret:
        console.print(f"  export STRIPE_WEBHOOK_SECRET={secret}")
    console.print("  Ctrl-C (or SIGTERM) stops it.")


@app.command("stripe")
def stripe(
    port: int = typer.Option(DEFAULT_STRIPE_PORT, help="TCP port (0: any free port)."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    api_key: str = typer.Option(STRIPE_KEY, help="The secret key the emulator accepts."),
    webhook_url: str | None = typer.Option(
        None, help="Register this URL for invoice events (e.g. the pack's /v1/webhooks/stripe)."
    ),
) -> None:
    """Run the Stripe emulator in the foreground until Ctrl-C or SIGTERM.

    It answers customers, invoice items, invoices (create, retrieve, list, search, finalize,
    send, pay, void), webhook endpoints and events as the official `stripe` library calls them,
    with Stripe's idempotency keys and error objects; it signs and retries webhooks, serves a
    hosted invoice page with a pay button (/i/ID) and a PDF, and fails on demand
    (POST /_emulator/faults, /_emulator/webhooks).

    Example:

        brctl finance sandbox stripe --port 8791 --webhook-url http://127.0.0.1:8787/v1/webhooks/stripe
    """
    stop = threading.Event()
    _stop_on_signals(stop)
    run_stripe_sandbox(
        host,
        port,
        stop,
        api_key=api_key,
        webhook_url=webhook_url,
        on_ready=lambda server, secret: _announce_stripe(server, api_key, secret),
    )
    console.print("Stripe emulator stopped.")
