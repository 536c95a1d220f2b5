"""The summary chart: cumulative actual, the forecast with its 80 % band, the budget line.

Drawn for Slack's preview (about 360 px wide on a phone): few lines, large labels.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # no display here; must precede pyplot's import

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from finance_pack.domain.budget_snapshot import BudgetSnapshot


def _cumulative(daily: tuple[tuple[date, Decimal], ...]) -> tuple[list[date], list[float]]:
    days, totals, running = [], [], Decimal(0)
    for day, amount in daily:
        running += amount
        days.append(day + timedelta(days=1))  # the total is reached at the end of the day
        totals.append(float(running))  # plotting only: the figures people read are Decimals
    return days, totals


def render_chart(snapshot: BudgetSnapshot) -> bytes:
    """A PNG of one budget's month."""
    report = snapshot.report
    first = report.month.first_day
    month_end = report.month.next().first_day
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=120)
    days, totals = _cumulative(snapshot.daily)
    ax.plot([first, *days], [0.0, *totals], color="#1f6feb", linewidth=2.5, label="actual")
    last_day, last_total = (days[-1], totals[-1]) if days else (first, 0.0)
    if report.forecast_month_end is not None:
        ax.plot(
            [last_day, month_end],
            [last_total, float(report.forecast_month_end)],
            color="#1f6feb",
            linestyle="--",
            linewidth=2,
            label=f"forecast ({report.forecaster})",
        )
        if report.forecast_low is not None and report.forecast_high is not None:
            ax.fill_between(
                [last_day, month_end],
                [last_total, float(report.forecast_low)],
                [last_total, float(report.forecast_high)],
                color="#1f6feb",
                alpha=0.15,
                label="80% range",
            )
    ax.axhline(float(report.budget_amount), color="#d1242f", linewidth=2, label="budget")
    ax.set_xlim(first, month_end)
    ax.set_ylim(bottom=0)
    ax.set_title(f"{report.budget} · {report.month}", fontsize=14, loc="left")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_ylabel(report.currency, fontsize=11)
    ax.tick_params(labelsize=11)
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=10, loc="lower right", frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
