"""The emulator's page: readable, with images inline, and safe against posted markup."""

from __future__ import annotations

import httpx

from finance_pack.sandbox.slack.page import mrkdwn_to_html, render_block
from finance_pack.sandbox.testing import RunningSlackEmulator


def test_mrkdwn_escapes_markup_before_formatting() -> None:
    rendered = mrkdwn_to_html('<script>alert("x")</script> *bold* _it_ `code` :red_circle:')
    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered
    assert "<strong>bold</strong>" in rendered and "<em>it</em>" in rendered
    assert "<code>code</code>" in rendered and "🔴" in rendered


def test_only_http_links_become_anchors() -> None:
    assert (
        mrkdwn_to_html("<https://pay.example/i/1|Pay>")
        == '<a href="https://pay.example/i/1">Pay</a>'
    )
    unsafe = mrkdwn_to_html("<javascript:alert(1)|click>")
    assert "<a" not in unsafe and "&lt;javascript" in unsafe


def test_attribute_injection_through_a_link_is_escaped() -> None:
    rendered = mrkdwn_to_html('<https://x.test/" onmouseover="evil|label>')
    assert 'onmouseover="' not in rendered


def test_block_kit_sections_fields_and_context_render_as_text() -> None:
    section = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Cloud* budget"},
        "fields": [{"type": "mrkdwn", "text": "MTD\n$1,200.00"}],
    }
    rendered = render_block(section)
    assert "<strong>Cloud</strong> budget" in rendered and "MTD<br>$1,200.00" in rendered
    context = render_block({"type": "context", "elements": [{"type": "plain_text", "text": "<b>"}]})
    assert "&lt;b&gt;" in context


def test_page_lists_channels_messages_and_inline_images(
    slack_emulator: RunningSlackEmulator,
) -> None:
    workspace = slack_emulator.emulator.workspace
    workspace.post_message("#finops", "Weekly *summary* <b>raw</b>")
    stored = workspace.new_file("chart.png", 4, None)
    workspace.store_upload(stored.id, b"\x89PNG")
    workspace.complete_upload([(stored.id, "Chart")], "#finops", initial_comment="", thread_ts=None)

    page = httpx.get(slack_emulator.url).text

    assert "#finops" in page and "#billing" in page and "bot not invited" in page
    assert "Weekly <strong>summary</strong> &lt;b&gt;raw&lt;/b&gt;" in page
    assert f'<img src="{slack_emulator.url}files/{stored.id}/chart.png"' in page
