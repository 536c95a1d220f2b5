"""Changing budgets: validated and audited in one transaction, the same from the CLI and the API.

A change names only what it changes: an amount, a currency, a scope or thresholds left out keep
their current values (a finance.yaml budget overridden from the CLI keeps its thresholds), and
the result says which fields changed. The before-image is read inside the transaction that
writes the change, with the budget held (see `store.budgets.budget_write`), so concurrent
changes of one budget chain in the audit log: each record's `before` is the previous `after`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from finance_pack.access.actors import Actor
from finance_pack.access.audit import record_audit
from finance_pack.config import FinanceConfig
from finance_pack.domain.budgets import (
    Budget,
    Scope,
    Threshold,
    budget_name_problem,
    normalize_budget_name,
)
from finance_pack.domain.currencies import UnknownCurrencyError
from finance_pack.domain.money import InvalidAmountError, Money
from finance_pack.errors import UsageError
from finance_pack.store.budgets import (
    AnyBudgetEntry,
    BudgetEntry,
    budget_to_json,
    budget_write,
    delete_budget,
    effective_budgets,
    entry_json,
    find_budget,
    save_budget,
)

#: Fields of a budget that a change can set; each is kept when the change leaves it out.
BUDGET_FIELDS = ("amount", "currency", "scope", "thresholds")


@dataclass(frozen=True)
class ScopeChange:
    providers: Sequence[str] = ()
    accounts: Sequence[str] = ()
    services: Sequence[str] = ()
    regions: Sequence[str] = ()
    tags: Sequence[str] = ()  # KEY=VALUE


@dataclass(frozen=True)
class BudgetChange:
    """What a user asked to set; None keeps the current value (required when creating)."""

    name: str
    amount: str | None = None
    currency: str | None = None
    scope: ScopeChange | None = None
    thresholds: Sequence[str] | None = None


@dataclass(frozen=True)
class BudgetChangeResult:
    before: dict[str, Any] | None
    after: dict[str, Any]
    changed: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def created(self) -> bool:
        return self.before is None


def budget_name(text: str) -> str:
    """The canonical (NFKC) form of a budget name typed by a user, or a UsageError."""
    name = normalize_budget_name(text)
    problem = budget_name_problem(name)
    if problem:
        raise UsageError(problem)
    return name


def scope_of(name: str, change: ScopeChange) -> Scope:
    tag_filters: dict[str, set[str]] = {}
    for item in change.tags:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"budget {name}: tag filter {item!r}: expected KEY=VALUE")
        tag_filters.setdefault(key, set()).add(value)
    return Scope(
        providers=frozenset(change.providers),
        accounts=frozenset(change.accounts),
        services=frozenset(change.services),
        regions=frozenset(change.regions),
        tags={k: frozenset(v) for k, v in tag_filters.items()},
    )


def _money(name: str, change: BudgetChange, current: Budget | None) -> Money:
    amount: object = change.amount
    if amount is None and current is not None:
        amount = current.amount.amount
    currency = change.currency or (current.amount.currency if current else None)
    if amount is None or currency is None:
        raise UsageError(
            f"budget {name} does not exist yet: give its amount and currency",
            hint=f"brctl finance budget set {name} --amount 5000 --currency USD",
        )
    try:
        return Money.of(amount, currency)
    except (InvalidAmountError, UnknownCurrencyError) as exc:
        raise UsageError(f"budget {name}: {exc}") from exc


def apply_change(change: BudgetChange, current: Budget | None) -> Budget:
    """The budget after `change` over `current`; every problem is a UsageError naming the field."""
    name = budget_name(change.name)
    money = _money(name, change, current)
    scope = scope_of(name, change.scope) if change.scope is not None else None
    try:
        thresholds = (
            tuple(Threshold.parse(t) for t in change.thresholds)
            if change.thresholds is not None
            else (current.thresholds if current else ())
        )
        return Budget(name, money, scope or (current.scope if current else Scope()), thresholds)
    except ValueError as exc:
        raise UsageError(f"budget {name}: {exc}") from exc


def check_currency(budget: Budget, config: FinanceConfig) -> None:
    """Budgets in another currency than the costs need an FX rate between the two."""
    currency, billing = budget.amount.currency, config.billing_currency
    if currency == billing:
        return
    if f"{billing}/{currency}" in config.fx_rates or f"{currency}/{billing}" in config.fx_rates:
        return
    raise UsageError(
        f"budget {budget.name} is in {currency} but costs are billed in {billing}",
        hint=f'add fx_rates: {{"{billing}/{currency}": "<rate>"}} to finance.yaml, '
        f"or use --currency {billing}",
    )


def _changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[str, ...]:
    if before is None:
        return BUDGET_FIELDS
    return tuple(f for f in BUDGET_FIELDS if before.get(f) != after.get(f))


def _warnings(budget: Budget) -> tuple[str, ...]:
    if budget.thresholds:
        return ()
    return (
        f"budget {budget.name} has no thresholds: it will never alert "
        "(add one with --threshold 80)",
    )


def set_budget(
    engine: Engine, config: FinanceConfig, change: BudgetChange, actor: Actor, now: datetime
) -> BudgetChangeResult:
    """Create or change a managed budget; returns before/after as recorded in the audit."""
    name = budget_name(change.name)
    with budget_write(engine, name) as connection:
        current = find_budget(connection, config.domain_budgets(), name)
        base = current.budget if isinstance(current, BudgetEntry) else None
        budget = apply_change(change, base)
        check_currency(budget, config)
        before = entry_json(current) if current is not None else None
        after = budget_to_json(budget)
        save_budget(connection, budget, actor.subject, now)
        record_audit(
            connection, actor, "budgets.set", f"budget:{name}", before, after, via=actor.via, at=now
        )
    return BudgetChangeResult(before, after, _changed_fields(before, after), _warnings(budget))


def remove_budget(
    engine: Engine, config: FinanceConfig, name: str, actor: Actor, now: datetime
) -> AnyBudgetEntry:
    """Delete a managed budget by its name as stored (even one that is no longer valid)."""
    declared = config.domain_budgets()
    with engine.connect() as connection:
        stored = find_budget(connection, declared, name)
    key = name if stored is not None else normalize_budget_name(name)
    with budget_write(engine, key) as connection:
        removed = delete_budget(connection, declared, key)
        record_audit(
            connection,
            actor,
            "budgets.delete",
            f"budget:{key}",
            entry_json(removed),
            None,
            via=actor.via,
            at=now,
        )
    return removed


def budgets_in_force(engine: Engine, config: FinanceConfig) -> list[AnyBudgetEntry]:
    with engine.connect() as connection:
        return effective_budgets(connection, config.domain_budgets())
