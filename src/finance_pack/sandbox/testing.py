"""Start the sandbox servers in-process, for tests, benchmarks and the demo."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from finance_pack.sandbox.servers import BackgroundServer
from finance_pack.sandbox.slack import (
    DEFAULT_CHANNELS,
    DEFAULT_TOKEN,
    EmulatedChannel,
    SlackEmulator,
    create_app,
)
from finance_pack.sandbox.stripe import DEFAULT_API_KEY as STRIPE_API_KEY
from finance_pack.sandbox.stripe import StripeEmulator
from finance_pack.sandbox.stripe import create_app as create_stripe_app


@dataclass(frozen=True, slots=True)
class RunningSlackEmulator:
    emulator: SlackEmulator
    server: BackgroundServer
    token: str

    @property
    def url(self) -> str:
        """The page listing what was posted (and the root of `/_emulator/*`)."""
        return self.server.url

    @property
    def api_url(self) -> str:
        """What `FINANCE_SLACK_API_URL` / slack_sdk's `base_url` should be."""
        return f"{self.server.url}api/"


@contextmanager
def running_slack_emulator(
    channels: Iterable[EmulatedChannel] = DEFAULT_CHANNELS,
    token: str = DEFAULT_TOKEN,
    port: int = 0,
) -> Iterator[RunningSlackEmulator]:
    """A Slack emulator served on a free loopback port for the duration of the block."""
    emulator = SlackEmulator(channels=channels, tokens=(token,))
    with BackgroundServer(create_app(emulator), port=port, name="slack-emulator") as server:
        emulator.public_url = server.url
        yield RunningSlackEmulator(emulator, server, token)


@dataclass(frozen=True, slots=True)
class RunningStripeEmulator:
    emulator: StripeEmulator
    server: BackgroundServer
    api_key: str

    @property
    def url(self) -> str:
        """What `FINANCE_STRIPE_API_URL` should be (the API, the hosted pages and the PDFs)."""
        return self.server.url.rstrip("/")


@contextmanager
def running_stripe_emulator(
    api_key: str = STRIPE_API_KEY, port: int = 0, webhook_backoff_seconds: float = 0.5
) -> Iterator[RunningStripeEmulator]:
    """A Stripe emulator on a free loopback port for the duration of the block."""
    emulator = StripeEmulator((api_key,), webhook_backoff_seconds=webhook_backoff_seconds)
    try:
        with BackgroundServer(create_stripe_app(emulator), port=port, name="stripe") as server:
            emulator.public_url = server.url
            yield RunningStripeEmulator(emulator, server, api_key)
    finally:
        emulator.close()
