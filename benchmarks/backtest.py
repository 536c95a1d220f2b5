"""The forecast back-test, as the dashboard's Forecast accuracy page and `brctl finance forecast
backtest` run it: every day of the last `--months` months of the demo's seeded spend (the
organisation and its four teams), both forecasters.

    .venv/bin/python benchmarks/backtest.py [--months 3] [--scopes 5] [--seed 1] [--json PATH]

Baseline in the same run: the same back-test with the seasonal forecaster's kept models
(`cutoff_model.py`) forgotten before every forecast, as though each forecast were made alone;
`speedup` is its time over ours. Also the cost of one live forecast computed from nothing
(median of `--repeats`), which is what a KPI pays for a budget the first time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit
from _spend_generators import HISTORY_END, demo_histories

from finance_pack.domain.backtest import backtest
from finance_pack.domain.forecasting import (
    FORECASTERS,
    HISTORY_DAYS_WANTED,
    Forecast,
    Forecaster,
    ForecastRequest,
)
from finance_pack.domain.forecasting.cutoff_model import forget


class _Alone:
    """The seasonal forecaster with nothing kept from one forecast to the next."""

    name = "seasonal"

    def forecast(self, request: ForecastRequest) -> Forecast | None:
        forget()
        return FORECASTERS["seasonal"].forecast(request)


def _timed_backtest(
    histories: list[dict[date, Decimal]], months: int, seasonal: Forecaster
) -> tuple[float, float | None]:
    forget()
    began = time.perf_counter()
    results = backtest(histories, months, {"linear": FORECASTERS["linear"], "seasonal": seasonal})
    seconds = time.perf_counter() - began
    return seconds, next(r.mape_5_25 for r in results if r.forecaster == "seasonal")


def _live_forecast_ms(history: Mapping[date, Decimal], repeats: int) -> float:
    first = (HISTORY_END - timedelta(days=31)).replace(day=1)  # the last complete month
    since = first - timedelta(days=HISTORY_DAYS_WANTED)
    fetched = {day: amount for day, amount in history.items() if since <= day}
    request = ForecastRequest(fetched, first.year, first.month, first + timedelta(days=15))
    samples = []
    for _ in range(repeats):
        forget()
        began = time.perf_counter()
        FORECASTERS["seasonal"].forecast(request)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--scopes", type=int, default=5, help="the demo has 5: all and 4 teams")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5, help="live forecasts timed")
    parser.add_argument("--json", dest="json_path", default=None)
    args = parser.parse_args()
    histories = demo_histories(args.scopes, args.seed)
    ours, ours_mape = _timed_backtest(histories, args.months, FORECASTERS["seasonal"])
    alone, alone_mape = _timed_backtest(histories, args.months, _Alone())
    row: dict[str, object] = {
        "scopes": len(histories),
        "months": args.months,
        "history_days": len(histories[0]),
        "backtest_s": round(ours, 2),
        "backtest_forgetting_s": round(alone, 2),
        "speedup": round(alone / ours, 2),
        "same_mape_5_25": ours_mape == alone_mape,
        "live_forecast_ms": round(_live_forecast_ms(histories[0], args.repeats), 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    emit(
        "Forecast back-test of the demo's spend (both forecasters, every day)",
        [row],
        args.json_path,
    )


if __name__ == "__main__":
    main()
