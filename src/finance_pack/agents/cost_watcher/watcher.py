"""The Cost Watcher's intake: points in, baselines moved, incidents and their alerts queued.

`ingest` validates a whole batch first (nothing half-written), then in one transaction writes
the points, the detector states they moved, the incidents they changed and the deliveries
those need. Detector states are cached in memory and loaded from the store on first use, so a
restart keeps every baseline; if the transaction fails, the cache of the touched series is
dropped and reloaded next time (it never runs ahead of what is stored).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Engine

from finance_pack.agents.cost_watcher.settings import WatcherSettings
from finance_pack.domain.anomaly import SeriesDetector, Verdict
from finance_pack.domain.anomaly.points import PointError, StreamPoint
from finance_pack.domain.incidents import Change, Finding, Incident, step
from finance_pack.store import alerts as store
from finance_pack.store.alerts import StoredIncident

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    late: int = 0
    revised: int = 0
    anomalies: int = 0
    incidents_opened: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "late": self.late,
            "revised": self.revised,
            "anomalies": self.anomalies,
            "incidents_opened": self.incidents_opened,
        }


def _money(value: float) -> Decimal:
    return Decimal(repr(round(value, 6)))


@dataclass
class CostWatcher:
    engine: Engine
    settings: WatcherSettings = field(default_factory=WatcherSettings)
    _detectors: dict[str, SeriesDetector] = field(default_factory=dict, init=False)
    _currencies: dict[str, str] = field(default_factory=dict, init=False)
    _incidents: dict[str, StoredIncident] | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    # Set once a batch that queued alerts has committed: the agent's loop waits on it, so an
    # alert leaves at once rather than at the next poll.
    alerts_queued: threading.Event = field(default_factory=threading.Event, init=False)
    _queued: bool = field(default=False, init=False)

    def ingest(
        self, points: Sequence[StreamPoint], now: datetime, source: str = "api"
    ) -> IngestResult:
        """Accept a batch stamped with its ingestion time `now`; raises PointError, writing
        nothing, when a point cannot be accepted."""
        batch = _last_per_interval(points)
        with self._lock:
            touched = {p.series_key for _i, p in batch}
            self._queued = False
            try:
                with self.engine.begin() as connection:
                    self._load(connection, touched)
                    converted = self._in_series_currencies(batch)
                    result = self._ingest(connection, converted, now, source)
            except Exception:
                for key in touched:
                    self._detectors.pop(key, None)
                    self._currencies.pop(key, None)
                self._incidents = None
                raise
            if self._queued:
                self.alerts_queued.set()
            return result

    def _load(self, connection: Connection, keys: set[str]) -> None:
        if self._incidents is None:
            self._incidents = store.open_incidents(connection)
        missing = [key for key in keys if key not in self._currencies]
        for key, (currency, state) in store.load_series(connection, missing).items():
            settings = self.settings.detector_for(key)
            self._detectors[key] = SeriesDetector.from_text(state, settings)
            self._currencies[key] = currency

    def _in_series_currencies(
        self, batch: list[tuple[int, StreamPoint]]
    ) -> list[tuple[int, StreamPoint]]:
        # A series has one currency: a known one's is stored; a new series takes its first
        # point's, and the rest of the batch is held to it like any later batch would be.
        first: dict[str, str] = {}
        converted = []
        for index, point in batch:
            key = point.series_key
            currency = self._currencies.get(key) or first.setdefault(key, point.currency)
            converted.append((index, self._in_currency(index, point, currency)))
        return converted

    def _in_currency(self, index: int, point: StreamPoint, currency: str) -> StreamPoint:
        if currency == point.currency:
            return point
        rate = self.settings.fx_rates.get((point.currency, currency))
        if rate is None:
            raise PointError(
                f"[{index}].currency",
                f"{point.currency} differs from the series' {currency}; add "
                f'fx_rates: {{"{point.currency}/{currency}": <rate>}} to finance.yaml',
            )
        return StreamPoint(point.dimensions, point.start, point.end, point.cost * rate, currency)

    def _ingest(
        self,
        connection: Connection,
        batch: list[tuple[int, StreamPoint]],
        now: datetime,
        source: str,
    ) -> IngestResult:
        result = IngestResult()
        new_keys = {p.series_key for _i, p in batch if p.series_key not in self._currencies}
        late = [
            (p.series_key, p.start)
            for _i, p in batch
            if (d := self._detectors.get(p.series_key))
            and d.last_start is not None
            and p.start.timestamp() <= d.last_start
        ]
        stored = store.stored_costs(connection, late) if late else {}
        rows, findings = [], []
        hot: set[str] = set()  # groups with an anomaly earlier in this batch
        for _index, point in batch:
            key = point.series_key
            if (key, point.start) in stored:
                if Decimal(stored[(key, point.start)]) == point.cost:
                    result.duplicates += 1
                else:
                    store.revise_point(connection, key, point.start, str(point.cost))
                    result.revised += 1
                continue
            verdict = self._observe(point)
            status = "late" if verdict is None else ("warmup" if verdict.warming_up else "scored")
            result.late += verdict is None
            result.accepted += verdict is not None
            rows.append(_point_row(point, status, source, now))
            if verdict is not None and self._matters(point, verdict, hot):
                findings.append(_finding(point, verdict, now))
        store.insert_points(connection, rows)
        self._save_states(connection, {p.series_key for _i, p in batch}, new_keys, now)
        result.anomalies = sum(f.anomalous for f in findings)
        self._apply(connection, findings, now, result)
        return result

    def _observe(self, point: StreamPoint) -> Verdict | None:
        key = point.series_key
        detector = self._detectors.get(key)
        if detector is None:
            settings = self.settings.detector_for(key)
            detector = SeriesDetector(point.interval_seconds, settings)
            self._detectors[key] = detector
            self._currencies[key] = point.currency
        if detector.last_start is not None and point.start.timestamp() <= detector.last_start:
            return None  # late: stored, never judged against a baseline that moved past it
        return detector.observe(point.start, float(point.cost))

    def _matters(self, point: StreamPoint, verdict: Verdict, hot: set[str]) -> bool:
        """Only an anomaly, or a point of a group with an open incident (or one this batch
        may open), can change an incident: `step` leaves a calm point of a calm group alone,
        and building findings for that calm majority was a tenth of a batch's time."""
        assert self._incidents is not None
        group = _group(point)
        if verdict.is_anomaly:
            hot.add(group)
            return True
        return group in hot or group in self._incidents

    def _save_states(
        self, connection: Connection, keys: set[str], new_keys: set[str], now: datetime
    ) -> None:
        rows = [
            {
                "series_key": key,
                "currency": self._currencies[key],
                "dimensions_json": "{}",
                "state_json": self._detectors[key].to_text(),
            }
            for key in sorted(keys)
        ]
        store.save_series(connection, rows, set(keys) - new_keys, now)

    def _apply(
        self, connection: Connection, findings: list[Finding], now: datetime, result: IngestResult
    ) -> None:
        assert self._incidents is not None
        silences = store.active_silences(connection, now) if findings else []
        for finding in findings:
            current = self._incidents.get(finding.group)
            incident, change = step(current.incident if current else None, finding)
            if change is Change.NONE:
                if current is not None and incident is not None and incident != current.incident:
                    store.update_incident(connection, current.id, incident, current.revision, now)
                    self._incidents[finding.group] = _replace(current, incident, current.revision)
                continue
            assert incident is not None
            if change is Change.OPENED:
                silence = store.silence_for(silences, [finding.series, finding.group])
                new_id = store.insert_incident(
                    connection, incident, silence.id if silence else None, now
                )
                stored = StoredIncident(
                    new_id, incident, 0, silence.id if silence else None, None, None
                )
                self._incidents[finding.group] = stored
                result.incidents_opened.append(new_id)
            else:
                assert current is not None
                stored = _replace(current, incident, current.revision + 1)
                store.update_incident(connection, stored.id, incident, stored.revision, now)
                if incident.state == "resolved":
                    del self._incidents[finding.group]
                else:
                    self._incidents[finding.group] = stored
            if stored.silence_id is None:
                self._queue(connection, stored, change, now)

    def _queue(
        self, connection: Connection, stored: StoredIncident, change: Change, now: datetime
    ) -> None:
        kind = {Change.OPENED: "open", Change.UPDATED: "update", Change.RESOLVED: "resolve"}[change]
        sinks = ["slack"] + (["webhook"] if self.settings.webhook_url else [])
        self._queued = True
        for sink in sinks:
            store.queue_delivery(
                connection,
                incident_id=stored.id,
                sink=sink,
                kind=kind,
                seq=stored.revision,
                payload={"incident_id": stored.id, "incident": stored.incident.to_json()},
                trigger_ingested_at=stored.incident.trigger_ingested_at,
                now=now,
            )


def _replace(current: StoredIncident, incident: Incident, revision: int) -> StoredIncident:
    return StoredIncident(
        current.id, incident, revision, current.silence_id, current.acked_by, current.acked_at
    )


def _last_per_interval(points: Sequence[StreamPoint]) -> list[tuple[int, StreamPoint]]:
    """Time order per series; a point repeated within the batch keeps its last value."""
    latest: dict[tuple[str, datetime], tuple[int, StreamPoint]] = {}
    for index, point in enumerate(points):
        latest[(point.series_key, point.start)] = (index, point)
    return sorted(latest.values(), key=lambda item: (item[1].start, item[0]))


def _point_row(point: StreamPoint, status: str, source: str, now: datetime) -> dict[str, object]:
    return {
        "series_key": point.series_key,
        "interval_start": point.start,
        "interval_end": point.end,
        "cost": str(point.cost),
        "currency": point.currency,
        "source": source,
        "status": status,
        "ingested_at": now,
    }


def _group(point: StreamPoint) -> str:
    return f"{point.group_key}|currency={point.currency}"


def _finding(point: StreamPoint, verdict: Verdict, now: datetime) -> Finding:
    return Finding(
        series=point.series_key,
        group=_group(point),
        start=point.start,
        end=point.end,
        actual=point.cost,
        expected=_money(verdict.expected),
        lower=_money(verdict.lower),
        upper=_money(verdict.upper),
        currency=point.currency,
        anomalous=verdict.is_anomaly,
        score=verdict.score,
        ingested_at=now,
    )
