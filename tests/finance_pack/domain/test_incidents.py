"""Incident lifecycle: opened, grouped, updated only on news, resolved; severity from impact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from finance_pack.domain.incidents import (
    Change,
    Contributor,
    Finding,
    Incident,
    Severity,
    severity_of,
    step,
)

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)
GROUP = "provider=aws|account=1|currency=USD"


def finding(
    series: str, actual: str, anomalous: bool, hour: int = 0, expected: str = "40"
) -> Finding:
    start = T0 + timedelta(hours=hour)
    return Finding(
        series=f"provider=aws|account=1|service={series}",
        group=GROUP,
        start=start,
        end=start + timedelta(hours=1),
        actual=Decimal(actual),
        expected=Decimal(expected),
        lower=Decimal("20"),
        upper=Decimal("65"),
        currency="USD",
        anomalous=anomalous,
        score=0.9 if anomalous else 0.1,
        ingested_at=start + timedelta(minutes=61),
    )


def test_severity_follows_money_and_percent() -> None:
    assert severity_of(Decimal("50"), Decimal("60")) is Severity.WARNING
    assert severity_of(Decimal("150"), Decimal("60")) is Severity.HIGH
    assert severity_of(Decimal("50"), Decimal("120")) is Severity.HIGH
    assert severity_of(Decimal("1000"), None) is Severity.CRITICAL
    assert severity_of(Decimal("10"), Decimal("300")) is Severity.CRITICAL


def test_lifecycle_open_group_update_resolve() -> None:
    incident, change = step(None, finding("EC2", "100", True))
    assert change is Change.OPENED and incident is not None
    assert incident.impact == Decimal("60.00") and incident.severity is Severity.HIGH
    assert incident.trigger_ingested_at == T0 + timedelta(minutes=61)
    incident, change = step(incident, finding("EC2", "95", True, hour=1))
    assert change is Change.NONE  # same contributor, no higher severity: not news
    incident, change = step(incident, finding("S3", "900", True, hour=1))
    assert change is Change.UPDATED and incident is not None
    assert [c.series.rsplit("=", 1)[1] for c in incident.top_contributors()] == ["S3", "EC2"]
    assert incident.severity is Severity.CRITICAL
    incident, change = step(incident, finding("EC2", "41", False, hour=2))
    assert change is Change.NONE and incident is not None and incident.state == "open"
    incident, change = step(incident, finding("S3", "40", False, hour=2))
    assert change is Change.RESOLVED and incident is not None
    assert incident.resolved_at == T0 + timedelta(hours=2)
    assert incident.impact == Decimal("920.00")  # the peak of each contributor


def test_a_normal_point_of_an_unrelated_series_changes_nothing() -> None:
    incident, _ = step(None, finding("EC2", "100", True))
    after, change = step(incident, finding("Lambda", "40", False))
    assert change is Change.NONE and after == incident


def test_after_resolution_a_new_anomaly_opens_a_new_incident() -> None:
    incident, _ = step(None, finding("EC2", "100", True))
    incident, _ = step(incident, finding("EC2", "40", False, hour=1))
    again, change = step(incident, finding("EC2", "300", True, hour=5))
    assert (
        change is Change.OPENED
        and again is not None
        and again.first_seen == T0 + timedelta(hours=5)
    )


def test_json_round_trip() -> None:
    incident, _ = step(None, finding("EC2", "100", True))
    assert incident is not None
    assert Incident.from_json(incident.to_json()) == incident


def _two_contributor_incident() -> Incident:
    incident, _ = step(None, finding("EC2", "100", True))
    incident, _ = step(incident, finding("S3", "52.345", True, hour=1, expected="40.004"))
    assert incident is not None
    return incident


def test_json_spells_every_field_as_text() -> None:
    incident = _two_contributor_incident()
    assert incident.to_json() == {
        "group": GROUP,
        "currency": "USD",
        "state": "open",
        "severity": "high",
        "first_seen": "2026-11-02T10:00:00+00:00",
        "last_seen": "2026-11-02T11:00:00+00:00",
        "trigger_ingested_at": "2026-11-02T11:01:00+00:00",
        "resolved_at": None,
        "actual": "152.34",  # 152.345 to the cent, half to even
        "expected": "80.00",
        "impact": "72.34",
        "impact_percent": "90.4",
        "contributors": [
            {
                "series": "provider=aws|account=1|service=EC2",
                "actual": "100",
                "expected": "40.00",
                "upper": "65.00",
                "impact": "60.00",
                "start": "2026-11-02T10:00:00+00:00",
                "active": True,
            },
            {
                "series": "provider=aws|account=1|service=S3",
                "actual": "52.345",
                "expected": "40.00",
                "upper": "65.00",
                "impact": "12.34",
                "start": "2026-11-02T11:00:00+00:00",
                "active": True,
            },
        ],
    }


def test_a_resolved_incident_round_trips_with_its_resolution_time() -> None:
    incident = _two_contributor_incident()
    incident, _ = step(incident, finding("EC2", "40", False, hour=2))
    incident, change = step(incident, finding("S3", "40", False, hour=2))
    assert change is Change.RESOLVED and incident is not None
    data = incident.to_json()
    assert (data["state"], data["resolved_at"]) == ("resolved", "2026-11-02T12:00:00+00:00")
    assert [c["active"] for c in data["contributors"]] == [False, False]
    assert Incident.from_json(data) == incident


def test_from_json_reads_every_field() -> None:
    data = {
        "group": "provider=gcp|account=7",
        "currency": "EUR",
        "state": "resolved",
        "severity": "critical",
        "first_seen": "2026-11-02T10:00:00+00:00",
        "last_seen": "2026-11-02T12:00:00+00:00",
        "trigger_ingested_at": "2026-11-02T10:05:00+00:00",
        "resolved_at": "2026-11-02T13:00:00+00:00",
        "contributors": [
            {
                "series": "provider=gcp|account=7|service=BigQuery",
                "actual": "2000.5",
                "expected": "10",
                "upper": "20",
                "start": "2026-11-02T10:00:00+00:00",
                "active": 0,
            }
        ],
    }
    incident = Incident.from_json(data)
    assert incident == Incident(
        group="provider=gcp|account=7",
        currency="EUR",
        state="resolved",
        severity=Severity.CRITICAL,
        first_seen=datetime(2026, 11, 2, 10, tzinfo=UTC),
        last_seen=datetime(2026, 11, 2, 12, tzinfo=UTC),
        trigger_ingested_at=datetime(2026, 11, 2, 10, 5, tzinfo=UTC),
        resolved_at=datetime(2026, 11, 2, 13, tzinfo=UTC),
        contributors=(
            Contributor(
                "provider=gcp|account=7|service=BigQuery",
                Decimal("2000.5"),
                Decimal(10),
                Decimal(20),
                datetime(2026, 11, 2, 10, tzinfo=UTC),
                active=False,
            ),
        ),
    )
    assert incident.contributors[0].active is False
    assert Incident.from_json({**data, "resolved_at": None}).resolved_at is None
    without = {k: v for k, v in data.items() if k != "resolved_at"}
    assert Incident.from_json(without).resolved_at is None


def test_top_contributors_are_largest_impact_first_then_by_name_and_capped() -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    contributors = tuple(
        Contributor(f"s{n}", Decimal(actual), Decimal(0), Decimal(1), start, True)
        for n, actual in enumerate(["5", "9", "5", "1", "7", "3", "8"])
    )
    incident = Incident("g", "USD", "open", Severity.HIGH, start, start, start, contributors)
    assert [c.series for c in incident.top_contributors()] == ["s1", "s6", "s4", "s0", "s2"]
    assert [c.series for c in incident.top_contributors(2)] == ["s1", "s6"]


def test_impact_percent_is_none_without_a_positive_expectation() -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    zero = Contributor("s", Decimal(5), Decimal(0), Decimal(1), start, True)
    incident = Incident("g", "USD", "open", Severity.HIGH, start, start, start, (zero,))
    assert incident.impact_percent is None
    assert incident.to_json()["impact_percent"] is None


def test_an_equal_peak_later_takes_the_latest_figures() -> None:
    incident, _ = step(None, finding("EC2", "100", True))
    incident, _ = step(incident, finding("EC2", "110", True, hour=1, expected="50"))
    assert incident is not None
    [contributor] = incident.contributors
    assert (contributor.start, contributor.expected, contributor.impact) == (
        T0 + timedelta(hours=1),
        Decimal("50.00"),
        Decimal("60.00"),
    )


def test_severity_thresholds_are_inclusive() -> None:
    assert severity_of(Decimal("100"), None) is Severity.HIGH
    assert severity_of(Decimal("99.99"), None) is Severity.WARNING
    assert severity_of(Decimal("10"), Decimal("100")) is Severity.HIGH
    assert severity_of(Decimal("10"), Decimal("99.9")) is Severity.WARNING
    assert severity_of(Decimal("999.99"), Decimal("299.9")) is Severity.HIGH
