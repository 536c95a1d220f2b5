"""The burn chart's geometry: what it draws, where, and what it tells a screen reader."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from finance_pack.api.dashboard.charts import BurnChartData, burn_chart_svg

D = Decimal
DAYS = [(date(2026, 11, d), D("10")) for d in range(1, 11)]  # 100 over ten days


def _chart(**changes: object) -> str:
    data = {
        "title": "platform",
        "currency": "USD",
        "days_in_month": 30,
        "daily": DAYS,
        "budget": D("400"),
        "forecast": D("300"),
        "forecast_low": D("250"),
        "forecast_high": D("350"),
        "thresholds": (D("80"),),
    }
    return burn_chart_svg(BurnChartData(**{**data, **changes}))  # type: ignore[arg-type]


def test_actual_is_cumulative_from_zero_and_ends_at_the_last_complete_day() -> None:
    points = re.search(r'class="actual" points="([^"]+)"', _chart())
    assert points is not None
    pairs = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    assert len(pairs) == 11  # the origin and ten days
    # x: 64 + 560 * day / 30; y: 12 + 200 * (1 - amount / 500) with ticks 0..500 by 100 (or 125)
    assert pairs[0] == (64.0, 212.0)
    assert pairs[-1][0] == 250.7  # 64 + 560 * 10 / 30, to a tenth
    ys = [y for _, y in pairs]
    assert ys == sorted(ys, reverse=True)  # spend only grows here


def test_budget_line_band_forecast_and_threshold_are_drawn_at_their_amounts() -> None:
    svg = _chart()
    ticks = [int(t) for t in re.findall(r'text-anchor="end">(\d+)</text>', svg)]
    top = max(ticks)
    assert top >= 420  # the axis leaves room above the budget (400 x 1.05)

    def y(amount: float) -> str:
        return f"{12 + 200 * (1 - amount / top):.1f}"

    assert f'class="budget" x1="64" x2="624" y1="{y(400)}"' in svg
    assert f'class="threshold" x1="584" x2="624" y1="{y(320)}"' in svg
    assert f'624.0,{y(350)} 624.0,{y(250)}"' in svg  # the band ends at high and low
    assert 'class="forecast"' in svg and f'y2="{y(300)}"' in svg


def test_without_a_forecast_there_is_no_band_and_no_forecast_line() -> None:
    svg = _chart(forecast=None, forecast_low=None, forecast_high=None)
    assert 'class="band"' not in svg and 'class="forecast"' not in svg


def test_the_chart_describes_itself_for_screen_readers() -> None:
    svg = _chart()
    assert 'role="img"' in svg
    assert (
        "Cumulative spend 100.00 USD after 10 of 30 days against a budget of 400.00 USD; "
        "forecast month-end 300.00 (80% range 250.00 to 350.00)."
    ) in svg
    assert "<title>platform</title>" in svg


def test_a_title_with_markup_is_escaped() -> None:
    assert "<title>a&lt;b&gt;</title>" in _chart(title="a<b>")
