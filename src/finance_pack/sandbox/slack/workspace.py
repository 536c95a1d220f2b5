"""The emulated Slack workspace: channels, messages and files, kept in memory.

Everything here is plain Python guarded by one lock, so the HTTP layer (running in uvicorn's
thread) and a test (in its own thread) can both touch it. Failures are `ApiFailure` carrying the
Slack error code the HTTP layer answers with (`{"ok": false, "error": code}`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

BOT_USER_ID = "U0FINBOT01"
BOT_ID = "B0FINBOT01"
TEAM_ID = "T0EMULATE1"
TEAM_NAME = "Emulated Workspace"
BOT_USER_NAME = "finance-bot"
MAX_TEXT_LENGTH = 40_000


class ApiFailure(Exception):
    """A Slack API error: answered as HTTP 200 with `{"ok": false, "error": code}`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class EmulatedChannel:
    id: str
    name: str
    is_member: bool = True
    is_private: bool = False
    is_archived: bool = False


# `#general` exists but the bot was never invited: it answers `not_in_channel`.
DEFAULT_CHANNELS: tuple[EmulatedChannel, ...] = (
    EmulatedChannel("C0FINOPS01", "finops"),
    EmulatedChannel("C0FINALRT1", "finance-alerts"),
    EmulatedChannel("C0BILLING1", "billing"),
    EmulatedChannel("C0GENERAL1", "general", is_member=False),
)


@dataclass(slots=True)
class StoredFile:
    id: str
    name: str
    declared_length: int
    created: int
    title: str = ""
    alt_txt: str | None = None
    content: bytes | None = None
    shared_to: list[tuple[str, str]] = field(default_factory=list)  # (channel id, ts)


@dataclass(slots=True)
class StoredMessage:
    channel_id: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    file_ids: tuple[str, ...] = ()
    edited_ts: str | None = None


def format_ts(micros: int) -> str:
    """Slack's message id: seconds, a dot, six digits of microseconds."""
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def parse_ts(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


class SlackWorkspace:
    """Channels, messages (oldest first per channel) and files of one emulated workspace."""

    def __init__(
        self,
        channels: Iterable[EmulatedChannel] = DEFAULT_CHANNELS,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._channels = {channel.id: channel for channel in channels}
        self._wall_clock = wall_clock
        self._lock = threading.RLock()
        self._messages: dict[str, list[StoredMessage]] = {}
        self._last_ts: dict[str, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_counter = 0

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._last_ts.clear()
            self._files.clear()
            self._file_counter = 0

    @property
    def channels(self) -> list[EmulatedChannel]:
        return sorted(self._channels.values(), key=lambda channel: channel.name)

    def channel(self, ref: str) -> EmulatedChannel:
        """A channel by id (`C0FINOPS01`) or name (`#finops`, `finops`)."""
        if ref in self._channels:
            return self._channels[ref]
        name = ref.removeprefix("#")
        for channel in self._channels.values():
            if channel.name == name:
                return channel
        raise ApiFailure("channel_not_found")

    def _postable_channel(self, ref: str) -> EmulatedChannel:
        channel = self.channel(ref)
        if channel.is_archived:
            raise ApiFailure("is_archived")
        if not channel.is_member:
            raise ApiFailure("not_in_channel")
        return channel

    def _next_ts(self, channel_id: str) -> str:
        now_micros = int(self._wall_clock() * 1_000_000)
        micros = max(now_micros, self._last_ts.get(channel_id, 0) + 1)
        self._last_ts[channel_id] = micros
        return format_ts(micros)

    def post_message(
        self,
        channel_ref: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
        file_ids: Sequence[str] = (),
    ) -> StoredMessage:
        if not text and not blocks and not file_ids:
            raise ApiFailure("no_text")
        if len(text) > MAX_TEXT_LENGTH:
            raise ApiFailure("msg_too_long")
        with self._lock:
            channel = self._postable_channel(channel_ref)
            if thread_ts is not None:
                self._find(channel.id, thread_ts)
            message = StoredMessage(
                channel_id=channel.id,
                ts=self._next_ts(channel.id),
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                metadata=metadata,
                file_ids=tuple(file_ids),
            )
            self._messages.setdefault(channel.id, []).append(message)
            return message

    def _find(self, channel_id: str, ts: str) -> StoredMessage:
        for message in self._messages.get(channel_id, []):
            if message.ts == ts:
                return message
        raise ApiFailure("message_not_found")

    def update_message(
        self,
        channel_ref: str,
        ts: str,
        *,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        metadata: dict[str, Any] | None,
    ) -> StoredMessage:
        with self._lock:
            channel = self._postable_channel(channel_ref)
            message = self._find(channel.id, ts)
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = blocks
            if metadata is not None:
                message.metadata = metadata
            message.edited_ts = self._next_ts(channel.id)
            return message

    def history(
        self, channel_ref: str, *, oldest: str | None, latest: str | None, inclusive: bool
    ) -> list[StoredMessage]:
        """Top-level messages and none of the thread replies, newest first (as Slack does)."""
        low = parse_ts(oldest) if oldest else None
        high = parse_ts(latest) if latest else None
        with self._lock:
            channel = self.channel(channel_ref)
            if not channel.is_member and channel.is_private:
                raise ApiFailure("channel_not_found")
            if not channel.is_member:
                raise ApiFailure("not_in_channel")
            selected = []
            for message in self._messages.get(channel.id, []):
                if message.thread_ts not in (None, message.ts):
                    continue
                micros = parse_ts(message.ts)
                if low is not None and (micros < low or (micros == low and not inclusive)):
                    continue
                if high is not None and (micros > high or (micros == high and not inclusive)):
                    continue
                selected.append(message)
            return list(reversed(selected))

    def replies(self, channel_ref: str, ts: str) -> list[StoredMessage]:
        """A thread: its parent, then its replies oldest first (as `conversations.replies`)."""
        with self._lock:
            channel = self.channel(channel_ref)
            if not channel.is_member:
                raise ApiFailure("channel_not_found" if channel.is_private else "not_in_channel")
            messages = self._messages.get(channel.id, [])
            parent = next((m for m in messages if m.ts == ts), None)
            if parent is None:
                raise ApiFailure("thread_not_found")
            root = parent.thread_ts or parent.ts
            return [m for m in messages if m.ts == root or m.thread_ts == root]

    def all_messages(self) -> list[StoredMessage]:
        with self._lock:
            return [
                message
                for channel in self.channels
                for message in self._messages.get(channel.id, [])
            ]

    def new_file(self, filename: str, length: int, alt_txt: str | None) -> StoredFile:
        with self._lock:
            self._file_counter += 1
            stored = StoredFile(
                id=f"F0EMU{self._file_counter:05d}",
                name=filename,
                declared_length=length,
                created=int(self._wall_clock()),
                alt_txt=alt_txt,
            )
            self._files[stored.id] = stored
            return stored

    def file(self, file_id: str) -> StoredFile:
        with self._lock:
            if file_id not in self._files:
                raise ApiFailure("file_not_found")
            return self._files[file_id]

    def store_upload(self, file_id: str, content: bytes) -> StoredFile:
        with self._lock:
            stored = self.file(file_id)
            stored.content = content
            return stored

    def complete_upload(
        self,
        files: Sequence[tuple[str, str | None]],
        channel_ref: str | None,
        *,
        initial_comment: str,
        thread_ts: str | None,
    ) -> list[StoredFile]:
        """Marks uploads complete and, given a channel, shares them in one new message."""
        with self._lock:
            completed = [self._completed_file(file_id, title) for file_id, title in files]
            if channel_ref is not None:
                message = self.post_message(
                    channel_ref,
                    initial_comment,
                    thread_ts=thread_ts,
                    file_ids=[stored.id for stored in completed],
                )
                for stored in completed:
                    stored.shared_to.append((message.channel_id, message.ts))
            return completed

    def _completed_file(self, file_id: str, title: str | None) -> StoredFile:
        stored = self.file(file_id)
        if stored.content is None:
            raise ApiFailure("file_not_found")
        stored.title = title or stored.name
        return stored
