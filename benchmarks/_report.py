"""The benchmark convention: a readable table on stdout and, with `--json PATH`, the same figures.

Every script under benchmarks/ calls `emit`; figures are measured in the run, never assumed.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    return "" if value is None else str(value)


def emit(title: str, rows: Sequence[dict[str, Any]], json_path: str | None) -> None:
    """Print `rows` as a table titled `title`; write them (with machine facts) to `json_path`."""
    console = Console()
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    # Wide results read better turned on their side: one line per figure, one column per case.
    sideways = len(columns) > 8 and len(rows) <= 6
    table = Table(title=title)
    if sideways:
        table.add_column("figure")
        for index in range(len(rows)):
            table.add_column(f"case {index + 1}")
        for position, column in enumerate(columns):
            table.add_row(column, *(row_cells[position] for row_cells in cells))
    else:
        for column in columns:
            table.add_column(column)
        for row_cells in cells:
            table.add_row(*row_cells)
    console.print(table)
    if json_path:
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "benchmark": title,
            "machine": machine(),
            "rows": [{k: _plain(v) for k, v in row.items()} for row in rows],
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        console.print(f"figures written to {path}")
