"""What the cost store hands the domain: spend per period for one scope, and how fresh it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SpendPoint:
    """Spend whose charge period starts at `start` (UTC, hour-aligned) and lasts `hours`."""

    start: datetime
    amount: Decimal
    hours: int = 1


@dataclass(frozen=True, slots=True)
class SpendSeries:
    """Spend for one scope in one currency, ordered by `start`.

    `as_of` is the end of the last complete period of data actually present in the store
    (DESIGN.md section 3): KPIs never count the current partial day as complete.
    """

    currency: str
    points: tuple[SpendPoint, ...]
    as_of: datetime | None
