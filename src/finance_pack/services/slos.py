"""The three SLOs of the playbook, as the product measures them (DESIGN.md section 5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine

from finance_pack.context import PackContext
from finance_pack.domain.cadence import Schedule
from finance_pack.domain.slo import SloReport
from finance_pack.services.anomaly_slo import SLO_NAME as ANOMALY_SLO
from finance_pack.services.anomaly_slo import anomaly_slo_report
from finance_pack.services.cadence_slo import cadence_slo_reports
from finance_pack.services.invoice_slo import invoice_slo_report


def schedule_for(context: PackContext) -> Schedule:
    """The Budgeteer's weekly schedule as finance.yaml sets it."""
    settings = context.config.budgeteer
    return Schedule(settings.schedule, settings.timezone, settings.grace)


def _objective(context: PackContext, slo: str) -> Decimal:
    for agent in context.manifest.agents:
        if agent.slo.name == slo:
            return Decimal(str(agent.slo.objective))
    raise KeyError(slo)


DEFAULT_THRESHOLD_SECONDS = 300


def _threshold(context: PackContext, slo: str) -> Decimal:
    for agent in context.manifest.agents:
        if agent.slo.name == slo:
            return Decimal(agent.slo.threshold_seconds or DEFAULT_THRESHOLD_SECONDS)
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
    invoices = invoice_slo_report(
        engine,
        _objective(context, "invoice_delivery"),
        _threshold(context, "invoice_delivery"),
        now,
    )
    anomaly = anomaly_slo_report(
        engine,
        _objective(context, ANOMALY_SLO),
        _threshold(context, ANOMALY_SLO),
        now,
    )
    return [*cadence, invoices, anomaly]
