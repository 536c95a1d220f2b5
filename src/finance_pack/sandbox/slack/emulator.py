"""`SlackEmulator`: the workspace, its faults and request log, and the Python API tests use."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from finance_pack.sandbox.slack.faults import Fault, FaultPlan, RecordedRequest, RequestLog
from finance_pack.sandbox.slack.workspace import (
    BOT_ID,
    BOT_USER_ID,
    DEFAULT_CHANNELS,
    ApiFailure,
    EmulatedChannel,
    SlackWorkspace,
    StoredFile,
    StoredMessage,
)

DEFAULT_TOKEN = "xoxb-emulator-token"


class SlackEmulator:
    """An in-memory Slack workspace with switchable faults.

    `monotonic` times the request log and fault durations; `wall_clock` makes message `ts`.
    """

    def __init__(
        self,
        channels: Iterable[EmulatedChannel] = DEFAULT_CHANNELS,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workspace = SlackWorkspace(channels, wall_clock)
        self.tokens = frozenset(tokens)
        self.faults = FaultPlan()
        self.request_log = RequestLog()
        self.monotonic = monotonic
        # Where it is served, once it is: used for file URLs in the Python API's listings.
        self.public_url = "http://slack-emulator.invalid/"

    def inject_fault(
        self,
        status: int,
        *,
        method: str | None = None,
        count: int | None = None,
        seconds: float | None = None,
        retry_after: int = 1,
    ) -> Fault:
        """Answer `status` (429 with `Retry-After: retry_after`, or 5xx) to `method` (None: all)
        for the next `count` calls and/or `seconds`; with neither, until `clear_faults()`."""
        return self.faults.add(
            status,
            now=self.monotonic(),
            method=method,
            count=count,
            seconds=seconds,
            retry_after=retry_after,
        )

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget messages, files, faults and the request log (channels and tokens stay)."""
        self.workspace.reset()
        self.faults.clear()
        self.request_log.clear()

    def authenticate(self, token: str | None) -> None:
        if not token:
            raise ApiFailure("not_authed")
        if token not in self.tokens:
            raise ApiFailure("invalid_auth")

    def requests(self, method: str | None = None) -> list[RecordedRequest]:
        return self.request_log.entries(method)

    def messages(self, base_url: str | None = None) -> list[dict[str, Any]]:
        """Everything posted, oldest first per channel, in the `GET /_emulator/messages` shape."""
        base_url = base_url or self.public_url
        return [
            self.message_listing(message, base_url) for message in self.workspace.all_messages()
        ]

    def message_listing(self, message: StoredMessage, base_url: str) -> dict[str, Any]:
        channel = self.workspace.channel(message.channel_id)
        return {
            "channel_id": channel.id,
            "channel_name": channel.name,
            "ts": message.ts,
            "text": message.text,
            "blocks": message.blocks,
            "thread_ts": message.thread_ts,
            "metadata": message.metadata,
            "edited_ts": message.edited_ts,
            "files": [
                file_listing(self.workspace.file(file_id), base_url) for file_id in message.file_ids
            ],
        }


def file_url(stored: StoredFile, base_url: str) -> str:
    return f"{base_url}files/{stored.id}/{quote(stored.name)}"


def file_mimetype(stored: StoredFile) -> str:
    return mimetypes.guess_type(stored.name)[0] or "application/octet-stream"


def file_listing(stored: StoredFile, base_url: str) -> dict[str, Any]:
    return {
        "id": stored.id,
        "name": stored.name,
        "title": stored.title,
        "mimetype": file_mimetype(stored),
        "size": len(stored.content or b""),
        "url": file_url(stored, base_url),
    }


def slack_file(stored: StoredFile, base_url: str) -> dict[str, Any]:
    """A file object in the shape Slack's API returns it."""
    url = file_url(stored, base_url)
    shares: dict[str, list[dict[str, str]]] = {}
    for channel_id, ts in stored.shared_to:
        shares.setdefault(channel_id, []).append({"ts": ts})
    return {
        "id": stored.id,
        "created": stored.created,
        "timestamp": stored.created,
        "name": stored.name,
        "title": stored.title or stored.name,
        "mimetype": file_mimetype(stored),
        "filetype": stored.name.rsplit(".", 1)[-1].lower() if "." in stored.name else "binary",
        "user": BOT_USER_ID,
        "size": len(stored.content or b""),
        "url_private": url,
        "url_private_download": url + "?download=1",
        "permalink": url,
        "is_external": False,
        "alt_txt": stored.alt_txt,
        "channels": [channel_id for channel_id, _ in stored.shared_to],
        "shares": {"public": shares} if shares else {},
    }


def slack_message(
    message: StoredMessage, workspace: SlackWorkspace, base_url: str, *, with_metadata: bool
) -> dict[str, Any]:
    """A message in the shape `chat.postMessage` and `conversations.history` return it."""
    shaped: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": message.text,
        "ts": message.ts,
    }
    if message.blocks is not None:
        shaped["blocks"] = message.blocks
    if message.thread_ts is not None:
        shaped["thread_ts"] = message.thread_ts
    if message.file_ids:
        shaped["files"] = [slack_file(workspace.file(f), base_url) for f in message.file_ids]
        shaped["upload"] = True
    if message.edited_ts is not None:
        shaped["edited"] = {"user": BOT_USER_ID, "ts": message.edited_ts}
    if with_metadata and message.metadata is not None:
        shaped["metadata"] = message.metadata
    return shaped
