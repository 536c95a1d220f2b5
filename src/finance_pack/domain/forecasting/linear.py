"""The playbook's forecast: daily burn x days in month, nothing else."""

from __future__ import annotations

from decimal import Decimal

from finance_pack.domain.forecasting.base import Forecast, ForecastRequest


def daily_burn(month_to_date: Decimal, elapsed_days: Decimal) -> Decimal | None:
    """MTD / elapsed days; undefined (None, shown as n/a) while no time has elapsed."""
    if elapsed_days <= 0:
        return None
    return month_to_date / elapsed_days


def linear_month_end(
    month_to_date: Decimal, elapsed_days: Decimal, days_in_month: int
) -> Decimal | None:
    """Daily burn x days in month (DESIGN.md section 3); None while the burn is undefined.

    Computed as MTD x days / elapsed, rounding once, so a complete month forecasts exactly
    its MTD (burn x days would carry the burn's rounding: 0.01 / 28 x 28 = 0.00999...).
    """
    if elapsed_days <= 0:
        return None
    return month_to_date * days_in_month / elapsed_days


class LinearForecaster:
    """Projects the burn of the complete days seen so far; gives no interval."""

    name = "linear"

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        point = linear_month_end(
            request.month_to_date(), Decimal(request.observed_days), request.days_in_month
        )
        if point is None:
            return None
        return Forecast(request.rounded(point), None, None, self.name)
