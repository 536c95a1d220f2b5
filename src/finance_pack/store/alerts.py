"""The Cost Watcher's durable state: points, series baselines, incidents, deliveries, silences.

Writers take a `Connection` so that one batch (its points, the baselines they moved, the
incidents they opened and the alerts those need) commits in one transaction or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, and_, case, or_, select

from finance_pack.domain.anomaly.points import in_scope
from finance_pack.domain.incidents import Incident
from finance_pack.store.watcher_tables import (
    watcher_deliveries,
    watcher_incidents,
    watcher_points,
    watcher_series,
    watcher_silences,
)

QUEUED_BY = "queue"  # claimed_by of a delivery nobody has tried yet


@dataclass(frozen=True)
class StoredIncident:
    id: int
    incident: Incident
    revision: int
    silence_id: int | None
    acked_by: str | None
    acked_at: datetime | None


# The fields of `Silence.as_dict`, in order: a CSV of no silences still has its header.
SILENCE_COLUMNS = ("id", "scope", "until", "reason", "created_by", "created_at")


@dataclass(frozen=True)
class Silence:
    id: int
    scope: str
    until: datetime
    reason: str
    created_by: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "until": self.until.isoformat(),
            "reason": self.reason,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


# --- points and baselines -------------------------------------------------------------------


def load_series(connection: Connection, keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """series key -> (currency, detector state JSON) for the keys that have a baseline."""
    wanted = list(keys)
    found: dict[str, tuple[str, str]] = {}
    for offset in range(0, len(wanted), 500):
        chunk = wanted[offset : offset + 500]
        rows = connection.execute(
            select(
                watcher_series.c.series_key, watcher_series.c.currency, watcher_series.c.state_json
            ).where(watcher_series.c.series_key.in_(chunk))
        )
        found.update({row.series_key: (row.currency, row.state_json) for row in rows})
    return found


def save_series(
    connection: Connection, rows: Sequence[Mapping[str, Any]], known: set[str], now: datetime
) -> None:
    """Upsert baselines: `known` names the keys that already have a row."""
    inserts = [{**row, "updated_at": now} for row in rows if row["series_key"] not in known]
    updates = [
        {"state_json": row["state_json"], "updated_at": now, "series_key": row["series_key"]}
        for row in rows
        if row["series_key"] in known
    ]
    if inserts:
        connection.execute(watcher_series.insert(), inserts)
    if updates:
        _execute_many(
            connection,
            "UPDATE watcher_series SET state_json = {}, updated_at = {} WHERE series_key = {}",
            watcher_series,
            updates,
        )


def _execute_many(
    connection: Connection, sql: str, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """One executemany straight to the driver: the hot path of every streamed batch.

    SQLAlchemy's Core statement converts each row's parameters one by one (most of a batch's
    CPU time, measured with py-spy in benchmarks/watcher.py). Here each distinct value is
    converted once per batch with the column type's own bind processor, so what is stored is
    exactly what Core would have stored. `sql` has one `{}` per key of the rows, in order.
    """
    names = list(rows[0])
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle in ("qmark", "numeric") else "%s"
    types = [table.c[name].type.dialect_impl(dialect) for name in names]
    processors = [type_.bind_processor(dialect) for type_ in types]
    converted: list[dict[Any, Any]] = [{} for _name in names]
    params = []
    for row in rows:
        values = []
        for position, name in enumerate(names):
            value, process = row[name], processors[position]
            if process is not None and value is not None:
                cache = converted[position]
                value = cache[value] if value in cache else cache.setdefault(value, process(value))
            values.append(value)
        params.append(tuple(values))
    connection.exec_driver_sql(sql.format(*([mark] * len(names))), params)


def stored_costs(
    connection: Connection, keys: Sequence[tuple[str, datetime]]
) -> dict[tuple[str, datetime], str]:
    """The cost already stored for each (series, interval start) that has a row."""
    found: dict[tuple[str, datetime], str] = {}
    for offset in range(0, len(keys), 400):
        chunk = keys[offset : offset + 400]
        rows = connection.execute(
            select(
                watcher_points.c.series_key, watcher_points.c.interval_start, watcher_points.c.cost
            ).where(
                or_(
                    *(
                        and_(
                            watcher_points.c.series_key == key,
                            watcher_points.c.interval_start == start,
                        )
                        for key, start in chunk
                    )
                )
            )
        )
        found.update({(row.series_key, row.interval_start): row.cost for row in rows})
    return found


def insert_points(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows carry every column but `id` and `cost_store_at`, with the same keys."""
    if rows:
        columns = ", ".join(rows[0])
        marks = ", ".join("{}" for _column in rows[0])
        sql = f"INSERT INTO watcher_points ({columns}) VALUES ({marks})"
        _execute_many(connection, sql, watcher_points, rows)


def revise_point(connection: Connection, key: str, start: datetime, cost: str) -> None:
    connection.execute(
        watcher_points.update()
        .where(watcher_points.c.series_key == key, watcher_points.c.interval_start == start)
        .values(cost=cost, status="revised", cost_store_at=None)
    )


def points_for_cost_store(engine: Engine, limit: int = 10_000) -> list[Any]:
    """Points not yet handed to the cost store, oldest first."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(watcher_points)
                .where(watcher_points.c.cost_store_at.is_(None))
                .order_by(watcher_points.c.id)
                .limit(limit)
            )
        )


def mark_in_cost_store(engine: Engine, ids: Sequence[int], now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            watcher_points.update().where(watcher_points.c.id.in_(ids)).values(cost_store_at=now)
        )


# --- incidents --------------------------------------------------------------------------------


def _stored(row: Any) -> StoredIncident:
    detail = json.loads(row.detail_json)
    return StoredIncident(
        id=row.id,
        incident=Incident.from_json(detail["incident"]),
        revision=int(detail["revision"]),
        silence_id=row.silence_id,
        acked_by=row.acked_by,
        acked_at=row.acked_at,
    )


def open_incidents(connection: Connection) -> dict[str, StoredIncident]:
    rows = connection.execute(select(watcher_incidents).where(watcher_incidents.c.state == "open"))
    return {row.group_key: _stored(row) for row in rows}


def list_incidents(engine: Engine, *, state: str | None = None, limit: int = 200) -> list[Any]:
    query = select(watcher_incidents).order_by(watcher_incidents.c.id.desc()).limit(limit)
    if state:
        query = query.where(watcher_incidents.c.state == state)
    with engine.connect() as connection:
        return [_stored(row) for row in connection.execute(query)]


def get_incident(connection: Connection, incident_id: int) -> StoredIncident | None:
    row = connection.execute(
        select(watcher_incidents).where(watcher_incidents.c.id == incident_id)
    ).first()
    return None if row is None else _stored(row)


def _incident_values(incident: Incident, revision: int, now: datetime) -> dict[str, Any]:
    return {
        "group_key": incident.group,
        "state": incident.state,
        "severity": incident.severity.value,
        "first_seen": incident.first_seen,
        "last_seen": incident.last_seen,
        "trigger_ingested_at": incident.trigger_ingested_at,
        "resolved_at": incident.resolved_at,
        "detail_json": json.dumps({"incident": incident.to_json(), "revision": revision}),
        "updated_at": now,
    }


def insert_incident(
    connection: Connection, incident: Incident, silence_id: int | None, now: datetime
) -> int:
    values = {**_incident_values(incident, 0, now), "silence_id": silence_id}
    result = connection.execute(watcher_incidents.insert().values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_incident(
    connection: Connection, incident_id: int, incident: Incident, revision: int, now: datetime
) -> None:
    connection.execute(
        watcher_incidents.update()
        .where(watcher_incidents.c.id == incident_id)
        .values(**_incident_values(incident, revision, now))
    )


def acknowledge(connection: Connection, incident_id: int, subject: str, now: datetime) -> bool:
    result = connection.execute(
        watcher_incidents.update()
        .where(watcher_incidents.c.id == incident_id)
        .values(acked_by=subject, acked_at=now)
    )
    return result.rowcount == 1


# --- deliveries ---------------------------------------------------------------------------


def queue_delivery(
    connection: Connection,
    *,
    incident_id: int,
    sink: str,
    kind: str,
    seq: int,
    payload: Mapping[str, Any],
    trigger_ingested_at: datetime,
    now: datetime,
) -> None:
    """A delivery due now; the dispatcher claims it (store/deliveries.py) and sends it."""
    connection.execute(
        watcher_deliveries.insert().values(
            incident_id=incident_id,
            sink=sink,
            kind=kind,
            seq=seq,
            payload_json=json.dumps(payload),
            trigger_ingested_at=trigger_ingested_at,
            state="retry",
            claimed_by=QUEUED_BY,
            lease_until=now,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def due_deliveries(engine: Engine, now: datetime, limit: int = 200) -> list[Any]:
    """Deliveries to try now, new alerts first, then oldest first: queued or retry due, or a
    lease that ran out. A new incident's alert is what the latency SLO measures; the thread
    replies of older incidents (updates, resolutions) can wait behind it."""
    table = watcher_deliveries
    query = (
        select(table)
        .where(
            or_(
                and_(table.c.state.in_(("retry", "failed")), table.c.next_attempt_at <= now),
                and_(table.c.state == "claimed", table.c.lease_until <= now),
            )
        )
        .order_by(case((table.c.kind == "open", 0), else_=1), table.c.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return list(connection.execute(query))


def opening_posts(engine: Engine, incident_ids: Iterable[int], sink: str) -> dict[int, Any]:
    """The posted opening message of each incident (where the thread lives)."""
    ids = list(set(incident_ids))
    if not ids:
        return {}
    table = watcher_deliveries
    query = select(table).where(
        table.c.incident_id.in_(ids),
        table.c.sink == sink,
        table.c.kind == "open",
        table.c.state == "posted",
    )
    with engine.connect() as connection:
        return {row.incident_id: row for row in connection.execute(query)}


def alert_latencies(engine: Engine, since: datetime) -> list[tuple[str, datetime, datetime | None]]:
    """(label, triggering point's ingestion time, Slack's acknowledgement or None) per alert."""
    table = watcher_deliveries
    query = select(table.c.incident_id, table.c.trigger_ingested_at, table.c.posted_at).where(
        table.c.sink == "slack", table.c.kind == "open", table.c.created_at >= since
    )
    with engine.connect() as connection:
        return [
            (f"incident {row.incident_id}", row.trigger_ingested_at, row.posted_at)
            for row in connection.execute(query)
        ]


# --- silences -----------------------------------------------------------------------------


def add_silence(
    connection: Connection, scope: str, until: datetime, reason: str, subject: str, now: datetime
) -> Silence:
    result = connection.execute(
        watcher_silences.insert().values(
            scope=scope, until=until, reason=reason, created_by=subject, created_at=now
        )
    )
    new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    return Silence(new_id, scope, until, reason, subject, now)


def active_silences(connection: Connection, now: datetime) -> list[Silence]:
    rows = connection.execute(select(watcher_silences).where(watcher_silences.c.until > now))
    return [Silence(r.id, r.scope, r.until, r.reason, r.created_by, r.created_at) for r in rows]


def silence_for(silences: Sequence[Silence], series_keys: Iterable[str]) -> Silence | None:
    keys = list(series_keys)
    for silence in silences:
        if any(in_scope(key, silence.scope) for key in keys):
            return silence
    return None
