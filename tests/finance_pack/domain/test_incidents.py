"""Incident lifecycle: opened, grouped, updated only on news, resolved; severity from impact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from finance_pack.domain.incidents import Change, Finding, Severity, severity_of, step

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
    from finance_pack.domain.incidents import Incident

    assert Incident.from_json(incident.to_json()) == incident
