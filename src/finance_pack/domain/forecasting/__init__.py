"""Month-end forecasters behind one interface, and the registry the shells choose from."""

from __future__ import annotations

from collections.abc import Mapping

from finance_pack.domain.forecasting.base import Forecast, Forecaster, ForecastRequest
from finance_pack.domain.forecasting.linear import LinearForecaster, daily_burn, linear_month_end
from finance_pack.domain.forecasting.seasonal import HISTORY_DAYS_WANTED, SeasonalForecaster

FORECASTERS: Mapping[str, Forecaster] = {
    "linear": LinearForecaster(),
    "seasonal": SeasonalForecaster(),
}
DEFAULT_FORECASTER = "seasonal"


class UnknownForecasterError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown forecaster {name!r}: expected one of {', '.join(FORECASTERS)}")
        self.name = name


def get_forecaster(name: str) -> Forecaster:
    try:
        return FORECASTERS[name]
    except KeyError:
        raise UnknownForecasterError(name) from None


__all__ = [
    "DEFAULT_FORECASTER",
    "FORECASTERS",
    "HISTORY_DAYS_WANTED",
    "Forecast",
    "ForecastRequest",
    "Forecaster",
    "LinearForecaster",
    "SeasonalForecaster",
    "UnknownForecasterError",
    "daily_burn",
    "get_forecaster",
    "linear_month_end",
]
