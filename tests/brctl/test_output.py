"""Tables fit the terminal: a number, date or status is never broken across lines."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from brctl.output import OutputFormat, render

ROWS = [
    {
        "budget": "platform-engineering",
        "month": "2026-10",
        "mtd_spend": "1234567.89",
        "forecast": "2345678.90 (2100000.00–2500000.00)",
        "status": "exceeded",
        "note": "a long free text that may wrap between its words without harm",
    },
    {
        "budget": "web",
        "month": "2026-10",
        "mtd_spend": "47.34",
        "forecast": "1322.04 (1307.28–1436.37)",
        "status": "ok",
        "note": "short",
    },
]
UNBREAKABLE = ["1234567.89", "2345678.90", "(2100000.00–2500000.00)", "2026-10", "exceeded"]


def _rendered(width: int) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None)
    render(ROWS, OutputFormat.TABLE, title="KPIs", console=console)
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_no_line_is_wider_than_the_terminal_and_no_figure_is_split(width: int) -> None:
    lines = _rendered(width)
    assert max(len(line) for line in lines) <= width
    words = {word for line in lines for word in re.split(r"[\s│┃]+", line)}
    for figure in UNBREAKABLE:
        assert figure in words, (figure, lines)


def test_a_table_that_fits_is_drawn_whole_not_cut_at_the_edge() -> None:
    # `brctl finance budget list` at 80 columns: a two-word header over one-word values.
    row = {
        "name": "total",
        "amount": "10000",
        "currency": "USD",
        "scope": "all spend",
        "thresholds": "50:actual, 80:actual, 100:actual, 100:forecast",
        "source": "finance.yaml",
        "updated_by": "n/a",
    }
    buffer = io.StringIO()
    render([row], OutputFormat.TABLE, console=Console(file=buffer, width=80, color_system=None))
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("┏") and lines[0].endswith("┓")
    assert all(line[-1] in "┓┃┩│┘" for line in lines), lines
    assert max(len(line) for line in lines) <= 80


def test_a_wide_terminal_shows_one_row_per_line() -> None:
    lines = _rendered(200)
    assert sum("platform-engineering" in line for line in lines) == 1
    assert any(line.startswith("│ web ") for line in lines)


def test_a_narrow_terminal_stacks_each_row_as_fields() -> None:
    lines = _rendered(60)
    assert "mtd spend 1234567.89" in [line.strip() for line in lines]
    assert "status    ok" in [line.strip() for line in lines]


def test_slack_shortcodes_print_as_text_like_in_json_and_csv(
    capsys: pytest.CaptureFixture[str],
) -> None:
    render([{"status": ":red_circle: exceeded"}], OutputFormat.TABLE)
    assert ":red_circle: exceeded" in capsys.readouterr().out
