"""The weekly summary as a Slack message: Block Kit that reads well on a phone, plus a text
fallback for notifications. What to say lives here; how to deliver it is the Slack adapter's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import BudgetFailure
from finance_pack.domain.kpis import KpiReport, KpiStatus, age_text
from finance_pack.domain.money import Money
from finance_pack.domain.movers import Mover

STATUS_EMOJI = {
    KpiStatus.OK: ":large_green_circle:",
    KpiStatus.STALE: ":hourglass:",
    KpiStatus.WARNING: ":large_yellow_circle:",
    KpiStatus.EXCEEDED: ":red_circle:",
}
# Slack refuses messages of more than 50 blocks; a budget takes 4 (with its divider), the frame 2.
MAX_BUDGETS_PER_MESSAGE = 12


@dataclass(frozen=True, slots=True)
class SlackMessage:
    text: str
    blocks: list[dict[str, Any]]


def _money(amount: Decimal | None, currency: str) -> str:
    return "n/a" if amount is None else Money(amount, currency).format()


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value.quantize(Decimal('0.1'), ROUND_HALF_EVEN):f}%"


def _mrkdwn_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _forecast_line(report: KpiReport) -> str:
    forecast = _money(report.forecast_month_end, report.currency)
    if report.forecast_low is not None and report.forecast_high is not None:
        low = _money(report.forecast_low, report.currency)
        high = _money(report.forecast_high, report.currency)
        short = ", short history: wide range" if report.forecast_fallback else ""
        return f"{forecast} (80% range {low} – {high}, {report.forecaster}{short})"
    return f"{forecast} ({report.forecaster})"


def _mover_line(mover: Mover, currency: str, label: str = "") -> str:
    sign = "+" if mover.change >= 0 else "−"
    change = Money(abs(mover.change), currency).format()
    pct = "new" if mover.change_pct is None else _pct(abs(mover.change_pct))
    arrow = "▲" if mover.change >= 0 else "▼"
    return (
        f"{arrow} {label}{_mrkdwn_escape(mover.key)}: {sign}{change} "
        f"({sign if pct != 'new' else ''}{pct})"
    )


def budget_blocks(snapshot: BudgetSnapshot) -> list[dict[str, Any]]:
    report = snapshot.report
    emoji = STATUS_EMOJI[report.status]
    if report.no_spend_in_scope:
        headline = f"{emoji} *{_mrkdwn_escape(report.budget)}*: no spend in scope this month"
    else:
        headline = (
            f"{emoji} *{_mrkdwn_escape(report.budget)}*: {_pct(report.consumption_forecast_pct)} "
            f"of {_money(report.budget_amount, report.currency)} forecast"
        )
    fields = [
        f"*MTD spend*\n{_money(report.mtd_spend, report.currency)} "
        f"({_pct(report.consumption_actual_pct)})",
        f"*Daily burn*\n{_money(report.daily_burn, report.currency)}/day",
        f"*Forecast month-end*\n{_forecast_line(report)}",
        f"*Linear forecast*\n{_money(report.linear_forecast_month_end, report.currency)}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    labelled = [(m, "") for m in snapshot.service_movers]
    labelled += [(m, "account ") for m in snapshot.account_movers]
    labelled.sort(key=lambda pair: -abs(pair[0].change))
    mover_lines = [_mover_line(m, report.currency, label) for m, label in labelled[:5]] or [
        "no change week over week"
    ]
    crossed = ", ".join(str(t) for t in report.thresholds_crossed) or "none"
    context = f"Thresholds crossed: {crossed} · Biggest movers:\n" + "\n".join(mover_lines)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return blocks


def weekly_summary(
    snapshots: Sequence[BudgetSnapshot],
    week: str,
    *,
    late: bool,
    month: str,
    note: str | None = None,
    failures: Sequence[BudgetFailure] = (),
) -> SlackMessage:
    """The message for one channel and one slot; `late` marks a summary caught up after
    downtime; `failures` are budgets that could not be computed, named with their error."""
    title = f"Weekly burn-rate summary · {week}" + (" (late)" if late else "")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
    ]
    if note:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": note}})
    elif not snapshots and not failures:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "No budgets are configured. Add one with `brctl finance budget set`.",
                },
            }
        )
    # The budgets closest to (or over) their limit first: they are what a reader must not miss.
    worst = sorted(snapshots, key=lambda s: -(s.report.consumption_forecast_pct or Decimal(0)))
    for snapshot in worst[:MAX_BUDGETS_PER_MESSAGE]:
        blocks.append({"type": "divider"})
        blocks.extend(budget_blocks(snapshot))
    if failures:
        blocks.append({"type": "divider"})
        blocks.append(_failures_block(failures))
    hidden = len(snapshots) - MAX_BUDGETS_PER_MESSAGE
    freshness = _freshness(snapshots)
    footer = f"Month {month} · {freshness}" + (
        f" · {hidden} more budget(s) in `brctl finance kpi`" if hidden > 0 else ""
    )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    lead = "; ".join(
        f"{s.report.budget} {_pct(s.report.consumption_forecast_pct)} of budget forecast"
        for s in worst[:3]
    )
    missing = f"; {len(failures)} budget(s) not computed" if failures else ""
    text = f"{title}: {lead or ('no budgets computed' if failures else 'no budgets configured')}"
    return SlackMessage(text=text + missing, blocks=blocks)


MAX_FAILURES_LISTED = 5


def _failures_block(failures: Sequence[BudgetFailure]) -> dict[str, Any]:
    """What is missing from this summary, and why; the rest of the summary stands."""
    lines = [
        f":warning: *{_mrkdwn_escape(f.budget[:64])}*: not computed: "
        + _mrkdwn_escape(f.error[:300])
        for f in failures[:MAX_FAILURES_LISTED]
    ]
    more = len(failures) - MAX_FAILURES_LISTED
    if more > 0:
        lines.append(f"… and {more} more: see `brctl finance budget list`")
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}}


def _freshness(snapshots: Sequence[BudgetSnapshot]) -> str:
    if not snapshots:
        return "no data"
    oldest = min(snapshots, key=lambda s: s.report.as_of).report
    as_of = oldest.as_of.astimezone(UTC)
    stale = [s.report.budget for s in snapshots if s.report.stale]
    text = f"data as of {as_of:%Y-%m-%d %H:%M} UTC ({age_text(oldest.data_age)} old)"
    if stale:
        text += f" · :warning: stale data for {len(stale)} budget(s): " + ", ".join(stale[:5])
    return text


def threshold_alert(report: KpiReport, threshold: str, covered: Sequence[str] = ()) -> SlackMessage:
    """One alert for one budget, threshold and month; `covered` are lower thresholds of the
    same basis crossed at the same time, named instead of alerted separately."""
    basis = "forecast" if threshold.endswith(":forecast") else "actual"
    percent = threshold.split(":")[0]
    consumption = (
        report.consumption_forecast_pct if basis == "forecast" else report.consumption_actual_pct
    )
    text = (
        f"{STATUS_EMOJI[report.status]} Budget {report.budget} crossed {percent}% on {basis} spend "
        f"for {report.month}: {_pct(consumption)} of "
        f"{_money(report.budget_amount, report.currency)}"
    )
    if covered:
        text += " (also past " + ", ".join(t.split(":")[0] + "%" for t in covered) + ")"
    detail = (
        f"MTD {_money(report.mtd_spend, report.currency)} · burn "
        f"{_money(report.daily_burn, report.currency)}/day · forecast {_forecast_line(report)}"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn_escape(text)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": detail}]},
    ]
    return SlackMessage(text=text, blocks=blocks)
