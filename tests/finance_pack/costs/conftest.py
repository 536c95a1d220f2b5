"""Fixtures for the cost store tests; the file writers live in `cost_files`."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def spark_backend() -> Iterator[Any]:
    import ibis
    from pyspark.sql import SparkSession

    with tempfile.TemporaryDirectory() as warehouse:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("finance-pack-tests")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.warehouse.dir", str(Path(warehouse) / "warehouse"))
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate()
        )
        yield ibis.pyspark.connect(session)
        session.stop()
