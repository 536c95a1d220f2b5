"""What one weekly summary says about one budget: its KPIs, its month so far, its movers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from finance_pack.domain.kpis import KpiReport
from finance_pack.domain.movers import Mover


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    report: KpiReport
    daily: tuple[tuple[date, Decimal], ...] = ()  # complete local days of the month, in order
    service_movers: tuple[Mover, ...] = field(default_factory=tuple)
    account_movers: tuple[Mover, ...] = field(default_factory=tuple)
