"""Seeded generators of daily spend, one trait of a real cloud bill each, for the forecast
benchmark. Every generator returns 24 months of daily spend (exact cents) for one scope; all
of them share a base level, growth and multiplicative noise, and each adds its trait:

- `steady_growth`: growth and noise only (no weekday pattern).
- `weekday`: a weekday/weekend pattern.
- `fees_on_1st`: weekday pattern and fixed fees on the 1st (support plan, reserved instances).
- `credits`: weekday pattern, a monthly credit on a fixed day, and the odd random credit.
- `spikes`: weekday pattern and one-day spikes (a runaway job: 2-5x a day, 1.5 % of days).
- `level_shift`: weekday pattern and level shifts (x0.7-1.5) in the middle of some months.
- `new_service`: weekday pattern and a second service that starts half-way through history.
- `mixed`: all of the above at once.

`demo` is the sandbox demo's own seeded FOCUS spend, per team and in total.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from finance_pack.sandbox.seed_spend import spend_rows

FloatArray = np.ndarray
HISTORY_START = date(2024, 1, 1)
HISTORY_END = date(2026, 1, 1)  # exclusive: 24 complete months


def _days() -> list[date]:
    return [HISTORY_START + timedelta(days=i) for i in range((HISTORY_END - HISTORY_START).days)]


def _base(rng: np.random.Generator, days: list[date], weekly: bool) -> FloatArray:
    level = float(rng.lognormal(np.log(400), 1.0))
    growth = rng.normal(0.02, 0.03)
    trend = (1 + growth) ** (np.arange(len(days)) / 30.4)
    noise = rng.lognormal(0.0, rng.uniform(0.03, 0.10), len(days))
    series = level * trend * noise
    if weekly:
        weekday = np.array([day.weekday() for day in days])
        weekend = rng.uniform(0.4, 0.9)
        series *= np.where(weekday >= 5, weekend, 1.0) * np.where(weekday == 0, 1.05, 1.0)
    return np.asarray(series)


def _fees_on_1st(rng: np.random.Generator, days: list[date], usage: FloatArray) -> FloatArray:
    monthly = float(np.median(usage)) * 30
    first = np.array([day.day == 1 for day in days])
    return np.where(first, monthly * rng.uniform(0.1, 0.4), 0.0)


def _credits(rng: np.random.Generator, days: list[date], usage: FloatArray) -> FloatArray:
    monthly = float(np.median(usage)) * 30
    credit_day = int(rng.integers(2, 28))
    fixed = np.where([day.day == credit_day for day in days], -monthly * rng.uniform(0.03, 0.1), 0)
    random_days = rng.random(len(days)) < 0.01
    return np.asarray(fixed - random_days * usage * rng.uniform(0.5, 3.0, len(days)))


def _spikes(rng: np.random.Generator, usage: FloatArray) -> FloatArray:
    spikes = rng.random(usage.size) < 0.015
    return np.asarray(spikes * usage * rng.uniform(1.0, 4.0, usage.size))


def _level_shifts(rng: np.random.Generator, days: list[date], usage: FloatArray) -> FloatArray:
    """About one month in four changes level on a day between the 8th and the 22nd."""
    factor = np.ones(len(days))
    for index, day in enumerate(days):
        if day.day == 1 and rng.random() < 0.25:
            shift_at = index + int(rng.integers(7, 22))
            factor[shift_at:] *= rng.uniform(0.7, 1.5)
    return np.asarray(usage * factor)


def _new_service(rng: np.random.Generator, days: list[date], usage: FloatArray) -> FloatArray:
    start = len(days) // 2 + int(rng.integers(-60, 60))
    service = np.zeros(len(days))
    size = float(np.median(usage)) * rng.uniform(0.3, 1.0)
    ramp = np.minimum(1.0, (np.arange(len(days) - start) + 1) / 14)  # two weeks to full use
    service[start:] = size * ramp * rng.lognormal(0.0, 0.08, len(days) - start)
    return np.asarray(usage + service)


def _generate(trait: str, rng: np.random.Generator) -> FloatArray:
    days = _days()
    usage = _base(rng, days, weekly=trait != "steady_growth")
    mixed = trait == "mixed"
    if trait in ("level_shift",) or mixed:
        usage = _level_shifts(rng, days, usage)
    if trait in ("new_service",) or mixed:
        usage = _new_service(rng, days, usage)
    extra = np.zeros(len(days))
    if trait in ("fees_on_1st",) or mixed:
        extra += _fees_on_1st(rng, days, usage)
    if trait in ("credits",) or mixed:
        extra += _credits(rng, days, usage)
    if trait in ("spikes",) or mixed:
        extra += _spikes(rng, usage)
    return np.asarray(usage + extra)


def _to_daily(values: FloatArray) -> dict[date, Decimal]:
    return {day: Decimal(f"{amount:.2f}") for day, amount in zip(_days(), values, strict=True)}


TRAITS = (
    "steady_growth",
    "weekday",
    "fees_on_1st",
    "credits",
    "spikes",
    "level_shift",
    "new_service",
    "mixed",
)


def synthetic_histories(trait: str, scopes: int, seed: int) -> list[dict[date, Decimal]]:
    rng = np.random.default_rng([seed, TRAITS.index(trait)])
    return [_to_daily(_generate(trait, rng)) for _ in range(scopes)]


def demo_histories(scopes: int, seed: int) -> list[dict[date, Decimal]]:
    """The demo's seeded FOCUS spend (BilledCost) per team, plus the whole organisation."""
    rows = spend_rows(HISTORY_START, HISTORY_END - timedelta(days=1), seed=7 + seed)
    by_team: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        day = date.fromisoformat(row["ChargePeriodStart"][:10])
        team = str(_tags(row["Tags"]).get("team", "untagged"))
        by_team[team][day] += Decimal(row["BilledCost"])
        by_team["all"][day] += Decimal(row["BilledCost"])
    ordered = ["all", *sorted(name for name in by_team if name != "all")]
    return [dict(by_team[name]) for name in ordered[:scopes]]


def _tags(text: str) -> dict[str, object]:
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}


GENERATORS: dict[str, Callable[[int, int], list[dict[date, Decimal]]]] = {
    **{
        trait: (lambda scopes, seed, trait=trait: synthetic_histories(trait, scopes, seed))
        for trait in TRAITS
    },
    "demo": demo_histories,
}
