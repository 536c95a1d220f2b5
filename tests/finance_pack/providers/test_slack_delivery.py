"""Exactly once through ambiguous failures: a real proxy on loopback forwards `chat.postMessage`
to the Slack emulator, and answers 502 once Slack has taken the post."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from finance_pack.providers.slack import (
    ChannelPacer,
    MessageMetadata,
    PostedMessage,
    RetryPolicy,
    SlackSettings,
    SlackTransientError,
    SlackWebGateway,
)
from finance_pack.providers.slack.delivery import post_once
from finance_pack.sandbox.testing import RunningSlackEmulator

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
FAST_RETRIES = RetryPolicy(max_attempts=4, max_total_wait_seconds=5, backoff_base_seconds=0.01)
ALERT = MessageMetadata("budget_threshold", "core:2026-05:80:actual", {})


class _ForwardThen502(BaseHTTPRequestHandler):
    """Forwards every call; `chat.postMessage` reaches Slack but its answer is replaced by a 502."""

    upstream = ""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {
            k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")
        }
        answer = httpx.post(
            self.upstream + self.path.removeprefix("/api"), content=body, headers=headers
        )
        if self.path.endswith("/chat.postMessage"):
            self._send(502, b"<html>502 Bad Gateway</html>", "text/html")
        else:
            self._send(answer.status_code, answer.content, answer.headers["content-type"])

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxied_gateway(slack_emulator: RunningSlackEmulator) -> Iterator[SlackWebGateway]:
    handler = type("Handler", (_ForwardThen502,), {"upstream": slack_emulator.api_url.rstrip("/")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = SlackSettings(
        token=slack_emulator.token,
        base_url=f"http://127.0.0.1:{server.server_address[1]}/api/",
        retry=FAST_RETRIES,
        timeout_seconds=5,
    )
    try:
        yield SlackWebGateway(settings, pacer=ChannelPacer(0))
    finally:
        server.shutdown()
        server.server_close()


def _post(gateway: SlackWebGateway) -> PostedMessage:
    return gateway.post_message("#finops", "Budget core at 80 %", metadata=ALERT)


def test_a_502_after_the_post_landed_is_not_resent_and_says_maybe_delivered(
    slack_emulator: RunningSlackEmulator, proxied_gateway: SlackWebGateway
) -> None:
    with pytest.raises(SlackTransientError) as caught:
        _post(proxied_gateway)

    assert caught.value.maybe_delivered
    assert len(slack_emulator.emulator.requests("chat.postMessage")) == 1
    assert [m["text"] for m in slack_emulator.emulator.messages()] == ["Budget core at 80 %"]


def test_the_retry_after_an_ambiguous_502_finds_the_post_by_metadata_instead_of_reposting(
    slack_emulator: RunningSlackEmulator, proxied_gateway: SlackWebGateway
) -> None:
    with pytest.raises(SlackTransientError):
        _post(proxied_gateway)

    delivered = post_once(
        proxied_gateway,
        "#finops",
        ALERT,
        lambda: _post(proxied_gateway),
        maybe_posted=True,
        oldest=LONG_AGO,
    )

    [message] = slack_emulator.emulator.messages()
    assert delivered.found
    assert delivered.message.ts == message["ts"]
    assert len(slack_emulator.emulator.requests("chat.postMessage")) == 1


def test_a_first_attempt_posts_without_looking(
    slack_emulator: RunningSlackEmulator, proxied_gateway: SlackWebGateway
) -> None:
    posted: list[str] = []

    def post() -> PostedMessage:
        posted.append("x")
        return PostedMessage("C0FINOPS01", "1.000001")

    delivered = post_once(
        proxied_gateway, "#finops", ALERT, post, maybe_posted=False, oldest=LONG_AGO
    )

    assert (delivered.found, posted) == (False, ["x"])
    assert slack_emulator.emulator.requests("conversations.history") == []
