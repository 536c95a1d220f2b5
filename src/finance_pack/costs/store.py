"""The cost store: an Ibis backend opened by URL, with the cost tables created on first use.

DuckDB (the default, a file under `state/`) is also the ingest engine: its CSV and Parquet
readers load files straight into the tables. Other Ibis backends (Spark, Trino, ...) serve the
same queries over tables laid out the same way.

`cost_meta` records how the rollup is cut (its tag keys and time zone): opening the store for
another billing time zone rebuilds the rollup once, in one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis

from finance_pack.costs import schema
from finance_pack.costs.rollup import UTC_ZONE, RollupLayout, rebuild_rollup
from finance_pack.domain.billing_month import billing_zone
from finance_pack.errors import RetryLaterError, UsageError
from finance_pack.secrets import redact_url as redact

ROLLUP_TAG_KEYS = "rollup_tag_keys"
ROLLUP_TIMEZONE = "rollup_timezone"
DEFAULT_MEMORY_LIMIT = "1GB"
RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)


class CostStore:
    """Owns one Ibis connection to the cost tables."""

    def __init__(self, backend: Any, *, create_tables: bool = True) -> None:
        """`create_tables=False` for a read-only snapshot, which is complete by construction."""
        self.backend = backend
        if create_tables:
            self._ensure_tables()

    @classmethod
    def open(
        cls,
        url: str,
        *,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
        timezone: str = UTC_ZONE,
    ) -> CostStore:
        """`duckdb:///path/costs.duckdb`, `duckdb://` (in memory) or any Ibis URL.

        `timezone` is the billing time zone: the rollup's days are its local dates.
        """
        try:
            billing_zone(timezone)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if url.startswith("duckdb:///"):
            Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            backend = ibis.connect(url)
        except Exception as exc:  # the backends raise their own types; all mean "unreachable"
            # The detail names paths and processes: logged here, never shown to API callers.
            detail = str(exc).replace(url, redact(url))
            log.warning("cannot open the cost store %s: %s", redact(url), detail)
            raise RetryLaterError(
                "the cost store cannot be opened", retry_after=RETRY_AFTER_SECONDS
            ) from exc
        store = cls(backend)
        if store.is_duckdb and memory_limit:
            # Keeps big ingests under the memory target; DuckDB spills to its temp directory.
            store.duckdb.execute(f"SET memory_limit = '{memory_limit}'")
        store.set_rollup_timezone(timezone)
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
            self._rebuild(self.rollup_layout())

    def table(self, name: str) -> Any:
        return self.backend.table(name)

    def rollup_tag_keys(self) -> tuple[str, ...] | None:
        """Tag keys kept in the daily rollup; None means every key (the default)."""
        return self.rollup_layout().tag_keys

    def rollup_layout(self) -> RollupLayout:
        return read_rollup_layout(self.backend)

    def set_rollup_tag_keys(self, keys: Sequence[str] | None) -> None:
        """Choose which tag keys the rollup keeps (the ones budgets filter on) and rebuild it."""
        kept = None if keys is None else tuple(sorted(set(keys)))
        self._rebuild(RollupLayout(kept, self.rollup_layout().timezone))

    def set_rollup_timezone(self, timezone: str) -> None:
        """Cut the rollup's days in `timezone` (an IANA key), rebuilding it if it changes."""
        current = self.rollup_layout()
        if current.timezone == timezone:
            return
        if not self.is_duckdb:
            raise UsageError(
                f"this cost store's daily rollup is in {current.timezone}, "
                f"not the billing time zone {timezone}",
                hint="open the DuckDB store with the billing time zone (any brctl finance "
                "command does), then copy the tables to this backend again",
            )
        self._rebuild(RollupLayout(current.tag_keys, timezone))

    def _rebuild(self, layout: RollupLayout) -> None:
        """Record `layout` in `cost_meta` and rebuild the rollup to it, in one transaction."""
        con = self.duckdb
        con.begin()
        try:
            con.execute(
                f"DELETE FROM {schema.META} WHERE key IN (?, ?)",
                [ROLLUP_TAG_KEYS, ROLLUP_TIMEZONE],
            )
            if layout.tag_keys is not None:
                con.execute(
                    f"INSERT INTO {schema.META} VALUES (?, ?)",
                    [ROLLUP_TAG_KEYS, json.dumps(list(layout.tag_keys))],
                )
            if layout.timezone != UTC_ZONE:
                con.execute(
                    f"INSERT INTO {schema.META} VALUES (?, ?)", [ROLLUP_TIMEZONE, layout.timezone]
                )
            rebuild_rollup(con, layout)
            con.commit()
        except BaseException:
            con.rollback()
            raise

    def close(self) -> None:
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None:
            disconnect()


def read_rollup_layout(backend: Any) -> RollupLayout:
    """The rollup layout recorded in `cost_meta` (one small read, any backend)."""
    meta = backend.table(schema.META)
    wanted = meta.filter(meta.key.isin([ROLLUP_TAG_KEYS, ROLLUP_TIMEZONE]))
    values = {row["key"]: row["value"] for row in wanted.to_pyarrow().to_pylist()}
    keys = values.get(ROLLUP_TAG_KEYS)
    return RollupLayout(
        None if keys is None else tuple(json.loads(keys)),
        values.get(ROLLUP_TIMEZONE, UTC_ZONE),
    )
