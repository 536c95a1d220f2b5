"""The established forecasters, asked the same question as ours: the month-end total and its
80 % interval, knowing the days before the cutoff.

Each model forecasts the month's remaining days; the month-end is the month-to-date plus their
sum. Its interval is the 10th-90th percentile of simulated path sums (never per-day bounds
added up: a sum's interval is narrower than that). Benchmark-only dependencies (the `bench`
extra): statsforecast 2.1.1 and Prophet 1.5.0.

- AutoARIMA, AutoETS (season 7): fitted once per month at its first cutoff on the last
  `TRAIN_DAYS` days, then moved forward with the later days (same parameters, new data) at
  the month's other cutoffs: how a monthly-refit production job would run them, and what
  keeps AutoARIMA (about 1.5 s a fit here) affordable. Path sums come from statsforecast's
  simulation, re-centred on the model's own mean forecast (its ETS simulation drops an
  undamped trend, NOTES.md), so the simulation gives the spread and the model the point.
- SeasonalNaive (season 7): refitted at every cutoff (it costs nothing).
- Prophet (default settings): fitted at every cutoff it is asked about, on the whole history;
  path sums from its own posterior predictive samples (each sample is one joint path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

TRAIN_DAYS = 182
PATHS = 400
SEASON = 7


@dataclass(frozen=True)
class MonthEnd:
    point: float
    low: float
    high: float


def _sum_interval(mtd: float, mean: np.ndarray, paths: np.ndarray) -> MonthEnd:
    point = mtd + float(mean.sum())
    sums = paths.sum(axis=1)
    low, high = np.quantile(sums - sums.mean(), [0.1, 0.9])
    return MonthEnd(point, point + float(low), point + float(high))


class StatsForecastModel:
    """AutoARIMA / AutoETS / SeasonalNaive through statsforecast's model classes."""

    def __init__(self, name: str, make: Callable[[], Any], forward: Callable[..., Any] | None):
        self.name = name
        self._make = make
        self._forward = forward

    def month(
        self, values: np.ndarray, month_start: int, cutoffs: Sequence[int], days: int, seed: int
    ) -> dict[int, MonthEnd]:
        """Month-end forecasts at each cutoff (days of the month complete) of one month."""
        results: dict[int, MonthEnd] = {}
        model = None
        fitted_model = None
        for elapsed in cutoffs:
            end = month_start + elapsed
            window = values[max(0, end - TRAIN_DAYS) : end]
            if model is None or self._forward is None:
                model = self._make()
                model.fit(window)
                fitted_model = model.model_
            else:
                model.model_ = self._forward(fitted_model, y=window)
            horizon = days - elapsed
            mean = np.asarray(model.predict(horizon)["mean"], dtype=float)
            paths = np.asarray(model.simulate(horizon, PATHS, seed=seed), dtype=float)
            mtd = float(values[month_start:end].sum())
            results[elapsed] = _sum_interval(mtd, mean, paths)
        return results


class ProphetModel:
    name = "prophet"

    def month(
        self,
        values: np.ndarray,
        first: date,
        month_start: int,
        cutoffs: Sequence[int],
        days: int,
    ) -> dict[int, MonthEnd]:
        import pandas as pd
        from prophet import Prophet

        quiet_prophet()
        origin = first - timedelta(days=month_start)
        results: dict[int, MonthEnd] = {}
        for elapsed in cutoffs:
            end = month_start + elapsed
            frame = pd.DataFrame(
                {"ds": pd.date_range(origin, periods=end, freq="D"), "y": values[:end]}
            )
            model = Prophet(uncertainty_samples=PATHS)
            model.fit(frame)
            future = pd.DataFrame(
                {"ds": pd.date_range(origin + timedelta(days=end), periods=days - elapsed)}
            )
            model.uncertainty_samples = 0  # the point needs no sampling; the paths below do
            mean = model.predict(future)["yhat"].to_numpy(dtype=float)
            model.uncertainty_samples = PATHS
            paths = np.asarray(model.predictive_samples(future)["yhat"], dtype=float).T
            mtd = float(values[month_start:end].sum())
            results[elapsed] = _sum_interval(mtd, mean, paths)
        return results


def statsforecast_models() -> list[StatsForecastModel]:
    from statsforecast.arima import forward_arima
    from statsforecast.ets import forward_ets
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive

    return [
        StatsForecastModel("AutoARIMA", lambda: AutoARIMA(season_length=SEASON), forward_arima),
        StatsForecastModel("AutoETS", lambda: AutoETS(season_length=SEASON), forward_ets),
        StatsForecastModel("SeasonalNaive", lambda: SeasonalNaive(season_length=SEASON), None),
    ]


def quiet_prophet() -> None:
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        logging.getLogger(name).setLevel(logging.ERROR)
        logging.getLogger(name).disabled = True  # cmdstanpy re-arms its INFO handler per fit
