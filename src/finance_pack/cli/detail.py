"""How a `show` command prints one record: `customer show`, `invoice show`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brctl.output import render
from finance_pack.cli.common import OutputFormat


def render_detail(record: Mapping[str, Any], fmt: OutputFormat, *, title: str) -> None:
    """JSON and CSV print the record as a one-row list, as `list` prints rows, so a script
    reads both alike; a table lists its fields with a value, one per line."""
    if fmt is not OutputFormat.TABLE:
        render([record], fmt)
        return
    fields = [{"field": k, "value": v} for k, v in record.items() if v is not None]
    render(fields, fmt, title=title)
