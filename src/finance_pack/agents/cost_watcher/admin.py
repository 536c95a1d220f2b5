"""Acknowledge incidents and silence scopes (Policy Steward, `alerts:write`; audited).

A silence covers every series whose dimensions include the scope's: an incident that opens
inside it is recorded (with the silence's id) and never posted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from finance_pack.access.actors import Actor
from finance_pack.access.audit import record_audit
from finance_pack.domain.anomaly.points import CORE_DIMENSIONS, series_key
from finance_pack.errors import NotFoundError, UsageError
from finance_pack.store import alerts as store
from finance_pack.store.alerts import Silence, StoredIncident

# The fields of `incident_row`, in order: a CSV of no incidents still has its header.
INCIDENT_COLUMNS = (
    "id",
    "scope",
    "state",
    "severity",
    "impact",
    "currency",
    "first_seen",
    "resolved_at",
    "silenced",
    "acked_by",
    "top_contributor",
)


def incident_row(stored: StoredIncident) -> dict[str, Any]:
    incident = stored.incident
    return {
        "id": stored.id,
        "scope": incident.group,
        "state": incident.state,
        "severity": incident.severity.value,
        "impact": str(incident.impact),
        "currency": incident.currency,
        "first_seen": incident.first_seen.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "silenced": stored.silence_id is not None,
        "acked_by": stored.acked_by,
        "top_contributor": incident.top_contributors(1)[0].series
        if incident.contributors
        else None,
    }


def acknowledge_incident(
    engine: Engine, incident_id: int, actor: Actor, now: datetime
) -> dict[str, Any]:
    with engine.begin() as connection:
        stored = store.get_incident(connection, incident_id)
        if stored is None:
            raise NotFoundError(f"no incident {incident_id}", hint="brctl finance alerts list")
        store.acknowledge(connection, incident_id, actor.subject, now)
        after = {"acked_by": actor.subject, "acked_at": now.isoformat()}
        before = {"acked_by": stored.acked_by}
        record_audit(
            connection,
            actor,
            "alerts.ack",
            f"incident:{incident_id}",
            before,
            after,
            via=actor.via,
            at=now,
        )
    return {"id": incident_id, **after}


def parse_scope(pairs: Mapping[str, str], extra_dimensions: tuple[str, ...] = ()) -> str:
    allowed = set(CORE_DIMENSIONS) | set(extra_dimensions) | {"currency"}
    if not pairs:
        raise UsageError(
            "a silence needs a scope", hint="e.g. --scope provider=aws --scope account=123"
        )
    unknown = sorted(set(pairs) - allowed)
    if unknown:
        raise UsageError(
            f"unknown scope dimension {unknown[0]!r}; known: {', '.join(sorted(allowed))}"
        )
    return series_key(pairs)


def silence_scope(
    engine: Engine, scope: str, until: datetime, reason: str, actor: Actor, now: datetime
) -> Silence:
    if until <= now:
        raise UsageError(f"--until {until.isoformat()} is not in the future")
    with engine.begin() as connection:
        silence = store.add_silence(connection, scope, until, reason, actor.subject, now)
        record_audit(
            connection,
            actor,
            "alerts.silence",
            f"scope:{scope}",
            None,
            silence.as_dict(),
            via=actor.via,
            at=now,
        )
    return silence


def list_silences(engine: Engine, now: datetime) -> list[Silence]:
    with engine.connect() as connection:
        return store.active_silences(connection, now)
