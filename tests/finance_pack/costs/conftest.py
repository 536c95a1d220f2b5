"""Fixtures for the cost store tests; the file writers live in `cost_files`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from cost_files import Row, write_focus_csv

from finance_pack.costs.store import CostStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CostStore]:
    opened = CostStore.open(f"duckdb:///{tmp_path / 'state' / 'costs.duckdb'}")
    yield opened
    opened.close()


@pytest.fixture
def focus_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: Sequence[Row], name: str = "focus.csv", **kwargs: object) -> Path:
        return write_focus_csv(tmp_path / name, rows, **kwargs)  # type: ignore[arg-type]

    return write
