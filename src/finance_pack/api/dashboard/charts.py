"""The burn chart as inline SVG: cumulative actual spend, the forecast with its 80 % band, the
budget line and the threshold marks.

Drawn by hand rather than with matplotlib: an SVG of a few dozen elements renders in well under a
millisecond where a matplotlib figure takes about 130 ms, the budgets page draws one per budget,
and inline SVG is crisp at any width, styleable from the page's CSS and readable by screen readers
through its title and description.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 28


@dataclass(frozen=True, slots=True)
class BurnChartData:
    """What one budget's chart shows; money in the budget's currency."""

    title: str
    currency: str
    days_in_month: int
    daily: Sequence[tuple[date, Decimal]]  # complete local days of the month, in order
    budget: Decimal
    forecast: Decimal | None
    forecast_low: Decimal | None
    forecast_high: Decimal | None
    thresholds: Sequence[Decimal] = ()  # percentages of the budget


def _ticks(top: Decimal) -> list[Decimal]:
    """Three or four round steps from 0 to at least `top`."""
    if top <= 0:
        return [Decimal(0)]
    step = Decimal(10) ** (len(str(int(top))) - 1)
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if top / (step * factor) <= 4:
            step *= factor
            break
    count = int(top / step) + (0 if top % step == 0 else 1)
    return [step * i for i in range(count + 1)]


def _label(amount: Decimal) -> str:
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f}M".replace(".0M", "M")
    if amount >= 1_000:
        return f"{amount / 1_000:.1f}k".replace(".0k", "k")
    return f"{amount:.0f}"


def burn_chart_svg(data: BurnChartData) -> str:
    cumulative: list[Decimal] = []
    total = Decimal(0)
    for _, amount in data.daily:
        total += amount
        cumulative.append(total)
    highest = max(
        [data.budget, total] + [v for v in (data.forecast, data.forecast_high) if v is not None]
    )
    ticks = _ticks(highest * Decimal("1.05"))
    y_max = ticks[-1] if ticks[-1] > 0 else Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return LEFT + plot_w * day / data.days_in_month

    def y(amount: Decimal) -> float:
        return TOP + plot_h * (1 - float(amount / y_max))

    parts: list[str] = []
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{_label(tick)}</text>'
        )
    for day in (1, 8, 15, 22, data.days_in_month):
        parts.append(
            f'<text class="axis" x="{x(day - 0.5):.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{day}</text>'
        )
    parts.append(
        f'<line class="budget" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(data.budget):.1f}" '
        f'y2="{y(data.budget):.1f}"/>'
    )
    for pct in data.thresholds:
        level = y(data.budget * pct / 100)
        parts.append(
            f'<line class="threshold" x1="{WIDTH - RIGHT - 40}" x2="{WIDTH - RIGHT}" '
            f'y1="{level:.1f}" y2="{level:.1f}"/><text class="axis" x="{WIDTH - RIGHT - 44}" '
            f'y="{level + 4:.1f}" text-anchor="end">{pct:f}%</text>'
        )
    start_x, start_y = x(len(cumulative)), y(total)
    end_x = x(data.days_in_month)
    if data.forecast_low is not None and data.forecast_high is not None:
        parts.append(
            f'<polygon class="band" points="{start_x:.1f},{start_y:.1f} '
            f'{end_x:.1f},{y(data.forecast_high):.1f} {end_x:.1f},{y(data.forecast_low):.1f}"/>'
        )
    if data.forecast is not None and len(cumulative) < data.days_in_month:
        parts.append(
            f'<line class="forecast" x1="{start_x:.1f}" y1="{start_y:.1f}" x2="{end_x:.1f}" '
            f'y2="{y(data.forecast):.1f}"/>'
        )
    points = " ".join(
        f"{x(i):.1f},{y(value):.1f}" for i, value in enumerate([Decimal(0), *cumulative])
    )
    parts.append(f'<polyline class="actual" points="{points}"/>')
    description = _describe(data, total)
    return (
        f'<svg class="burn" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(description)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(data.title)}</title><desc>{escape(description)}</desc>"
        + "".join(parts)
        + "</svg>"
    )


def _describe(data: BurnChartData, total: Decimal) -> str:
    text = (
        f"Cumulative spend {total:.2f} {data.currency} after {len(data.daily)} of "
        f"{data.days_in_month} days against a budget of {data.budget:.2f} {data.currency}"
    )
    if data.forecast is not None:
        text += f"; forecast month-end {data.forecast:.2f}"
        if data.forecast_low is not None and data.forecast_high is not None:
            text += f" (80% range {data.forecast_low:.2f} to {data.forecast_high:.2f})"
    return text + "."
