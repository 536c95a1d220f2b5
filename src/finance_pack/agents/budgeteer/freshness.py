"""Freshness alerts: a provider's cost feed that stops is posted once per stale episode, and
once more when it recovers. The episode is named by the newest data instant when it began, so
replicas deciding at once claim the same delivery (store/deliveries.py) and one posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, select

from finance_pack.agents.budgeteer.summary import SlackMessage
from finance_pack.domain.kpis import age_text
from finance_pack.store.tables import freshness_alerts

FRESHNESS_EVENT = "budgeteer_freshness_alert"
Kind = Literal["stale", "recovered"]


@dataclass(frozen=True)
class FreshnessAlert:
    provider: str
    episode: str  # ISO instant of the newest data when the episode began
    kind: Kind

    @property
    def key(self) -> dict[str, str]:
        return {"provider": self.provider, "episode": self.episode, "kind": self.kind}


def due_alert(
    provider: str,
    as_of: datetime,
    now: datetime,
    stale_after: timedelta,
    latest: tuple[str, str] | None,
) -> FreshnessAlert | None:
    """The alert this provider's feed calls for now, given its latest alert (episode, kind)."""
    stale = now - as_of > stale_after
    if stale:
        if latest is None or latest[1] == "recovered":
            return FreshnessAlert(provider, _instant(as_of), "stale")
        return FreshnessAlert(provider, latest[0], "stale")  # same episode: claimed once
    if latest is not None and latest[1] == "stale":
        return FreshnessAlert(provider, latest[0], "recovered")
    return None


def latest_alert(engine: Engine, provider: str) -> tuple[str, str] | None:
    table = freshness_alerts
    with engine.connect() as connection:
        row = connection.execute(
            select(table.c.episode, table.c.kind)
            .where(table.c.provider == provider)
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else (str(row.episode), str(row.kind))


def freshness_message(alert: FreshnessAlert, as_of: datetime, now: datetime) -> SlackMessage:
    age = age_text(now - as_of)
    newest = f"{as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if alert.kind == "stale":
        text = (
            f":warning: {alert.provider} cost data is stale: the newest is {age} old "
            f"({newest}). KPIs and alerts for its budgets are behind until it is ingested again."
        )
    else:
        text = f":white_check_mark: {alert.provider} cost data is fresh again (as of {newest})."
    return SlackMessage(
        text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    )


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
