"""The emulator's HTML page: channels and their messages, Block Kit rendered as readable text.

Everything user-supplied is HTML-escaped first; only then is the small mrkdwn subset
(bold, italic, strike, code, links, emoji shortcodes) turned into tags, so no posted text can
inject markup. Links and images are kept only for http(s) URLs.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finance_pack.sandbox.slack.emulator import SlackEmulator

EMOJI = {
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "large_orange_circle": "🟠",
    "red_circle": "🔴",
    "white_check_mark": "✅",
    "warning": "⚠️",
    "rotating_light": "🚨",
    "x": "❌",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "moneybag": "💰",
    "money_with_wings": "💸",
    "hourglass_flowing_sand": "⏳",
    "calendar": "📅",
    "receipt": "🧾",
    "bell": "🔔",
    "mag": "🔍",
}

_LINK = re.compile(r"&lt;(https?://[^\s|]+?)(?:\|(.+?))?&gt;")
_PRE = re.compile(r"```(.+?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")


def mrkdwn_to_html(text: str) -> str:
    """Slack mrkdwn to safe HTML: escape everything, then add the few tags mrkdwn means."""
    escaped = html.escape(text, quote=True)
    escaped = _LINK.sub(lambda m: f'<a href="{m[1]}">{m[2] or m[1]}</a>', escaped)
    escaped = _PRE.sub(r"<pre>\1</pre>", escaped)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    escaped = _ITALIC.sub(r"<em>\1</em>", escaped)
    escaped = _STRIKE.sub(r"<del>\1</del>", escaped)
    escaped = _EMOJI.sub(lambda m: EMOJI.get(m[1], m[0]), escaped)
    return escaped.replace("\n", "<br>")


def _text_object(obj: Any) -> str:
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_html(text)
    return html.escape(text).replace("\n", "<br>")


def _safe_url(url: Any) -> str | None:
    return html.escape(url, quote=True) if isinstance(url, str) and _is_http(url) else None


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def render_block(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        return f"<h4>{_text_object(block.get('text'))}</h4>"
    if kind == "divider":
        return "<hr>"
    if kind == "section":
        parts = [f"<div>{_text_object(block.get('text'))}</div>"] if block.get("text") else []
        fields = block.get("fields") or []
        if fields:
            cells = "".join(f"<div>{_text_object(field)}</div>" for field in fields)
            parts.append(f'<div class="fields">{cells}</div>')
        return f'<div class="section">{"".join(parts)}</div>'
    if kind == "context":
        items = [_text_object(e) for e in block.get("elements", []) if isinstance(e, dict)]
        return f'<div class="context">{" · ".join(item for item in items if item)}</div>'
    if kind == "image":
        url = _safe_url(block.get("image_url"))
        alt = html.escape(str(block.get("alt_text", "")), quote=True)
        return f'<img src="{url}" alt="{alt}">' if url else f"<div>[image: {alt}]</div>"
    if kind == "actions":
        labels = [
            _text_object(e.get("text")) for e in block.get("elements", []) if isinstance(e, dict)
        ]
        return "".join(f'<span class="button">{label}</span>' for label in labels)
    return f'<div class="context">[{html.escape(str(kind))} block]</div>'


def _render_file(listing: dict[str, Any]) -> str:
    url = html.escape(listing["url"], quote=True)
    title = html.escape(listing["title"] or listing["name"])
    if str(listing["mimetype"]).startswith("image/"):
        return f'<figure><img src="{url}" alt="{title}"><figcaption>{title}</figcaption></figure>'
    return f'<div class="file">📎 <a href="{url}">{title}</a> ({listing["size"]} bytes)</div>'


def _when(ts: str) -> str:
    moment = datetime.fromtimestamp(float(ts), UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def render_message(listing: dict[str, Any]) -> str:
    parts = [f'<div class="meta">ts {html.escape(listing["ts"])} · {_when(listing["ts"])}']
    if listing["thread_ts"]:
        parts.append(f" · ↳ reply in thread {html.escape(listing['thread_ts'])}")
    if listing["edited_ts"]:
        parts.append(" · (edited)")
    parts.append("</div>")
    # Like Slack: with blocks, `text` is only the notification fallback and is not shown.
    if listing["text"] and not listing["blocks"]:
        parts.append(f'<div class="text">{mrkdwn_to_html(listing["text"])}</div>')
    parts.extend(
        render_block(block) for block in listing["blocks"] or [] if isinstance(block, dict)
    )
    parts.extend(_render_file(file) for file in listing["files"])
    if listing["metadata"]:
        pretty = html.escape(json.dumps(listing["metadata"], indent=2, sort_keys=True))
        parts.append(f"<details><summary>metadata</summary><pre>{pretty}</pre></details>")
    css_class = "message reply" if listing["thread_ts"] else "message"
    return f'<article class="{css_class}">{"".join(parts)}</article>'


def render_page(emulator: SlackEmulator, base_url: str) -> str:
    listings = emulator.messages(base_url)
    sections = []
    for channel in emulator.workspace.channels:
        mine = [render_message(m) for m in listings if m["channel_id"] == channel.id]
        status = "member" if channel.is_member else "bot not invited"
        body = "".join(reversed(mine)) or '<p class="empty">No messages yet.</p>'
        sections.append(
            f"<section><h2>#{html.escape(channel.name)} <small>{html.escape(channel.id)} · "
            f"{status} · {len(mine)} message{'' if len(mine) == 1 else 's'}</small></h2>"
            f"{body}</section>"
        )
    template = Template(resources.files(__package__).joinpath("page.html").read_text("utf-8"))
    return template.substitute(
        api_url=html.escape(f"{base_url}api/"),
        channels="".join(sections),
    )
