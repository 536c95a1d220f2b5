"""One way to print results: a Rich table for people, JSON or CSV for scripts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def render(
    rows: Sequence[Mapping[str, Any]],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    console: Console | None = None,
    empty: str | None = None,
) -> None:
    """Print `rows`; `columns` picks and orders the table and CSV columns (JSON keeps all).

    `empty` is what a person reads instead of a table without rows (say what to do next);
    JSON stays `[]` and CSV its header line, so scripts see the same shape either way.
    """
    console = console or Console(emoji=False)  # print text as it is: `:red_circle:` stays
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is OutputFormat.JSON:
        print(to_json(list(rows)))
        return
    if fmt is OutputFormat.CSV:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else _cell(row.get(k)) for k in cols})
        print(buffer.getvalue(), end="")
        return
    if not rows and empty is not None:
        console.print(empty, soft_wrap=True, markup=False, highlight=False)
        return
    headers = [col.replace("_", " ") for col in cols]
    cells = [[_cell(row.get(col)) for col in cols] for row in rows]
    table = _fitting_table(headers, cells, title, console.width)
    console.print(table if table is not None else _stacked(headers, cells, title))


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


# A table's frame: "│ " before the first column, " │ " between columns, " │" after the last.
def _frame_width(column_count: int) -> int:
    return 3 * column_count + 1


def _fitting_table(
    headers: Sequence[str], cells: Sequence[Sequence[str]], title: str | None, width: int
) -> Table | None:
    """A table whose columns are never narrower than their longest word, so a number, date or
    status is never broken across lines; None when that cannot fit in `width`."""
    columns = [[header, *(row[i] for row in cells)] for i, header in enumerate(headers)]
    widths = _column_widths(columns, width - _frame_width(len(headers)))
    if widths is None:
        return None
    table = Table(title=title, show_lines=False)
    for header, texts, column_width in zip(headers, columns, widths, strict=True):
        # The widths are decided here, not by Rich: its own shrinking can leave a table a
        # character too wide for the terminal, which then cuts the last column off.
        table.add_column(
            header, width=column_width, no_wrap=all(len(t.split()) <= 1 for t in texts)
        )
    for row in cells:
        table.add_row(*row)
    return table


def _column_widths(columns: Sequence[Sequence[str]], space: int) -> list[int] | None:
    """Each column's width: at least its longest word; the space left goes first to the columns
    that then fit unwrapped (the smallest wants first), the rest to the widest. None: no fit."""
    widths = [max(_longest_word(text) for text in texts) for texts in columns]
    natural = [max(cell_len(text) for text in texts) for texts in columns]
    spare = space - sum(widths)
    if spare < 0:
        return None
    for i in sorted(range(len(widths)), key=lambda i: natural[i] - widths[i]):
        grant = min(natural[i] - widths[i], spare)
        widths[i] += grant
        spare -= grant
    return widths


def _stacked(headers: Sequence[str], cells: Sequence[Sequence[str]], title: str | None) -> Group:
    """Too narrow for a table: one block per row, a field per line (`name  value`)."""
    blocks: list[RenderableType] = [Text(title, style="bold")] if title else []
    for row in cells:
        block = Table(box=None, show_header=False, padding=(0, 1, 0, 0))
        block.add_column(style="dim", no_wrap=True)
        block.add_column(overflow="fold")
        for header, value in zip(headers, row, strict=True):
            block.add_row(header, value)
        blocks += [Text(""), block]
    return Group(*blocks)
