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
