"""The Budgeteer's charts reach Slack through the real slack_sdk files_upload_v2 flow
(files.getUploadURLExternal, the upload URL, files.completeUploadExternal) against the
emulator, as a PNG shared in the thread of the summary it illustrates."""

from __future__ import annotations

import struct
from datetime import timedelta

import httpx
from budgeteer_support import CHANNELS, START, gateway, make_budgeteer, summaries
from sqlalchemy import Engine

from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.sandbox.testing import RunningSlackEmulator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# chart.py draws 6.4 x 3.6 inches at 120 dpi: the size Slack's preview is made for.
CHART_WIDTH, CHART_HEIGHT = 768, 432


def png_size(content: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a PNG must start with after its signature."""
    assert content[:8] == PNG_SIGNATURE
    assert content[12:16] == b"IHDR"
    width, height = struct.unpack(">II", content[16:24])
    return width, height


def test_each_summary_gets_its_chart_as_a_png_in_its_thread_once(
    engine: Engine, slack_emulator: RunningSlackEmulator, snapshot: BudgetSnapshot
) -> None:
    budgeteer = make_budgeteer(engine, gateway(slack_emulator), snapshot, charts=True)
    budgeteer.tick(START - timedelta(hours=1))
    budgeteer.tick(START + timedelta(hours=1, minutes=1))  # the slot: summaries and charts
    budgeteer.tick(START + timedelta(hours=3))  # already posted: nothing again

    posted = slack_emulator.emulator.messages()
    shares = [m for m in posted if m["files"]]
    by_channel = {m["channel_name"]: m for m in summaries(slack_emulator)}
    assert sorted(by_channel) == sorted(c.removeprefix("#") for c in CHANNELS)
    assert len(shares) == len(CHANNELS)  # one chart share per summary, not one per tick
    for share in shares:
        summary = by_channel[share["channel_name"]]
        assert share["thread_ts"] == summary["ts"]  # in the summary's thread, not the channel
        [chart] = share["files"]
        assert chart["name"] == "platform-2026-11.png"
        assert chart["title"] == "platform · 2026-11"
        assert chart["mimetype"] == "image/png"
        content = httpx.get(chart["url"]).content  # the bytes that went to the upload URL
        assert png_size(content) == (CHART_WIDTH, CHART_HEIGHT)
        assert chart["size"] == len(content) > 10_000  # a drawn chart, not an empty image
    calls = [r.method for r in slack_emulator.emulator.requests() if r.status == 200]
    assert calls.count("files.getUploadURLExternal") == len(CHANNELS)
    assert calls.count("files.upload.v2-url") == len(CHANNELS)
    assert calls.count("files.completeUploadExternal") == len(CHANNELS)
