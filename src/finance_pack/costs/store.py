"""The cost store: an Ibis backend opened by URL, with the cost tables created on first use.

DuckDB (the default, a file under `state/`) is also the ingest engine: its CSV and Parquet
readers load files straight into the tables. Other Ibis backends (Spark, Trino, ...) serve the
same queries over tables laid out the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis

from finance_pack.costs import schema
from finance_pack.errors import UnavailableError, UsageError

ROLLUP_TAG_KEYS = "rollup_tag_keys"
DEFAULT_MEMORY_LIMIT = "1GB"


class CostStore:
    """Owns one Ibis connection to the cost tables."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._ensure_tables()

    @classmethod
    def open(cls, url: str, *, memory_limit: str | None = DEFAULT_MEMORY_LIMIT) -> CostStore:
        """`duckdb:///path/costs.duckdb`, `duckdb://` (in memory) or any Ibis URL."""
        if url.startswith("duckdb:///"):
            Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            backend = ibis.connect(url)
        except Exception as exc:  # the backends raise their own types; all mean "unreachable"
            raise UnavailableError(f"cannot open cost store {url!r}: {exc}") from exc
        store = cls(backend)
        if store.is_duckdb and memory_limit:
            # Keeps big ingests under the memory target; DuckDB spills to its temp directory.
            store.duckdb.execute(f"SET memory_limit = '{memory_limit}'")
        return store

    @property
    def is_duckdb(self) -> bool:
        return bool(self.backend.name == "duckdb")

    @property
    def duckdb(self) -> Any:
        """The raw DuckDB connection that ingestion runs on."""
        if not self.is_duckdb:
            raise UsageError(
                f"ingestion writes through DuckDB, but this cost store is {self.backend.name}",
                hint="ingest into a DuckDB store, then copy the tables to the larger backend",
            )
        return self.backend.con

    def _ensure_tables(self) -> None:
        if self.is_duckdb:
            self.backend.con.execute("SET TimeZone = 'UTC'")
            for name in schema.ALL_TABLES:
                self.backend.con.execute(schema.duckdb_ddl(name))
            self._number_dimensions_of_older_rollup()
            return
        existing = set(self.backend.list_tables())
        for name, table_schema in schema.ALL_TABLES.items():
            if name not in existing:
                self.backend.create_table(name, schema=table_schema)

    def _number_dimensions_of_older_rollup(self) -> None:
        """Stores written before `cost_dims` existed: add `dims_id` and rebuild the rollup."""
        con = self.backend.con
        con.execute(f"ALTER TABLE {schema.DAILY} ADD COLUMN IF NOT EXISTS dims_id BIGINT")
        row = con.execute(f"SELECT count(*) FROM {schema.DAILY} WHERE dims_id IS NULL").fetchone()
        if row and row[0]:
            self.set_rollup_tag_keys(self.rollup_tag_keys())

    def table(self, name: str) -> Any:
        return self.backend.table(name)

    def rollup_tag_keys(self) -> tuple[str, ...] | None:
        """Tag keys kept in the daily rollup; None means every key (the default)."""
        return read_rollup_tag_keys(self.backend)

    def set_rollup_tag_keys(self, keys: Sequence[str] | None) -> None:
        """Choose which tag keys the rollup keeps (the ones budgets filter on) and rebuild it."""
        from finance_pack.costs.rollup import rebuild_rollup

        con = self.duckdb
        con.begin()
        try:
            con.execute(f"DELETE FROM {schema.META} WHERE key = ?", [ROLLUP_TAG_KEYS])
            if keys is not None:
                con.execute(
                    f"INSERT INTO {schema.META} VALUES (?, ?)",
                    [ROLLUP_TAG_KEYS, json.dumps(sorted(set(keys)))],
                )
            rebuild_rollup(con, None if keys is None else tuple(sorted(set(keys))))
            con.commit()
        except BaseException:
            con.rollback()
            raise

    def close(self) -> None:
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None:
            disconnect()


def read_rollup_tag_keys(backend: Any) -> tuple[str, ...] | None:
    meta = backend.table(schema.META)
    rows = meta.filter(meta.key == ROLLUP_TAG_KEYS).to_pyarrow().to_pylist()
    if not rows:
        return None
    return tuple(json.loads(rows[0]["value"]))
