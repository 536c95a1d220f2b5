"""Changing budgets: validated and audited in one transaction, the same from the CLI and the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from finance_pack.access.actors import Actor
from finance_pack.access.audit import record_audit
from finance_pack.config import FinanceConfig
from finance_pack.domain.budgets import Budget, Scope, Threshold
from finance_pack.domain.currencies import UnknownCurrencyError
from finance_pack.domain.money import InvalidAmountError, Money
from finance_pack.errors import UsageError
from finance_pack.store.budgets import (
    BudgetEntry,
    budget_to_json,
    delete_budget,
    effective_budgets,
    save_budget,
)


def build_budget(
    name: str,
    amount: str,
    currency: str,
    *,
    providers: Sequence[str] = (),
    accounts: Sequence[str] = (),
    services: Sequence[str] = (),
    regions: Sequence[str] = (),
    tags: Sequence[str] = (),
    thresholds: Sequence[str] = (),
) -> Budget:
    """A budget from user input; every problem is a UsageError naming the field."""
    try:
        money = Money.of(amount, currency)
    except (InvalidAmountError, UnknownCurrencyError) as exc:
        raise UsageError(f"budget {name}: {exc}") from exc
    tag_filters: dict[str, set[str]] = {}
    for item in tags:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"budget {name}: tag filter {item!r}: expected KEY=VALUE")
        tag_filters.setdefault(key, set()).add(value)
    scope = Scope(
        providers=frozenset(providers),
        accounts=frozenset(accounts),
        services=frozenset(services),
        regions=frozenset(regions),
        tags={k: frozenset(v) for k, v in tag_filters.items()},
    )
    try:
        parsed = tuple(Threshold.parse(t) for t in thresholds)
        return Budget(name, money, scope, parsed)
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


def set_budget(
    engine: Engine, config: FinanceConfig, budget: Budget, actor: Actor, now: datetime
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Create or replace a managed budget; returns (before, after) as recorded in the audit."""
    check_currency(budget, config)
    with engine.begin() as connection:
        current = {e.budget.name: e for e in effective_budgets(connection, config.domain_budgets())}
        before = budget_to_json(current[budget.name].budget) if budget.name in current else None
        after = budget_to_json(budget)
        save_budget(connection, budget, actor.subject, now)
        record_audit(
            connection,
            actor,
            "budgets.set",
            f"budget:{budget.name}",
            before,
            after,
            via=actor.via,
            at=now,
        )
    return before, after


def remove_budget(
    engine: Engine, config: FinanceConfig, name: str, actor: Actor, now: datetime
) -> BudgetEntry:
    with engine.begin() as connection:
        removed = delete_budget(connection, config.domain_budgets(), name)
        record_audit(
            connection,
            actor,
            "budgets.delete",
            f"budget:{name}",
            budget_to_json(removed.budget),
            None,
            via=actor.via,
            at=now,
        )
    return removed


def budgets_in_force(engine: Engine, config: FinanceConfig) -> list[BudgetEntry]:
    with engine.connect() as connection:
        return effective_budgets(connection, config.domain_budgets())
