"""FOCUS and CUR files as they land in a folder (`watcher.inbox_dir`): each new or changed
file's spend is streamed to the watcher once. A file is known by name, size and modification
time, kept in the state store, so a restart does not read it again; a provider that rewrites
a month's file in place is read again, and its unchanged points are ignored as repeats."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.costs.file_spend import file_spend
from finance_pack.domain.anomaly.points import PointError, StreamPoint
from finance_pack.errors import ValidationError
from finance_pack.store.agent_state import get_value, put_value

log = logging.getLogger(__name__)
AGENT = "cost-watcher"
PATTERNS = ("*.csv", "*.csv.gz", "*.parquet")


@dataclass
class Inbox:
    folder: Path
    watcher: CostWatcher
    metric: str = "BilledCost"

    def scan(self, now: datetime) -> int:
        """Read every new or changed file; returns how many points were accepted."""
        accepted = 0
        files = sorted({p for pattern in PATTERNS for p in self.folder.glob(pattern)})
        engine = self.watcher.engine
        for path in files:
            stat = path.stat()
            stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
            key = f"inbox:{path.name}"[:64]
            if get_value(engine, AGENT, key) == stamp:
                continue
            accepted += self._read(path, now)
            put_value(engine, AGENT, key, stamp, now)
        return accepted

    def _read(self, path: Path, now: datetime) -> int:
        try:
            points = [
                StreamPoint(s.dimensions, s.start, s.end, s.cost, s.currency)
                for s in file_spend(path, self.metric)
                if s.end > s.start
            ]
            return self.watcher.ingest(points, now, source="file").accepted
        except (ValidationError, PointError) as exc:
            # A bad file is reported once and skipped until it changes: never a tight loop.
            log.error("cost file not read: %s", exc)
            return 0
