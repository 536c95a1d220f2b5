"""Month-end forecasts, ours against the established forecasters, in one harness and one run.

Every forecaster answers the same question at the same cutoffs: the month's total and its
80 % interval, knowing the days before the cutoff (day k = k days of the month complete). Ours
(`seasonal`, the default, and the playbook's `linear`) against statsforecast's AutoARIMA,
AutoETS and SeasonalNaive and Prophet (see `_competitors.py` for how each is run), on seeded
generators of spend with one trait each of a real bill and on the demo's seeded spend
(`_spend_generators.py`). Ours sees only the history the product fetches for a forecast
(`HISTORY_DAYS_WANTED` days before the month); the competitors see all of it.

    uv sync --frozen --inexact --extra dev --extra bench   # statsforecast, prophet
    .venv/bin/python benchmarks/forecast.py [--scopes 8] [--months 3] [--ours-scopes 24]
                                            [--ours-months 6] [--seed 1] [--generators ...]
                                            [--jobs 2] [--competitor-cache DIR] [--json PATH]

`--competitor-cache benchmarks/out/cache` keeps the competitors' forecasts (keyed by model,
month, cutoffs, seed and a digest of the history) and reuses them in later runs: fitting
Prophet and AutoARIMA is most of a run's time, and they do not change while ours does.

Cutoffs: days 5, 10, 15, 20 and 25 (Prophet: 5, 15 and 25 only, to keep a first run near half
an hour on two cores: a Prophet fit takes ~0.7 s here, an AutoARIMA fit ~1.5 s). Figures per
forecaster and generator: MAPE and bias (mean signed error, negative = too low) in % of the
actual month-end, the share of month-ends inside the 80 % interval, its mean width in %, and
`vs_ours`: the 95 % bootstrap range (resampling months) of our MAPE minus theirs on the same
cells; negative all the way means we are better; `bias_95`: the same range of our bias (a
bias range that holds 0 is no evidence of bias). Every forecaster runs on the first `--scopes`
scopes over their last `--months` months; ours also on `--ours-scopes` scopes over
`--ours-months` months (row `seasonal*`) for tighter bias and coverage figures, and with only
40 days of history before the month (row `seasonal short`).

Targets (issue 15): our default's MAPE below every established forecaster's on every
generator, bias within +/-0.5 %, coverage 75-85 % (column `met`; MAPE on the shared cells,
bias and coverage on row `seasonal*`).
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _competitors import MonthEnd, ProphetModel, statsforecast_models
from _report import emit
from _spend_generators import GENERATORS

from finance_pack.domain.forecasting import (
    DEFAULT_FORECASTER,
    FORECASTERS,
    HISTORY_DAYS_WANTED,
    ForecastRequest,
)

CUTOFFS = (5, 10, 15, 20, 25)
PROPHET_CUTOFFS = (5, 15, 25)
SHORT_HISTORY_DAYS = 40
ESTABLISHED = ("AutoARIMA", "AutoETS", "SeasonalNaive", "prophet")
BOOTSTRAP_DRAWS = 2000


@dataclass(frozen=True)
class Cell:
    """One forecast: who, which (scope, month) unit, at which cutoff, and how it did."""

    forecaster: str
    unit: tuple[int, int]
    elapsed: int
    error: float  # (forecast - actual) / actual
    covered: bool | None
    width: float | None  # (high - low) / actual

    @classmethod
    def score(
        cls, forecaster: str, unit: tuple[int, int], elapsed: int, got: MonthEnd, actual: float
    ) -> Cell:
        return cls(
            forecaster,
            unit,
            elapsed,
            (got.point - actual) / abs(actual),
            got.low <= actual <= got.high if got.low != got.high else None,
            (got.high - got.low) / abs(actual) if got.low != got.high else None,
        )


def _ours(name: str, history: dict[date, Decimal], first: date, elapsed: int) -> MonthEnd:
    # What the product fetches for a forecast (services/reporting.py), no more.
    since = first - timedelta(days=HISTORY_DAYS_WANTED)
    fetched = {day: amount for day, amount in history.items() if day >= since}
    request = ForecastRequest(fetched, first.year, first.month, first + timedelta(days=elapsed))
    forecast = FORECASTERS[name].forecast(request)
    assert forecast is not None
    low = forecast.point if forecast.low is None else forecast.low
    high = forecast.point if forecast.high is None else forecast.high
    return MonthEnd(float(forecast.point), float(low), float(high))


def _last_months(daily: dict[date, Decimal], months: int) -> list[date]:
    """The 1st of each of the last `months` complete months, oldest first."""
    after_last = max(daily) + timedelta(days=1)
    first = after_last.replace(day=1)  # the month after the last complete one
    firsts: list[date] = []
    while len(firsts) < months:
        first = (first - timedelta(days=1)).replace(day=1)
        firsts.append(first)
    return firsts[::-1]


def _score_scope(
    scope: int,
    daily: dict[date, Decimal],
    months: int,
    ours_months: int,
    with_competitors: bool,
    seed: int,
    cache: CompetitorCache,
) -> tuple[list[Cell], dict[str, float]]:
    """Ours over the last `ours_months` months; the competitors (`with_competitors`) over
    the last `months` of them (their units are the last `months` indices)."""
    days = [min(daily) + timedelta(days=i) for i in range((max(daily) - min(daily)).days + 1)]
    values = np.array([float(daily.get(day, 0)) for day in days])  # a day without rows is 0
    cells: list[Cell] = []
    seconds: dict[str, float] = defaultdict(float)
    span = max(months, ours_months)
    for month_index, first in enumerate(_last_months(daily, span)):
        month = _Month(first, (scope, month_index), (first - days[0]).days)
        actual = float(values[month.start : month.start + month.length].sum())
        if actual == 0:
            continue  # a percentage error of a zero month means nothing
        # The forecasters see only the days before each cutoff (a tested promise of ours).
        short_from = first - timedelta(days=SHORT_HISTORY_DAYS)
        short = {day: amount for day, amount in daily.items() if day >= short_from}
        for elapsed in CUTOFFS:
            for name in FORECASTERS:
                began = time.perf_counter()
                got = _ours(name, daily, first, elapsed)
                seconds[name] += time.perf_counter() - began
                cells.append(Cell.score(name, month.unit, elapsed, got, actual))
            got = _ours(DEFAULT_FORECASTER, short, first, elapsed)
            cells.append(
                Cell.score(f"{DEFAULT_FORECASTER} short", month.unit, elapsed, got, actual)
            )
        if with_competitors and month_index >= span - months:
            cells += _score_competitors(values, month, actual, seed, seconds, cache)
    return cells, seconds


@dataclass(frozen=True)
class _Month:
    first: date
    unit: tuple[int, int]
    start: int  # index of its 1st in the scope's values

    @property
    def length(self) -> int:
        return calendar.monthrange(self.first.year, self.first.month)[1]


class CompetitorCache:
    """Competitors' month-ends kept in a JSON file, so that a re-run of the benchmark (while
    working on our forecaster) does not refit them. Keyed by model, month, cutoffs, the
    simulation seed and a digest of the whole history: a changed generator misses the cache.
    Fit times are not cached (a cached model reports none)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries = self._load()
        self.added: dict[str, list[list[float]]] = {}

    @staticmethod
    def key(
        model: str, values: np.ndarray, month: _Month, cutoffs: tuple[int, ...], seed: int
    ) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:20]
        return f"{model}|{digest}|{month.start}|{','.join(map(str, cutoffs))}|{seed}"

    def get(self, key: str) -> dict[int, MonthEnd] | None:
        found = self.entries.get(key)
        if found is None:
            return None
        return {int(row[0]): MonthEnd(row[1], row[2], row[3]) for row in found}

    def put(self, key: str, results: dict[int, MonthEnd]) -> None:
        row = [[k, m.point, m.low, m.high] for k, m in sorted(results.items())]
        self.entries[key] = self.added[key] = row

    def _load(self) -> dict[str, list[list[float]]]:
        if self.path is None or not self.path.exists():
            return {}
        loaded: dict[str, list[list[float]]] = json.loads(self.path.read_text())
        return loaded

    def save(self) -> None:
        """Add this run's entries to the file as it is now (another run may have added some),
        replacing it in one step so that a reader never sees half a file."""
        if self.path is None or not self.added:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        merged = self._load() | self.added
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(merged))
        partial.replace(self.path)


def _score_competitors(
    values: np.ndarray,
    month: _Month,
    actual: float,
    seed: int,
    seconds: dict[str, float],
    cache: CompetitorCache,
) -> list[Cell]:
    fitters: list[tuple[str, tuple[int, ...], Callable[[], dict[int, MonthEnd]]]] = [
        (
            model.name,
            CUTOFFS,
            partial(model.month, values, month.start, CUTOFFS, month.length, seed),
        )
        for model in statsforecast_models()
    ]
    prophet = partial(
        ProphetModel().month, values, month.first, month.start, PROPHET_CUTOFFS, month.length
    )
    fitters.append(("prophet", PROPHET_CUTOFFS, prophet))
    cells = []
    for name, cutoffs, fit in fitters:
        key = cache.key(name, values, month, cutoffs, seed)
        results = cache.get(key)
        if results is None:
            began = time.perf_counter()
            results = fit()
            seconds[name] += time.perf_counter() - began
            cache.put(key, results)
        cells += [Cell.score(name, month.unit, k, got, actual) for k, got in results.items()]
    return cells


def run_generator(
    generator: str,
    scopes: int,
    ours_scopes: int,
    months: int,
    ours_months: int,
    seed: int,
    cache_dir: str | None,
) -> list[dict[str, object]]:
    histories = GENERATORS[generator](max(scopes, ours_scopes), seed)
    cells: list[Cell] = []
    seconds: dict[str, float] = defaultdict(float)
    # One file per generator and seed: generators run in parallel processes.
    cache = CompetitorCache(
        None if cache_dir is None else Path(cache_dir) / f"{generator}-seed{seed}.json"
    )
    for scope, daily in enumerate(histories):
        scope_cells, scope_seconds = _score_scope(
            scope, daily, months, ours_months, scope < scopes, seed, cache
        )
        cells += scope_cells
        for name, spent in scope_seconds.items():
            seconds[name] += spent
    cache.save()
    # Where the competitors ran: the first `scopes` scopes, their last `months` months.
    first_compared = max(months, ours_months) - months
    compared = [cell for cell in cells if cell.unit[0] < scopes and cell.unit[1] >= first_compared]
    names = [*FORECASTERS, *ESTABLISHED]
    rows = [_row(generator, name, compared, seconds.get(name)) for name in names]
    default_all = [cell for cell in cells if cell.forecaster == DEFAULT_FORECASTER]
    rows.append(_row(generator, f"{DEFAULT_FORECASTER}*", default_all, None))
    short_name = f"{DEFAULT_FORECASTER} short"
    rows.append(_row(generator, short_name, [c for c in cells if c.forecaster == short_name], None))
    rng = np.random.default_rng(seed)
    for row in rows:
        if row["forecaster"] in ESTABLISHED:
            row["vs_ours"] = _bootstrap_range(compared, str(row["forecaster"]), rng)
    by_name = {row["forecaster"]: row for row in rows}
    by_name[f"{DEFAULT_FORECASTER}*"]["bias_95"] = _bias_range(default_all, rng)
    _mark_targets(rows)
    return rows


def _row(generator: str, name: str, cells: list[Cell], seconds: float | None) -> dict[str, object]:
    mine = [cell for cell in cells if cell.forecaster == name.rstrip("*")]
    errors = np.array([cell.error for cell in mine])
    covered = [cell.covered for cell in mine if cell.covered is not None]
    widths = [cell.width for cell in mine if cell.width is not None]
    return {
        "generator": generator,
        "forecaster": name,
        "months": len({cell.unit for cell in mine}),
        "mape_5_25": round(100 * float(np.abs(errors).mean()), 2) if mine else None,
        "bias_5_25": round(100 * float(errors.mean()), 2) if mine else None,
        "bias_95": None,
        "coverage_80": round(float(np.mean(covered)), 3) if covered else None,
        "width_80": round(100 * float(np.mean(widths)), 1) if widths else None,
        "vs_ours": None,
        "met": None,
        "fit_s": None if seconds is None else round(seconds, 1),
    }


def _bootstrap_range(cells: list[Cell], rival: str, rng: np.random.Generator) -> str:
    """95 % range of (our MAPE - theirs) in points, resampling (scope, month) units."""
    by_key = {(c.forecaster, c.unit, c.elapsed): abs(c.error) for c in cells}
    diffs: dict[tuple[int, int], list[float]] = defaultdict(list)
    for (name, unit, elapsed), theirs in by_key.items():
        ours = by_key.get((DEFAULT_FORECASTER, unit, elapsed))
        if name == rival and ours is not None:
            diffs[unit].append(ours - theirs)
    if not diffs:
        return "n/a"
    per_unit = np.array([np.mean(values) for values in diffs.values()])
    draws = rng.choice(per_unit, size=(BOOTSTRAP_DRAWS, per_unit.size)).mean(axis=1)
    low, high = 100 * np.quantile(draws, [0.025, 0.975])
    return f"{low:+.2f}..{high:+.2f}"


def _bias_range(cells: list[Cell], rng: np.random.Generator) -> str:
    """95 % range of the bias in %, resampling (scope, month) units: the forecasts of one
    month share its surprises, so the month, not the forecast, is the unit of evidence."""
    by_unit: dict[tuple[int, int], list[float]] = defaultdict(list)
    for cell in cells:
        by_unit[cell.unit].append(cell.error)
    if not by_unit:
        return "n/a"
    per_unit = np.array([np.mean(errors) for errors in by_unit.values()])
    draws = rng.choice(per_unit, size=(BOOTSTRAP_DRAWS, per_unit.size)).mean(axis=1)
    low, high = 100 * np.quantile(draws, [0.025, 0.975])
    return f"{low:+.2f}..{high:+.2f}"


def _mark_targets(rows: list[dict[str, object]]) -> None:
    """On the default's row: which of the issue's targets it meets (MAPE on the compared
    scopes, bias and coverage on all of ours)."""
    by_name = {row["forecaster"]: row for row in rows}
    default, wide = by_name[DEFAULT_FORECASTER], by_name[f"{DEFAULT_FORECASTER}*"]
    missed = [
        f"mape>{name}"
        for name in ESTABLISHED
        if by_name[name]["mape_5_25"] is not None
        and _num(default["mape_5_25"]) >= _num(by_name[name]["mape_5_25"])
    ]
    if abs(_num(wide["bias_5_25"])) > 0.5:
        missed.append("bias")
    if not 0.75 <= _num(wide["coverage_80"]) <= 0.85:
        missed.append("coverage")
    default["met"] = "yes" if not missed else "no: " + ", ".join(missed)


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scopes", type=int, default=8, help="scopes per generator, all models")
    parser.add_argument("--ours-scopes", type=int, default=24, help="scopes for ours alone")
    parser.add_argument("--months", type=int, default=3, help="months back-tested per scope")
    parser.add_argument(
        "--ours-months", type=int, default=6, help="months back-tested per scope, ours alone"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--generators", nargs="+", default=list(GENERATORS), choices=GENERATORS)
    parser.add_argument("--jobs", type=int, default=2, help="generators in parallel")
    parser.add_argument("--json", dest="json_path", default=None, help="also write JSON here")
    parser.add_argument(
        "--competitor-cache",
        default=None,
        metavar="DIR",
        help="keep competitors' forecasts in DIR and reuse them (e.g. benchmarks/out/cache)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    count = len(args.generators)
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = pool.map(
            run_generator,
            args.generators,
            [args.scopes] * count,
            [args.ours_scopes] * count,
            [args.months] * count,
            [args.ours_months] * count,
            [args.seed] * count,
            [args.competitor_cache] * count,
        )
        rows = []
        for generator, generator_rows in zip(args.generators, runs, strict=True):
            rows += generator_rows
            done = time.perf_counter() - started
            print(f"{generator}: done after {done:.0f} s", file=sys.stderr, flush=True)
    title = (
        f"Month-end forecasts, days 5-25: {args.scopes} scopes x {args.months} months per "
        f"generator ({DEFAULT_FORECASTER}* and short: {args.ours_scopes} x {args.ours_months}), "
        f"seed {args.seed}, "
        f"{time.perf_counter() - started:.0f} s (MAPE, bias, width in %)"
    )
    emit(title, rows, args.json_path)


if __name__ == "__main__":
    main()
