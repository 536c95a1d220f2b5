"""Incidents: what the watcher tells people, built from the detector's findings (pure).

An incident is one cause seen in one group of series (a provider account, in one currency):
it opens with the first anomalous point, gathers every series of the group that goes out of
range while it lasts (its contributors, largest impact first), and resolves once every
contributor is back in its expected range. A change worth telling someone is `OPENED`,
`UPDATED` (a new contributor or a higher severity; smaller moves are not news) or `RESOLVED`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

CENT = Decimal("0.01")


class Severity(StrEnum):
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Change(StrEnum):
    NONE = "none"
    OPENED = "opened"
    UPDATED = "updated"
    RESOLVED = "resolved"


def severity_of(impact: Decimal, percent: Decimal | None) -> Severity:
    """From the money at stake per interval, and how far above normal it is."""
    if impact >= 1000 or (percent is not None and percent >= 300):
        return Severity.CRITICAL
    if impact >= 100 or (percent is not None and percent >= 100):
        return Severity.HIGH
    return Severity.WARNING


@dataclass(frozen=True, slots=True)
class Finding:
    """The detector's verdict on one point of one series, with money as exact decimals."""

    series: str
    group: str
    start: datetime
    end: datetime
    actual: Decimal
    expected: Decimal
    lower: Decimal
    upper: Decimal
    currency: str
    anomalous: bool
    score: float
    ingested_at: datetime


@dataclass(frozen=True, slots=True)
class Contributor:
    series: str
    actual: Decimal
    expected: Decimal
    upper: Decimal
    start: datetime
    active: bool

    @property
    def impact(self) -> Decimal:
        return (self.actual - self.expected).quantize(CENT)


@dataclass(frozen=True, slots=True)
class Incident:
    group: str
    currency: str
    state: str  # open | resolved
    severity: Severity
    first_seen: datetime
    last_seen: datetime
    trigger_ingested_at: datetime
    contributors: tuple[Contributor, ...]
    resolved_at: datetime | None = None

    @property
    def impact(self) -> Decimal:
        return sum((c.impact for c in self.contributors), Decimal(0)).quantize(CENT)

    @property
    def expected(self) -> Decimal:
        return sum((c.expected for c in self.contributors), Decimal(0)).quantize(CENT)

    @property
    def actual(self) -> Decimal:
        return sum((c.actual for c in self.contributors), Decimal(0)).quantize(CENT)

    @property
    def impact_percent(self) -> Decimal | None:
        if self.expected <= 0:
            return None
        return (self.impact / self.expected * 100).quantize(Decimal("0.1"))

    def top_contributors(self, count: int = 5) -> list[Contributor]:
        return sorted(self.contributors, key=lambda c: (-c.impact, c.series))[:count]

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "currency": self.currency,
            "state": self.state,
            "severity": self.severity.value,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "trigger_ingested_at": self.trigger_ingested_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "actual": str(self.actual),
            "expected": str(self.expected),
            "impact": str(self.impact),
            "impact_percent": None if self.impact_percent is None else str(self.impact_percent),
            "contributors": [
                {
                    "series": c.series,
                    "actual": str(c.actual),
                    "expected": str(c.expected),
                    "upper": str(c.upper),
                    "impact": str(c.impact),
                    "start": c.start.isoformat(),
                    "active": c.active,
                }
                for c in self.contributors
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incident:
        resolved = data.get("resolved_at")
        return cls(
            group=data["group"],
            currency=data["currency"],
            state=data["state"],
            severity=Severity(data["severity"]),
            first_seen=datetime.fromisoformat(data["first_seen"]),
            last_seen=datetime.fromisoformat(data["last_seen"]),
            trigger_ingested_at=datetime.fromisoformat(data["trigger_ingested_at"]),
            resolved_at=datetime.fromisoformat(resolved) if resolved else None,
            contributors=tuple(
                Contributor(
                    series=c["series"],
                    actual=Decimal(c["actual"]),
                    expected=Decimal(c["expected"]),
                    upper=Decimal(c["upper"]),
                    start=datetime.fromisoformat(c["start"]),
                    active=bool(c["active"]),
                )
                for c in data["contributors"]
            ),
        )


def _contributor(finding: Finding) -> Contributor:
    return Contributor(
        finding.series,
        finding.actual,
        finding.expected.quantize(CENT),
        finding.upper.quantize(CENT),
        finding.start,
        active=finding.anomalous,
    )


def _merge(previous: Contributor | None, finding: Finding) -> Contributor:
    """A contributor keeps its worst point (the incident's impact is its peak), and whether
    it is out of range now."""
    latest = _contributor(finding)
    if previous is None or (finding.anomalous and latest.impact >= previous.impact):
        return latest
    return replace(previous, active=finding.anomalous)


def _open(finding: Finding) -> Incident:
    contributor = _contributor(finding)
    opened = Incident(
        group=finding.group,
        currency=finding.currency,
        state="open",
        severity=Severity.WARNING,
        first_seen=finding.start,
        last_seen=finding.start,
        trigger_ingested_at=finding.ingested_at,
        contributors=(contributor,),
    )
    return replace(opened, severity=severity_of(opened.impact, opened.impact_percent))


def step(incident: Incident | None, finding: Finding) -> tuple[Incident | None, Change]:
    """The group's incident after `finding`, and whether that is news."""
    if incident is None or incident.state != "open":
        if finding.anomalous:
            return _open(finding), Change.OPENED
        return incident, Change.NONE
    known = {c.series: c for c in incident.contributors}
    if finding.series not in known and not finding.anomalous:
        return incident, Change.NONE
    updated = {**known, finding.series: _merge(known.get(finding.series), finding)}
    contributors = tuple(sorted(updated.values(), key=lambda c: c.series))
    changed = replace(
        incident, contributors=contributors, last_seen=max(incident.last_seen, finding.start)
    )
    if not any(c.active for c in contributors):
        return replace(changed, state="resolved", resolved_at=finding.start), Change.RESOLVED
    severity = severity_of(changed.impact, changed.impact_percent)
    if severity.rank > incident.severity.rank:
        return replace(changed, severity=severity), Change.UPDATED
    if finding.series not in known:
        return changed, Change.UPDATED
    return changed, Change.NONE
