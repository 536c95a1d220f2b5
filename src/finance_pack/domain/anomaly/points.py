"""Spend points as the watcher receives them, and the series they belong to.

A series is a combination of dimensions (provider, account, service, region, plus dimensions
the operator configures); its key is the dimensions in a fixed order. The incident group of a
series is its provider and account: one cause (a deploy, a leaked cluster) tends to light up
several services of one account at once, and those become one incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from finance_pack.domain.currencies import UnknownCurrencyError, normalize_currency

CORE_DIMENSIONS = ("provider", "account", "service", "region")
GROUP_DIMENSIONS = ("provider", "account")
# No single interval of one series costs a billion: such a value is a unit or parsing error.
ABSURD_AMOUNT = Decimal("1000000000")


class PointError(ValueError):
    """A point that cannot be accepted; `location` says where (e.g. `[3].cost`)."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


@dataclass(frozen=True, slots=True)
class StreamPoint:
    dimensions: tuple[tuple[str, str], ...]
    start: datetime
    end: datetime
    cost: Decimal
    currency: str
    # Computed once: the watcher looks them up several times per point.
    series_key: str = field(init=False, compare=False)
    group_key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        mapping = dict(self.dimensions)
        object.__setattr__(self, "series_key", series_key(mapping))
        object.__setattr__(self, "group_key", group_key(mapping))

    @property
    def interval_seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def series_key(dimensions: Mapping[str, str]) -> str:
    core = [f"{name}={dimensions[name]}" for name in CORE_DIMENSIONS if name in dimensions]
    extra = [f"{k}={v}" for k, v in sorted(dimensions.items()) if k not in CORE_DIMENSIONS]
    return "|".join(core + extra)


def group_key(dimensions: Mapping[str, str]) -> str:
    return series_key({k: v for k, v in dimensions.items() if k in GROUP_DIMENSIONS})


def parse_key(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split("|") if "=" in part)


def in_scope(key: str, scope: str) -> bool:
    """True when every dimension the scope names has the same value in the series key."""
    wanted, have = parse_key(scope), parse_key(key)
    return all(have.get(name) == value for name, value in wanted.items())


def _time(value: Any, location: str) -> datetime:
    if not isinstance(value, str):
        raise PointError(location, "expected an ISO 8601 time as a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PointError(location, f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise PointError(location, f"{value!r} has no UTC offset; add Z or +00:00")
    return moment.astimezone(UTC)


def _cost(value: Any, location: str) -> Decimal:
    # Money arrives as a decimal string (exact); a JSON number is taken by its text, and a
    # float never gets here (the API parses numbers as Decimal).
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PointError(location, 'expected a decimal string such as "12.34"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PointError(location, f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise PointError(location, f"{value!r} is not a finite amount")
    if abs(amount) >= ABSURD_AMOUNT:
        raise PointError(location, f"{value} is not a plausible cost for one interval")
    return amount


def _dimensions(value: Any, location: str, allowed: frozenset[str]) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not value:
        raise PointError(location, "expected an object of dimension names to values")
    for name, item in value.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise PointError(f"{location}.{name}", f"unknown dimension (known: {known})")
        if not isinstance(item, str) or not item or "|" in item or "=" in item:
            raise PointError(f"{location}.{name}", "expected a non-empty string without | or =")
    if "provider" not in value:
        raise PointError(f"{location}.provider", "required")
    return tuple(sorted(value.items()))


def parse_point(raw: Any, location: str, extra_dimensions: Iterable[str] = ()) -> StreamPoint:
    """One point from its JSON object; raises PointError naming the field."""
    if not isinstance(raw, dict):
        raise PointError(location, "expected a JSON object")
    unknown = sorted(set(raw) - {"dimensions", "start", "end", "cost", "currency"})
    if unknown:
        raise PointError(f"{location}.{unknown[0]}", "unknown field")
    allowed = frozenset(CORE_DIMENSIONS) | frozenset(extra_dimensions)
    dimensions = _dimensions(raw.get("dimensions"), f"{location}.dimensions", allowed)
    start = _time(raw.get("start"), f"{location}.start")
    end = _time(raw.get("end"), f"{location}.end")
    if end <= start:
        raise PointError(f"{location}.end", "must be after start")
    try:
        currency = normalize_currency(str(raw.get("currency", "")))
    except UnknownCurrencyError as exc:
        raise PointError(f"{location}.currency", str(exc)) from None
    return StreamPoint(dimensions, start, end, _cost(raw.get("cost"), f"{location}.cost"), currency)


def parse_points(items: Sequence[Any], extra_dimensions: Iterable[str] = ()) -> list[StreamPoint]:
    extra = tuple(extra_dimensions)
    return [parse_point(item, f"[{index}]", extra) for index, item in enumerate(items)]
