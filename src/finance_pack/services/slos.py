"""The three SLOs of the playbook, as the product measures them (DESIGN.md section 5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from finance_pack.context import PackContext
from finance_pack.domain.cadence import Schedule
from finance_pack.domain.slo import SloReport
from finance_pack.services.cadence_slo import cadence_slo_reports


def schedule_for(context: PackContext) -> Schedule:
    """The Budgeteer's weekly schedule as finance.yaml sets it."""
    settings = context.config.budgeteer
    return Schedule(settings.schedule, settings.timezone, settings.grace)


def _objective(context: PackContext, slo: str) -> Decimal:
    for agent in context.manifest.agents:
        if agent.slo.name == slo:
            return Decimal(str(agent.slo.objective))
    raise KeyError(slo)


def slo_reports(context: PackContext, engine: Engine, now: datetime) -> list[SloReport]:
    """Every SLO row; an agent that has not run yet reports no events (attainment n/a)."""
    cadence = cadence_slo_reports(
        engine,
        schedule_for(context),
        context.config.slack.summary_channels,
        _objective(context, "budgeteer_weekly_cadence"),
        now,
    )
    # The Invoice Bot and the Cost Watcher are not part of this release; their SLOs are
    # declared in pack.yaml and report zero events until those agents record deliveries.
    later = [
        SloReport(name, _objective(context, name), "30d", events=0, good=0)
        for name in ("invoice_delivery", "anomaly_alert_latency")
    ]
    return [*cadence, *later]
