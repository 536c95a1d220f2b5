"""The Web API methods the emulator answers, in the request and response shapes Slack uses.

Each method takes the call's parameters (form fields, query string or JSON body: Slack accepts
all three, so values may be strings holding JSON or already-decoded JSON) and returns the
response body; it raises `ApiFailure` for `{"ok": false, "error": ...}`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from finance_pack.sandbox.slack.emulator import SlackEmulator, slack_file, slack_message
from finance_pack.sandbox.slack.workspace import (
    BOT_ID,
    BOT_USER_ID,
    BOT_USER_NAME,
    TEAM_ID,
    TEAM_NAME,
    ApiFailure,
    EmulatedChannel,
    StoredMessage,
)

MAX_PAGE = 999


@dataclass(frozen=True, slots=True)
class Call:
    """One API call: its parameters and the base URL the emulator is reached at."""

    params: Mapping[str, Any]
    base_url: str

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None else str(value)

    def required(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise ApiFailure("invalid_arguments")
        return value

    def decoded(self, name: str, error: str) -> Any:
        value = self.params.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ApiFailure(error) from exc

    def flag(self, name: str) -> bool:
        return str(self.params.get(name, "")).lower() in ("1", "true")

    def limit(self, default: int) -> int:
        try:
            return max(1, min(int(self.params.get("limit") or default), MAX_PAGE))
        except ValueError as exc:
            raise ApiFailure("invalid_limit") from exc


def _blocks(call: Call) -> list[dict[str, Any]] | None:
    blocks = call.decoded("blocks", "invalid_blocks")
    if blocks is not None and not (
        isinstance(blocks, list) and all(isinstance(b, dict) and "type" in b for b in blocks)
    ):
        raise ApiFailure("invalid_blocks")
    return blocks


def _metadata(call: Call) -> dict[str, Any] | None:
    metadata = call.decoded("metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    ):
        raise ApiFailure("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def auth_test(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    return {
        "url": call.base_url,
        "team": TEAM_NAME,
        "user": BOT_USER_NAME,
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def chat_post_message(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    workspace = emulator.workspace
    message = workspace.post_message(
        call.required("channel"),
        call.text("text") or "",
        blocks=_blocks(call),
        thread_ts=call.text("thread_ts") or None,
        metadata=_metadata(call),
    )
    shaped = slack_message(message, workspace, call.base_url, with_metadata=True)
    return {"channel": message.channel_id, "ts": message.ts, "message": shaped}


def chat_update(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    workspace = emulator.workspace
    message = workspace.update_message(
        call.required("channel"),
        call.required("ts"),
        text=call.text("text"),
        blocks=_blocks(call),
        metadata=_metadata(call),
    )
    shaped = slack_message(message, workspace, call.base_url, with_metadata=True)
    return {
        "channel": message.channel_id,
        "ts": message.ts,
        "text": message.text,
        "message": shaped,
    }


def _page(items: list[Any], call: Call, default_limit: int) -> tuple[list[Any], str]:
    """Slack's cursor pagination; our cursor is the base64 of the next offset."""
    cursor = call.text("cursor")
    try:
        start = int(base64.b64decode(cursor).decode()) if cursor else 0
    except ValueError as exc:
        raise ApiFailure("invalid_cursor") from exc
    end = start + call.limit(default_limit)
    next_cursor = base64.b64encode(str(end).encode()).decode() if end < len(items) else ""
    return items[start:end], next_cursor


def _messages_page(
    emulator: SlackEmulator, call: Call, messages: list[StoredMessage]
) -> dict[str, Any]:
    """One page of `messages` as `conversations.history` and `.replies` answer it."""
    page, next_cursor = _page(messages, call, default_limit=100)
    with_metadata = call.flag("include_all_metadata")
    return {
        "messages": [
            slack_message(m, emulator.workspace, call.base_url, with_metadata=with_metadata)
            for m in page
        ],
        "has_more": bool(next_cursor),
        "response_metadata": {"next_cursor": next_cursor},
    }


def conversations_history(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    workspace = emulator.workspace
    channel = call.required("channel")
    if channel.startswith("#"):
        raise ApiFailure("channel_not_found")  # history wants an id, never a name
    messages = workspace.history(
        channel,
        oldest=call.text("oldest") or None,
        latest=call.text("latest") or None,
        inclusive=call.flag("inclusive"),
    )
    return {**_messages_page(emulator, call, messages), "pin_count": 0}


def conversations_replies(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    workspace = emulator.workspace
    channel = call.required("channel")
    if channel.startswith("#"):
        raise ApiFailure("channel_not_found")  # replies want an id, never a name
    return _messages_page(emulator, call, workspace.replies(channel, call.required("ts")))


def _slack_channel(channel: EmulatedChannel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "is_member": channel.is_member,
        "created": 1_700_000_000,
    }


def conversations_list(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    types = set((call.text("types") or "public_channel").split(","))
    exclude_archived = call.flag("exclude_archived")
    visible = [
        channel
        for channel in emulator.workspace.channels
        if ("private_channel" if channel.is_private else "public_channel") in types
        and not (channel.is_private and not channel.is_member)
        and not (exclude_archived and channel.is_archived)
    ]
    page, next_cursor = _page(visible, call, default_limit=100)
    return {
        "channels": [_slack_channel(channel) for channel in page],
        "response_metadata": {"next_cursor": next_cursor},
    }


def files_get_upload_url_external(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    filename = call.required("filename")
    try:
        length = int(call.required("length"))
    except ValueError as exc:
        raise ApiFailure("invalid_arguments") from exc
    stored = emulator.workspace.new_file(filename, length, call.text("alt_txt"))
    return {"upload_url": f"{call.base_url}upload/v1/{stored.id}", "file_id": stored.id}


def files_complete_upload_external(emulator: SlackEmulator, call: Call) -> dict[str, Any]:
    files = call.decoded("files", "invalid_arguments")
    if (
        not isinstance(files, list)
        or not files
        or not all(isinstance(f, dict) and isinstance(f.get("id"), str) for f in files)
    ):
        raise ApiFailure("invalid_arguments")
    channel = call.text("channel_id") or (call.text("channels") or "").split(",")[0] or None
    completed = emulator.workspace.complete_upload(
        [(f["id"], f.get("title")) for f in files],
        channel,
        initial_comment=call.text("initial_comment") or "",
        thread_ts=call.text("thread_ts") or None,
    )
    return {"files": [slack_file(stored, call.base_url) for stored in completed]}


Method = Callable[[SlackEmulator, Call], dict[str, Any]]

METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "conversations.history": conversations_history,
    "conversations.list": conversations_list,
    "conversations.replies": conversations_replies,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}
