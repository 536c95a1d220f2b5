"""The cost store on Ibis: ingestion of FOCUS and CUR files, the daily rollup, KPI queries."""

from finance_pack.costs.ingest import FileKind, IngestReport, ingest_files
from finance_pack.costs.queries import CostQueries, DimensionSpend
from finance_pack.costs.store import CostStore

__all__ = ["CostQueries", "CostStore", "DimensionSpend", "FileKind", "IngestReport", "ingest_files"]
