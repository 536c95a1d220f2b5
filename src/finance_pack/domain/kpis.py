"""The KPI glossary made exact (DESIGN.md section 3): MTD spend, daily burn, forecasted
month-end, budget consumption, and status against the budget's thresholds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budgets import Budget, Threshold, ThresholdBasis
from finance_pack.domain.currencies import minor_unit_exponent
from finance_pack.domain.daily import local_daily_totals
from finance_pack.domain.errors import UsageError
from finance_pack.domain.forecasting import (
    DEFAULT_FORECASTER,
    Forecast,
    ForecastRequest,
    daily_burn,
    get_forecaster,
    linear_month_end,
)
from finance_pack.domain.fx import FxTable
from finance_pack.domain.money import CurrencyMismatchError
from finance_pack.domain.spend import SpendPoint, SpendSeries

#: Exchange rates: dated (`FxTable`), or (from, to) -> units of `to` per `from` for any month.
FxRates = FxTable | Mapping[tuple[str, str], Decimal]

_HUNDRED = Decimal(100)
_PERCENT_QUANTUM = Decimal("0.01")
_DAYS_QUANTUM = Decimal("0.0001")


class FutureMonthError(UsageError):
    """KPIs were asked for a month that has not started yet."""

    def __init__(self, month: BillingMonth, now: datetime) -> None:
        super().__init__(
            f"month {month} has not started yet (it starts {month.start.isoformat()}, "
            f"now is {now.astimezone(UTC).isoformat()})",
            hint="pick the current or an earlier month with --month YYYY-MM",
        )
        self.month = month


class MonthBeforeDataError(UsageError):
    """KPIs were asked for a month that ends before the first cost data."""

    def __init__(self, month: BillingMonth, data_start: datetime | None) -> None:
        where = f"starts {data_start.isoformat()}" if data_start else "is empty"
        super().__init__(
            f"no cost data for {month}: the cost store {where}",
            hint="ingest that month's cost data first (brctl finance ingest ...)",
        )
        self.month = month
        self.data_start = data_start


class EmptyCostStoreError(MonthBeforeDataError):
    """The cost store holds no data at all (not a month before the data: nothing to date)."""

    def __init__(self, month: BillingMonth) -> None:
        super().__init__(month, None)
        self.message = "the cost store is empty: no cost data has been ingested yet"
        self.hint = "ingest cost data first (brctl finance ingest focus|cur|aws-ce ...)"
        self.args = (self.message,)


class KpiStatus(StrEnum):
    OK = "ok"
    STALE = "stale"  # the newest data in scope is older than the freshness limit
    WARNING = "warning"  # a threshold crossed, or the forecast over budget
    EXCEEDED = "exceeded"  # actual spend has reached the budget


#: Cost Explorer data can lag up to a day; older than this, a report says it is stale.
DEFAULT_STALE_AFTER = timedelta(hours=36)
_ONE_DAY = Decimal(1)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class KpiReport:
    """Exact KPIs for one budget and month; `to_json_dict` is the scripting contract."""

    budget: str
    month: BillingMonth
    currency: str
    as_of: datetime
    days_in_month: int
    mtd_spend: Decimal
    elapsed_days: Decimal
    daily_burn: Decimal | None
    linear_forecast_month_end: Decimal | None
    forecast_month_end: Decimal | None
    forecast_low: Decimal | None
    forecast_high: Decimal | None
    forecaster: str
    budget_amount: Decimal
    consumption_forecast_pct: Decimal | None
    consumption_actual_pct: Decimal
    status: KpiStatus
    thresholds_crossed: tuple[Threshold, ...]
    no_spend_in_scope: bool
    #: now - as_of: how old the newest data in scope is.
    data_age: timedelta = timedelta(0)
    stale: bool = False
    #: The month has ended and its data is complete: forecast = actual, no interval.
    final: bool = False
    #: What the forecaster fell back to, and why (too little history), else None.
    forecast_fallback: str | None = None

    @property
    def data_age_hours(self) -> Decimal:
        return Decimal(self.data_age // timedelta(minutes=6)) / 10

    def to_json_dict(self) -> dict[str, object]:
        money = self._money_text
        return {
            "budget": self.budget,
            "month": str(self.month),
            "currency": self.currency,
            "as_of": self.as_of.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "mtd_spend": money(self.mtd_spend),
            "elapsed_days": _plain(self.elapsed_days.quantize(_DAYS_QUANTUM)),
            "daily_burn": money(self.daily_burn),
            "forecast_month_end": money(self.forecast_month_end),
            "forecast_low": money(self.forecast_low),
            "forecast_high": money(self.forecast_high),
            "forecaster": self.forecaster,
            "linear_forecast_month_end": money(self.linear_forecast_month_end),
            "budget_amount": money(self.budget_amount),
            "consumption_forecast_pct": _percent_text(self.consumption_forecast_pct),
            "consumption_actual_pct": _percent_text(self.consumption_actual_pct),
            "status": self.status.value,
            "thresholds_crossed": [str(threshold) for threshold in self.thresholds_crossed],
            "no_spend_in_scope": self.no_spend_in_scope,
            "days_in_month": str(self.days_in_month),  # figures are decimal strings (README)
            "data_age_hours": _plain(self.data_age_hours),
            "stale": self.stale,
            "final": self.final,
            "forecast_fallback": self.forecast_fallback,
        }

    def _money_text(self, amount: Decimal | None) -> str | None:
        if amount is None:
            return None
        quantum = Decimal(1).scaleb(-minor_unit_exponent(self.currency))
        return f"{amount.quantize(quantum, rounding=ROUND_HALF_EVEN):f}"


def age_text(age: timedelta) -> str:
    """How old data is, for people: `5h`, `1d 14h` (whole hours, rounded down)."""
    hours = max(int(age // _HOUR), 0)
    return f"{hours}h" if hours < 48 else f"{hours // 24}d {hours % 24}h"


def compute_kpis(
    series: SpendSeries,
    budget: Budget,
    month: BillingMonth,
    *,
    now: datetime,
    as_of: datetime | None = None,
    data_start: datetime | None = None,
    forecaster: str = DEFAULT_FORECASTER,
    fx_rates: FxRates | None = None,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
) -> KpiReport:
    """KPIs of `budget` for `month` from the spend of its scope.

    `as_of` is the end of the last complete period of data (default: `series.as_of`);
    `data_start` the start of the oldest cost data in the store (default: the first point),
    used to tell a month before any data from a quiet one; `now` rules out future months and
    dates the data (`stale` when older than `stale_after`). Points may reach back before the
    month: the seasonal forecaster learns from them.

    Early in a month the burn and the linear forecast are n/a until a whole day has elapsed
    (the seasonal forecaster still answers from history); a month that has ended with its
    data complete is final (forecast = actual, no interval); once a month has ended, its
    forecast-basis thresholds no longer count (nothing can be done about them).
    """
    as_of = _checked_as_of(
        month, now, as_of or series.as_of, data_start or _first_start(series.points)
    )
    currency = budget.amount.currency
    points = _in_currency(series, currency, fx_rates, month)
    window_end = min(max(as_of, month.start), month.end)
    month_start = month.start
    mtd = sum(
        (point.amount for point in points if month_start <= point.start < window_end), Decimal(0)
    )
    elapsed = _elapsed_days(month, window_end)
    final = as_of >= month.end
    early = elapsed < _ONE_DAY
    linear = None if early else linear_month_end(mtd, elapsed, month.days)
    forecast = (
        Forecast(mtd, None, None, forecaster)
        if final
        else _chosen_forecast(forecaster, linear, points, month, window_end, data_start, currency)
    )
    forecast_point = forecast.point if forecast else None
    actual_pct = _percent_of(mtd, budget)
    forecast_pct = None if forecast_point is None else _percent_of(forecast_point, budget)
    ended = now >= month.end
    crossed = _crossed(budget.thresholds, actual_pct, None if ended else forecast_pct)
    data_age = max(now - as_of, timedelta(0))
    stale = not final and data_age > stale_after
    status = _status(budget.thresholds, crossed, actual_pct, None if ended else forecast_pct)
    return KpiReport(
        budget=budget.name,
        month=month,
        currency=currency,
        as_of=as_of,
        days_in_month=month.days,
        mtd_spend=mtd,
        elapsed_days=elapsed,
        daily_burn=None if early else daily_burn(mtd, elapsed),
        linear_forecast_month_end=linear,
        forecast_month_end=forecast_point,
        forecast_low=forecast.low if forecast else None,
        forecast_high=forecast.high if forecast else None,
        forecaster=forecast.forecaster if forecast else forecaster,
        budget_amount=budget.amount.amount,
        consumption_forecast_pct=forecast_pct,
        consumption_actual_pct=actual_pct,
        # A crossed threshold is still news when the feed is late; "ok" is not.
        status=KpiStatus.STALE if stale and status is KpiStatus.OK else status,
        thresholds_crossed=crossed,
        # Stores fill quiet days with zero points, so 'no spend' means no non-zero amount.
        no_spend_in_scope=not any(
            point.amount for point in points if month_start <= point.start < window_end
        ),
        data_age=data_age,
        stale=stale,
        forecast_fallback=forecast.fallback if forecast else None,
        final=final,
    )


def crossed_thresholds(report: KpiReport, budget: Budget) -> list[Threshold]:
    """The thresholds of `budget` that `report` has reached (what alerting posts once); a
    final month's forecast is its actual, and forecast-basis thresholds no longer count."""
    forecast_pct = None if report.final else report.consumption_forecast_pct
    return list(_crossed(budget.thresholds, report.consumption_actual_pct, forecast_pct))


def _checked_as_of(
    month: BillingMonth, now: datetime, as_of: datetime | None, data_start: datetime | None
) -> datetime:
    """`as_of`, once sure the month has started and is not entirely before the data."""
    if month.start > now:
        raise FutureMonthError(month, now)
    if as_of is None and data_start is None:
        raise EmptyCostStoreError(month)
    if as_of is None or (data_start is not None and data_start >= month.end):
        raise MonthBeforeDataError(month, data_start)
    return as_of


def _first_start(points: Sequence[SpendPoint]) -> datetime | None:
    return min((point.start for point in points), default=None)


def _in_currency(
    series: SpendSeries, currency: str, fx_rates: FxRates | None, month: BillingMonth
) -> tuple[SpendPoint, ...]:
    """The series' points in the budget's currency, converted only through an explicit table,
    each point with the rate of its local month."""
    if series.currency == currency:
        return series.points
    table = fx_rates if isinstance(fx_rates, FxTable) else FxTable.constant(fx_rates or {})
    if not any(
        pair in table.rates for pair in ((series.currency, currency), (currency, series.currency))
    ):
        raise CurrencyMismatchError(series.currency, currency)
    return tuple(
        SpendPoint(
            point.start,
            table.convert(
                point.amount, series.currency, currency, point.start.astimezone(month.zone).date()
            ),
            point.hours,
        )
        for point in series.points
    )


def _elapsed_days(month: BillingMonth, window_end: datetime) -> Decimal:
    """Days since the month started, counted on the billing zone's wall clock.

    Wall-clock days (not 24-hour UTC days) so that a month spanning a daylight-saving change
    still has exactly `days_in_month` elapsed days once complete, and the linear forecast of a
    complete month equals its actual spend.
    """
    local_end = window_end.astimezone(month.zone).replace(tzinfo=None)
    local_start = datetime(month.year, month.month, 1)
    elapsed = local_end - local_start
    return Decimal(elapsed // timedelta(microseconds=1)) / Decimal(86_400_000_000)


def _chosen_forecast(
    name: str,
    linear: Decimal | None,
    points: Sequence[SpendPoint],
    month: BillingMonth,
    window_end: datetime,
    data_start: datetime | None,
    currency: str,
) -> Forecast | None:
    forecaster = get_forecaster(name)
    # The KPI's own linear figure: exact with fractional (hourly) elapsed days.
    linear_forecast = None if linear is None else Forecast(linear, None, None, "linear")
    if forecaster.name == "linear":
        return linear_forecast
    daily = local_daily_totals(points, month.zone, window_end, data_start=data_start)
    quantum = Decimal(1).scaleb(-minor_unit_exponent(currency))
    # The first local day not complete yet: the one window_end falls in (or starts).
    cutoff = min(window_end.astimezone(month.zone).date(), month.next().first_day)
    cutoff = max(cutoff, month.first_day)
    request = ForecastRequest(daily, month.year, month.month, cutoff, quantum)
    # Hourly data can give a burn before the first local day completes: show that, and say so.
    return forecaster.forecast(request) or linear_forecast


def _crossed(
    thresholds: Sequence[Threshold], actual_pct: Decimal, forecast_pct: Decimal | None
) -> tuple[Threshold, ...]:
    def reached(threshold: Threshold) -> bool:
        if threshold.basis is ThresholdBasis.ACTUAL:
            return actual_pct >= threshold.percent
        return forecast_pct is not None and forecast_pct >= threshold.percent

    return tuple(threshold for threshold in thresholds if reached(threshold))


def _status(
    thresholds: Sequence[Threshold],
    crossed: Sequence[Threshold],
    actual_pct: Decimal,
    forecast_pct: Decimal | None,
) -> KpiStatus:
    if actual_pct >= _HUNDRED:
        return KpiStatus.EXCEEDED
    # A budget without thresholds still warns when it is forecast to run over.
    over_forecast = not thresholds and forecast_pct is not None and forecast_pct >= _HUNDRED
    return KpiStatus.WARNING if crossed or over_forecast else KpiStatus.OK


def _percent_of(amount: Decimal, budget: Budget) -> Decimal:
    return amount / budget.amount.amount * _HUNDRED


def _percent_text(percent: Decimal | None) -> str | None:
    return None if percent is None else f"{percent.quantize(_PERCENT_QUANTUM):f}"


def _plain(value: Decimal) -> str:
    """`24.5000` -> `24.5`, `100` stays `100` (normalize alone would give `1E+2`)."""
    return f"{value.normalize():f}"
