"""`SlackGateway`: the few Slack operations the agents need, and its slack_sdk implementation."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base

from finance_pack.providers.slack.errors import (
    TRANSIENT_CODES,
    SlackPermanentError,
    SlackTransientError,
)
from finance_pack.providers.slack.pacing import ChannelPacer
from finance_pack.providers.slack.retry import (
    BoundedRetryHandler,
    RetryPolicy,
    never_sent,
    retry_after_seconds,
)
from finance_pack.providers.slack.settings import SlackSettings

logger = logging.getLogger(__name__)
T = TypeVar("T")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
HISTORY_PAGE = 200


@dataclass(frozen=True, slots=True)
class PostedMessage:
    channel_id: str
    ts: str


@dataclass(frozen=True, slots=True)
class MessageMetadata:
    """Slack message metadata naming what a message is (`event_type`) and which one (`key`),
    so that a message posted before a crash can be found again instead of posted twice."""

    event_type: str
    key: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    def to_slack(self) -> dict[str, Any]:
        return {"event_type": self.event_type, "event_payload": {**self.payload, "key": self.key}}


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """`ts` is the message sharing the file, when Slack reports it (it may do so later)."""

    file_id: str
    channel_id: str
    ts: str | None
    permalink: str | None


@dataclass(frozen=True, slots=True)
class SlackIdentity:
    team: str
    team_id: str
    user_id: str
    bot_id: str | None
    url: str


class SlackGateway(Protocol):
    def post_message(
        self,
        channel: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: MessageMetadata | None = None,
    ) -> PostedMessage: ...

    def update_message(
        self,
        channel: str,
        ts: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        metadata: MessageMetadata | None = None,
    ) -> PostedMessage: ...

    def upload_file(
        self,
        channel: str,
        filename: str,
        content: bytes,
        title: str,
        initial_comment: str | None = None,
        thread_ts: str | None = None,
    ) -> UploadedFile: ...

    def find_message(
        self, channel: str, event_type: str, key: str, oldest: datetime
    ) -> PostedMessage | None: ...

    def find_file_in_thread(
        self, channel: str, thread_ts: str, filename: str
    ) -> UploadedFile | None: ...

    def auth_check(self) -> SlackIdentity: ...


class _WaitBudgetSpent(stop_base):
    """Stops retrying once the policy's total wait is used up."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.budget = policy.max_total_wait_seconds

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for >= self.budget


class _UploadUrlFailed(Exception):
    """The upload URL (step 2 of files_upload_v2) failed; nothing was shared yet."""


def slack_failure(exc: Exception, channel: str | None, *, posting: bool) -> Exception:
    """The `SlackPermanentError` / `SlackTransientError` an slack_sdk failure means."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = str(exc.response.get("error") or f"http_{status}")
        if status == 429 or status >= 500 or code in TRANSIENT_CODES:
            headers = exc.response.headers or {}
            retry_after = retry_after_seconds(headers) if status == 429 else None
            # 429 means Slack refused it; a 5xx may have been answered after the post landed.
            maybe_delivered = posting and status >= 500
            return SlackTransientError(
                code, channel, retry_after=retry_after, maybe_delivered=maybe_delivered
            )
        return SlackPermanentError(code, channel)
    if isinstance(exc, _UploadUrlFailed):
        return SlackTransientError(str(exc), channel)
    if isinstance(exc, URLError | OSError):
        reason = getattr(exc, "reason", exc)
        maybe_delivered = posting and not never_sent(exc)
        return SlackTransientError(
            f"network error: {reason}", channel, maybe_delivered=maybe_delivered
        )
    return exc


class SlackWebGateway:
    """`SlackGateway` on slack_sdk's `WebClient`, with our retry policy and channel pacing."""

    def __init__(
        self,
        settings: SlackSettings,
        *,
        pacer: ChannelPacer | None = None,
        client: WebClient | None = None,
    ) -> None:
        self.settings = settings
        self.pacer = pacer or ChannelPacer(settings.min_post_interval_seconds)
        self.client = client or WebClient(
            token=settings.token,
            base_url=settings.base_url,
            timeout=settings.timeout_seconds,
            retry_handlers=[BoundedRetryHandler(settings.retry)],
        )
        self._channel_ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def _call(self, channel: str | None, call: Callable[[], T], *, posting: bool = False) -> T:
        try:
            return call()
        except (SlackApiError, URLError, OSError, _UploadUrlFailed) as exc:
            raise slack_failure(exc, channel, posting=posting) from exc

    def _pace(self, channel: str) -> None:
        # Keyed by the caller's own name for the channel, never switching to the id Slack
        # returns: one channel must map to one pacing slot from its very first post.
        self.pacer.wait_for_slot(channel.removeprefix("#"))

    def _remember(self, channel: str, channel_id: str) -> None:
        with self._lock:
            self._channel_ids[channel.removeprefix("#")] = channel_id

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: MessageMetadata | None = None,
    ) -> PostedMessage:
        self._pace(channel)
        response = self._call(
            channel,
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=[dict(block) for block in blocks] if blocks is not None else None,
                thread_ts=thread_ts,
                metadata=metadata.to_slack() if metadata else None,
            ),
            posting=True,
        )
        posted = PostedMessage(str(response["channel"]), str(response["ts"]))
        self._remember(channel, posted.channel_id)
        return posted

    def update_message(
        self,
        channel: str,
        ts: str,
        text: str,
        blocks: Sequence[Mapping[str, Any]] | None = None,
        metadata: MessageMetadata | None = None,
    ) -> PostedMessage:
        channel_id = self.channel_id(channel)
        response = self._call(
            channel,
            lambda: self.client.chat_update(
                channel=channel_id,
                ts=ts,
                text=text,
                blocks=[dict(block) for block in blocks] if blocks is not None else None,
                metadata=metadata.to_slack() if metadata else None,
            ),
        )
        return PostedMessage(str(response["channel"]), str(response["ts"]))

    def upload_file(
        self,
        channel: str,
        filename: str,
        content: bytes,
        title: str,
        initial_comment: str | None = None,
        thread_ts: str | None = None,
    ) -> UploadedFile:
        channel_id = self.channel_id(channel)
        self._pace(channel)
        response = self._call(
            channel,
            lambda: self._upload_with_retries(
                channel_id, filename, content, title, initial_comment, thread_ts
            ),
            posting=True,
        )
        uploaded = response["files"][0]
        shares = uploaded.get("shares", {})
        share_list = [*shares.get("public", {}).get(channel_id, [])]
        share_list += shares.get("private", {}).get(channel_id, [])
        return UploadedFile(
            file_id=str(uploaded["id"]),
            channel_id=channel_id,
            ts=str(share_list[0]["ts"]) if share_list else None,
            permalink=uploaded.get("permalink"),
        )

    def _upload_with_retries(
        self,
        channel_id: str,
        filename: str,
        content: bytes,
        title: str,
        initial_comment: str | None,
        thread_ts: str | None,
    ) -> Any:
        """Runs files_upload_v2, again from the start if only its upload URL step failed.

        The API calls inside retry themselves (slack_sdk's handlers); the upload URL is fetched
        with plain urllib, outside them, so a 5xx there surfaces as an `HTTPError` we retry here.
        Nothing is shared before the last step, so starting over posts nothing twice.
        """
        policy = self.settings.retry

        def backoff(state: RetryCallState) -> float:
            return policy.backoff_seconds(state.attempt_number - 1)

        retrying = Retrying(
            retry=retry_if_exception_type(_UploadUrlFailed),
            stop=stop_after_attempt(policy.max_attempts) | _WaitBudgetSpent(policy),
            wait=backoff,
            sleep=policy.sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                try:
                    return self.client.files_upload_v2(
                        channel=channel_id,
                        filename=filename,
                        content=content,
                        title=title,
                        initial_comment=initial_comment,
                        thread_ts=thread_ts,
                    )
                except HTTPError as exc:
                    raise _UploadUrlFailed(f"upload URL answered HTTP {exc.code}") from exc
        raise AssertionError("unreachable: tenacity reraises the last failure")

    def find_message(
        self, channel: str, event_type: str, key: str, oldest: datetime
    ) -> PostedMessage | None:
        """The newest top-level message since `oldest` whose metadata matches.

        Slack's history lists top-level messages only, so keys belong on those (a thread
        reply with metadata is not found here).
        """
        channel_id = self.channel_id(channel)
        for message in self._history(channel, channel_id, oldest):
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == event_type and payload.get("key") == key:
                return PostedMessage(channel_id, str(message["ts"]))
        return None

    def find_file_in_thread(
        self, channel: str, thread_ts: str, filename: str
    ) -> UploadedFile | None:
        """The file named `filename` already shared in the thread of `thread_ts`, if any.

        Files carry no metadata of their own, so an upload that may have landed before a crash
        is recognised by its (unique) name among the thread's replies.
        """
        channel_id = self.channel_id(channel)
        replies = self._pages(
            channel, self.client.conversations_replies, {"channel": channel_id, "ts": thread_ts}
        )
        for message in replies:
            for shared in message.get("files") or []:
                if shared.get("name") == filename:
                    return UploadedFile(
                        str(shared["id"]), channel_id, str(message["ts"]), shared.get("permalink")
                    )
        return None

    def _history(self, channel: str, channel_id: str, oldest: datetime) -> Iterator[Any]:
        return self._pages(
            channel,
            self.client.conversations_history,
            {
                "channel": channel_id,
                "oldest": f"{oldest.timestamp():.6f}",
                "include_all_metadata": True,
            },
        )

    def _pages(
        self, channel: str, method: Callable[..., Any], params: dict[str, Any]
    ) -> Iterator[Any]:
        """The messages of every page of a cursor-paginated conversations method."""
        cursor: str | None = None
        while True:
            page: Any = self._call(
                channel, partial(method, **params, limit=HISTORY_PAGE, cursor=cursor)
            )
            yield from page.get("messages", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def channel_id(self, channel: str) -> str:
        """The id of a channel given by id or by name (`#finops` or `finops`)."""
        if CHANNEL_ID.match(channel):
            return channel
        name = channel.removeprefix("#")
        with self._lock:
            known = self._channel_ids.get(name)
        if known:
            return known
        cursor: str | None = None
        while True:
            page: Any = self._call(
                channel,
                partial(
                    self.client.conversations_list,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                ),
            )
            for listed in page.get("channels", []):
                self._remember(str(listed["name"]), str(listed["id"]))
            with self._lock:
                if name in self._channel_ids:
                    return self._channel_ids[name]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise SlackPermanentError("channel_not_found", channel)

    def auth_check(self) -> SlackIdentity:
        response = self._call(None, self.client.auth_test)
        return SlackIdentity(
            team=str(response.get("team", "")),
            team_id=str(response.get("team_id", "")),
            user_id=str(response.get("user_id", "")),
            bot_id=response.get("bot_id"),
            url=str(response.get("url", "")),
        )
