"""The Slack adapter with the real slack_sdk client against the running emulator."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from finance_pack.providers.slack import (
    ChannelPacer,
    MessageMetadata,
    RetryPolicy,
    SlackPermanentError,
    SlackSettings,
    SlackTransientError,
    SlackWebGateway,
)
from finance_pack.sandbox.slack import UPLOAD_METHOD
from finance_pack.sandbox.testing import RunningSlackEmulator

GatewayFactory = Callable[..., SlackWebGateway]
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
FAST_RETRIES = RetryPolicy(max_attempts=3, max_total_wait_seconds=5, backoff_base_seconds=0.01)


@pytest.fixture
def make_gateway(slack_emulator: RunningSlackEmulator) -> GatewayFactory:
    def make(
        token: str | None = None,
        retry: RetryPolicy = FAST_RETRIES,
        base_url: str | None = None,
    ) -> SlackWebGateway:
        settings = SlackSettings(
            token=token or slack_emulator.token,
            base_url=base_url or slack_emulator.api_url,
            retry=retry,
            timeout_seconds=5,
        )
        return SlackWebGateway(settings, pacer=ChannelPacer(0))

    return make


def test_post_message_with_blocks_and_metadata_lands_in_the_channel(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Budget* ok"}}]
    metadata = MessageMetadata("budgeteer_weekly", "finops:2026-W48", {"late": False})

    posted = make_gateway().post_message("#finops", "Budget ok", blocks, metadata=metadata)

    [stored] = slack_emulator.emulator.messages()
    assert (posted.channel_id, posted.ts) == (stored["channel_id"], stored["ts"])
    assert stored["blocks"] == blocks
    assert stored["metadata"] == {
        "event_type": "budgeteer_weekly",
        "event_payload": {"late": False, "key": "finops:2026-W48"},
    }


def test_thread_reply_and_update_use_the_parent_ts(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway()
    parent = gateway.post_message("#finance-alerts", "Spend anomaly")
    reply = gateway.post_message("#finance-alerts", "details", thread_ts=parent.ts)
    updated = gateway.update_message("#finance-alerts", parent.ts, "Spend anomaly (resolved)")

    assert updated == parent
    listing = {m["ts"]: m for m in slack_emulator.emulator.messages()}
    assert listing[reply.ts]["thread_ts"] == parent.ts
    assert listing[parent.ts]["text"] == "Spend anomaly (resolved)"


def test_find_message_finds_an_earlier_post_by_its_metadata_key(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway()
    wanted = gateway.post_message(
        "#finops", "summary", metadata=MessageMetadata("budgeteer_weekly", "W48")
    )
    gateway.post_message("#finops", "other", metadata=MessageMetadata("budgeteer_weekly", "W47"))
    gateway.post_message("#finops", "no metadata")

    assert gateway.find_message("#finops", "budgeteer_weekly", "W48", LONG_AGO) == wanted
    assert gateway.find_message("finops", "budgeteer_weekly", "W49", LONG_AGO) is None
    assert gateway.find_message("#finops", "invoice", "W48", LONG_AGO) is None


def test_find_message_ignores_messages_older_than_oldest(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway()
    gateway.post_message("#finops", "old", metadata=MessageMetadata("budgeteer_weekly", "W48"))
    later = datetime.now(UTC) + timedelta(days=1)
    assert gateway.find_message("#finops", "budgeteer_weekly", "W48", later) is None


def test_find_message_reads_past_the_first_history_page(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway()
    first = gateway.post_message("#billing", "x", metadata=MessageMetadata("invoice", "in_1"))
    for index in range(205):  # more than one page of conversations.history
        gateway.post_message("#billing", f"filler {index}")
    assert gateway.find_message("#billing", "invoice", "in_1", LONG_AGO) == first


def test_find_file_in_thread_finds_an_upload_by_name_past_the_first_page(
    make_gateway: GatewayFactory,
) -> None:
    gateway = make_gateway()
    parent = gateway.post_message("#billing", "Invoice ACME-0001")
    other = gateway.post_message("#billing", "Invoice ACME-0002")
    for index in range(205):  # more than one page of conversations.replies
        gateway.post_message("#billing", f"reply {index}", thread_ts=parent.ts)
    uploaded = gateway.upload_file(
        "#billing", "invoice-ACME-0001.pdf", b"%PDF-1.4", "Invoice", thread_ts=parent.ts
    )
    found = gateway.find_file_in_thread("#billing", parent.ts, "invoice-ACME-0001.pdf")
    assert found is not None and (found.file_id, found.ts) == (uploaded.file_id, uploaded.ts)
    assert gateway.find_file_in_thread("#billing", parent.ts, "invoice-ACME-0002.pdf") is None
    assert gateway.find_file_in_thread("billing", other.ts, "invoice-ACME-0001.pdf") is None


def test_upload_file_shares_it_in_a_message_with_its_bytes(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway()
    parent = gateway.post_message("#finops", "Weekly summary")
    chart = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

    uploaded = gateway.upload_file(
        "#finops", "burn.png", chart, "Burn chart", initial_comment="Chart", thread_ts=parent.ts
    )

    message = next(m for m in slack_emulator.emulator.messages() if m["files"])
    assert (uploaded.channel_id, uploaded.ts) == ("C0FINOPS01", message["ts"])
    assert (message["text"], message["thread_ts"]) == ("Chart", parent.ts)
    [shared] = message["files"]
    assert (shared["id"], shared["title"]) == (uploaded.file_id, "Burn chart")
    assert httpx.get(shared["url"]).content == chart


def test_upload_url_failure_is_retried_without_sharing_twice(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    slack_emulator.emulator.inject_fault(500, method=UPLOAD_METHOD, count=1)
    make_gateway().upload_file("#finops", "a.csv", b"a,b\n1,2\n", "data")

    assert [len(m["files"]) for m in slack_emulator.emulator.messages()] == [1]
    statuses = [r.status for r in slack_emulator.emulator.requests(UPLOAD_METHOD)]
    assert statuses == [500, 200]


def test_rate_limit_is_honoured_by_waiting_retry_after(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    slack_emulator.emulator.inject_fault(429, method="chat.postMessage", count=1, retry_after=1)

    make_gateway().post_message("#finops", "after the limit")

    first, second = slack_emulator.emulator.requests("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert len(slack_emulator.emulator.messages()) == 1


def test_rate_limit_longer_than_the_wait_budget_fails_fast_as_transient(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    slack_emulator.emulator.inject_fault(429, retry_after=120)

    with pytest.raises(SlackTransientError) as caught:
        make_gateway().post_message("#finops", "x")

    assert caught.value.retry_after == 120
    assert len(slack_emulator.emulator.requests("chat.postMessage")) == 1


def test_server_errors_are_retried_until_success_for_calls_safe_to_repeat(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    slack_emulator.emulator.inject_fault(500, method="auth.test", count=2)

    make_gateway().auth_check()

    statuses = [r.status for r in slack_emulator.emulator.requests("auth.test")]
    assert statuses == [500, 500, 200]


def test_a_server_error_on_a_post_is_transient_maybe_delivered_and_not_resent(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    slack_emulator.emulator.inject_fault(503, method="chat.postMessage")

    with pytest.raises(SlackTransientError) as caught:
        make_gateway().post_message("#finops", "never")

    assert (caught.value.channel, caught.value.maybe_delivered) == ("#finops", True)
    assert len(slack_emulator.emulator.requests("chat.postMessage")) == 1


def test_exhausted_retries_raise_transient_error_after_max_attempts(
    slack_emulator: RunningSlackEmulator, make_gateway: GatewayFactory
) -> None:
    slack_emulator.emulator.inject_fault(503, method="auth.test")

    with pytest.raises(SlackTransientError):
        make_gateway().auth_check()

    assert len(slack_emulator.emulator.requests("auth.test")) == FAST_RETRIES.max_attempts


@pytest.mark.parametrize(
    ("channel", "code", "hint_part"),
    [
        ("#no-such-channel", "channel_not_found", "finance.yaml"),
        ("#general", "not_in_channel", "/invite"),
    ],
)
def test_channel_problems_are_permanent_errors_with_a_hint(
    make_gateway: GatewayFactory, channel: str, code: str, hint_part: str
) -> None:
    with pytest.raises(SlackPermanentError) as caught:
        make_gateway().post_message(channel, "x")
    assert (caught.value.error_code, caught.value.channel) == (code, channel)
    assert hint_part in str(caught.value)


def test_unknown_channel_name_for_update_is_channel_not_found(make_gateway: GatewayFactory) -> None:
    with pytest.raises(SlackPermanentError) as caught:
        make_gateway().update_message("#missing", "1.000001", "x")
    assert caught.value.error_code == "channel_not_found"


def test_wrong_token_is_invalid_auth_and_never_shown(
    make_gateway: GatewayFactory, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "xoxb-wrong-secret-0001"
    caplog.set_level(logging.DEBUG)
    gateway = make_gateway(token=secret)
    with pytest.raises(SlackPermanentError) as caught:
        gateway.auth_check()
    assert caught.value.error_code == "invalid_auth"
    assert "SLACK_BOT_TOKEN" in str(caught.value)
    assert secret not in str(caught.value) and secret not in repr(gateway.settings)
    assert secret not in caplog.text


def test_retries_never_log_the_token(
    slack_emulator: RunningSlackEmulator,
    make_gateway: GatewayFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    slack_emulator.emulator.inject_fault(500, method="auth.test", count=1)
    make_gateway().auth_check()
    assert "retry 1 of 2" in caplog.text
    assert slack_emulator.token not in caplog.text


def test_auth_check_returns_the_bot_identity(make_gateway: GatewayFactory) -> None:
    identity = make_gateway().auth_check()
    assert (identity.team_id, identity.user_id) == ("T0EMULATE1", "U0FINBOT01")


def test_unreachable_slack_is_a_transient_error(make_gateway: GatewayFactory) -> None:
    with socket.socket() as probe:  # a port with nothing listening: connections are refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gateway = make_gateway(base_url=f"http://127.0.0.1:{closed_port}/api/")
    with pytest.raises(SlackTransientError) as caught:
        gateway.post_message("#finops", "x")
    assert "network error" in caught.value.reason
    assert caught.value.maybe_delivered is False  # refused: the post surely never left


def test_posts_and_uploads_to_one_channel_share_one_pacing_slot(
    slack_emulator: RunningSlackEmulator,
) -> None:
    clock = {"now": 0.0}
    waits: list[float] = []
    pacer = ChannelPacer(1.0, monotonic=lambda: clock["now"], sleep=waits.append)
    settings = SlackSettings(
        token=slack_emulator.token,
        base_url=slack_emulator.api_url,
        retry=FAST_RETRIES,
        timeout_seconds=5,
    )
    gateway = SlackWebGateway(settings, pacer=pacer)
    posted = gateway.post_message("#finops", "first")
    gateway.post_message("#finops", "second")
    gateway.upload_file("#finops", "c.png", b"\x89PNG", title="c", thread_ts=posted.ts)
    gateway.post_message("#billing", "another channel")
    assert waits == [1.0, 2.0]  # the channel's 2nd and 3rd sends; #billing does not wait
