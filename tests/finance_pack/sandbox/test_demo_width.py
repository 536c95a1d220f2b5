"""The demo reads right in an 80-column terminal and in a 200-column one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from finance_pack.sandbox.demo import run_demo


@pytest.mark.parametrize("width", [80, 200])
def test_demo_output_fits_the_terminal_and_keeps_every_table_whole(
    tmp_path: Path, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FINANCE_DATABASE_URL", "FINANCE_COST_STORE_URL", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, emoji=False, soft_wrap=True)
    run_demo(tmp_path / "demo", console, keep_serving=None)
    lines = buffer.getvalue().splitlines()
    assert [line for line in lines if len(line) > width] == []
    text = buffer.getvalue()
    for title in ("KPIs in USD", "Budgets", "SLOs"):
        assert title in text
