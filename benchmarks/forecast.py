"""Forecast accuracy: back-test `linear` and the default forecaster on synthetic daily spend.

Each scope gets 24 months of daily spend shaped like a real cloud bill: a weekday/weekend
pattern, growth (or decline), fixed charges on the 1st (and sometimes mid-month), occasional
step changes (a service launched or retired), one-day spikes and credits, and noise.

    .venv/bin/python benchmarks/forecast.py [--scopes 10] [--months 12] [--seeds 1 2]
                                            [--jobs N] [--json PATH]

Targets (issue 5): default MAPE over days 5-25 <= 0.5 x linear's; 80 % interval covering the
actual month-end 75-85 % of the time.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from _report import emit

from finance_pack.domain.backtest import backtest
from finance_pack.domain.forecasting import DEFAULT_FORECASTER

HISTORY_START = date(2024, 1, 1)
HISTORY_MONTHS = 24


def synthetic_scope(rng: np.random.Generator) -> dict[date, Decimal]:
    """24 months of daily spend (exact cents) for one scope."""
    end = date(HISTORY_START.year + HISTORY_MONTHS // 12, 1, 1)
    days = (end - HISTORY_START).days
    dates = [HISTORY_START + timedelta(days=offset) for offset in range(days)]
    usage = _usage(rng, dates)
    usage += _fixed_charges(rng, dates, float(np.median(usage)))
    usage += _spikes_and_credits(rng, usage)
    return {day: Decimal(f"{amount:.2f}") for day, amount in zip(dates, usage, strict=True)}


def _usage(rng: np.random.Generator, dates: list[date]) -> np.ndarray:
    days = len(dates)
    base = float(rng.lognormal(mean=np.log(400), sigma=1.2))
    monthly_growth = rng.normal(0.02, 0.03)
    trend = (1 + monthly_growth) ** (np.arange(days) / 30.4)
    weekend_factor = rng.uniform(0.45, 1.0)
    weekday = np.array([day.weekday() for day in dates])
    pattern = np.where(weekday >= 5, weekend_factor, 1.0) * np.where(weekday == 0, 1.05, 1.0)
    steps = np.ones(days)
    for start in np.flatnonzero(rng.random(days) < 0.002):  # about one change in 17 months
        steps[start:] *= rng.uniform(0.75, 1.4)
    noise = rng.lognormal(0.0, rng.uniform(0.03, 0.12), days)
    return np.asarray(base * trend * pattern * steps * noise)


def _fixed_charges(rng: np.random.Generator, dates: list[date], daily: float) -> np.ndarray:
    """Support plans and reserved-capacity fees on the 1st; sometimes a mid-month one."""
    charges = np.zeros(len(dates))
    day_of_month = np.array([day.day for day in dates])
    if rng.random() < 0.75:
        charges[day_of_month == 1] += daily * 30 * rng.uniform(0.05, 0.4)
    if rng.random() < 0.2:
        charges[day_of_month == int(rng.integers(2, 29))] += daily * 30 * rng.uniform(0.03, 0.15)
    return charges


def _spikes_and_credits(rng: np.random.Generator, usage: np.ndarray) -> np.ndarray:
    extra = np.zeros(usage.size)
    spikes = rng.random(usage.size) < 0.015
    extra[spikes] = usage[spikes] * rng.uniform(1.0, 5.0, spikes.sum())
    credits = rng.random(usage.size) < 0.01
    extra[credits] = -usage[credits] * rng.uniform(0.5, 3.0, credits.sum())
    return extra


def run(scopes: int, months: int, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    histories = [synthetic_scope(rng) for _ in range(scopes)]
    started = time.perf_counter()
    results = {result.forecaster: result for result in backtest(histories, months)}
    elapsed = time.perf_counter() - started
    linear, default = results["linear"], results[DEFAULT_FORECASTER]
    ratio = (
        round(default.mape_5_25 / linear.mape_5_25, 3)
        if default.mape_5_25 is not None and linear.mape_5_25
        else None
    )
    return [
        {
            "seed": seed,
            "model": result.forecaster,
            "mape_5_25": result.mape_5_25,
            "vs_linear": ratio if result is default else None,
            "coverage": result.interval_coverage,
            "mape_d5": result.mape_by_day.get(5),
            "met": _targets_met(ratio, default.interval_coverage) if result is default else None,
            "secs": round(elapsed),
        }
        for result in (linear, default)
    ]


def _targets_met(ratio: float | None, coverage: float | None) -> bool:
    return ratio is not None and ratio <= 0.5 and coverage is not None and 0.75 <= coverage <= 0.85


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scopes", type=int, default=10, help="synthetic scopes per seed")
    parser.add_argument("--months", type=int, default=12, help="months back-tested per scope")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="one run per seed")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="seeds in parallel")
    parser.add_argument("--json", dest="json_path", default=None, help="also write JSON here")
    args = parser.parse_args()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        count = len(args.seeds)
        runs = pool.map(run, [args.scopes] * count, [args.months] * count, args.seeds)
        rows = [row for seed_rows in runs for row in seed_rows]
    title = (
        f"Forecast back-test: {args.scopes} scopes x {args.months} months per seed "
        "(MAPE %; targets: vs_linear <= 0.5, coverage 0.75-0.85)"
    )
    emit(title, rows, args.json_path)


if __name__ == "__main__":
    main()
