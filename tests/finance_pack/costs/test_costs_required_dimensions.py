"""Rows without the dimensions every cost is grouped by are bad rows, never loaded."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from cost_files import MAY, generate_rows

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.store import CostStore
from finance_pack.errors import ValidationError

WriteCsv = Callable[..., Path]


def _blank(path: Path, line: int, column: str, value: str) -> None:
    with path.open(newline="") as handle:
        records = list(csv.reader(handle))
    records[line - 1][records[0].index(column)] = value
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(records)


@pytest.mark.parametrize("column", ["ProviderName", "BillingAccountId", "ServiceName"])
@pytest.mark.parametrize("empty", ["", "NULL"])
def test_an_empty_required_dimension_is_a_bad_row_with_its_line_and_nothing_loads(
    store: CostStore, focus_csv: WriteCsv, column: str, empty: str
) -> None:
    path = focus_csv(generate_rows(11, 6, MAY))
    _blank(path, 4, column, empty)

    with pytest.raises(ValidationError) as caught:
        ingest_files(store, [str(path)], FileKind.FOCUS, source="aws-payer")

    assert f"{path}:4: column {column}: empty" in str(caught.value)
    assert store.duckdb.execute("SELECT count(*) FROM cost_line_items").fetchone() == (0,)
