"""Budgets in force: those managed at run time (state store) over those in finance.yaml.

finance.yaml declares budgets; `brctl finance budget set` and `PUT /v1/budgets/{name}` manage
them at run time in the state store, where several replicas see the same set. A managed budget
with a declared budget's name overrides it; deleting a budget that only finance.yaml declares is
refused (edit the file), so the two sources never silently disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from finance_pack.domain.budgets import Budget, Scope, Threshold
from finance_pack.domain.money import Money
from finance_pack.errors import NotFoundError, UsageError
from finance_pack.store.tables import budgets as budgets_table


class BudgetSource(StrEnum):
    CONFIG = "finance.yaml"
    MANAGED = "managed"
    OVERRIDE = "managed (overrides finance.yaml)"


@dataclass(frozen=True)
class BudgetEntry:
    budget: Budget
    source: BudgetSource
    updated_at: datetime | None = None
    updated_by: str | None = None


def scope_to_json(scope: Scope) -> dict[str, Any]:
    return {
        "providers": sorted(scope.providers),
        "accounts": sorted(scope.accounts),
        "services": sorted(scope.services),
        "regions": sorted(scope.regions),
        "tags": {key: sorted(values) for key, values in sorted(scope.tags.items())},
    }


def scope_from_json(data: dict[str, Any]) -> Scope:
    return Scope(
        providers=frozenset(data.get("providers", [])),
        accounts=frozenset(data.get("accounts", [])),
        services=frozenset(data.get("services", [])),
        regions=frozenset(data.get("regions", [])),
        tags={key: frozenset(values) for key, values in data.get("tags", {}).items()},
    )


def budget_to_json(budget: Budget) -> dict[str, Any]:
    """The API's and the audit log's form of a budget; money as a decimal string."""
    return {
        "name": budget.name,
        "amount": f"{budget.amount.amount.normalize():f}",
        "currency": budget.amount.currency,
        "scope": scope_to_json(budget.scope),
        "thresholds": [str(t) for t in budget.thresholds],
    }


def _row_to_budget(row: Any) -> Budget:
    return Budget(
        name=row.name,
        amount=Money(Decimal(row.amount), row.currency),
        scope=scope_from_json(json.loads(row.scope_json)),
        thresholds=tuple(Threshold.parse(t) for t in json.loads(row.thresholds_json)),
    )


def effective_budgets(connection: Connection, declared: Sequence[Budget]) -> list[BudgetEntry]:
    """Every budget in force, by name."""
    managed = {row.name: row for row in connection.execute(select(budgets_table))}
    declared_names = {b.name for b in declared}
    entries = [BudgetEntry(b, BudgetSource.CONFIG) for b in declared if b.name not in managed]
    for name, row in managed.items():
        source = BudgetSource.OVERRIDE if name in declared_names else BudgetSource.MANAGED
        entries.append(BudgetEntry(_row_to_budget(row), source, row.updated_at, row.updated_by))
    return sorted(entries, key=lambda e: e.budget.name)


def find_budget(connection: Connection, declared: Sequence[Budget], name: str) -> BudgetEntry:
    for entry in effective_budgets(connection, declared):
        if entry.budget.name == name:
            return entry
    raise NotFoundError(
        f"no budget named {name!r}", hint="list them with: brctl finance budget list"
    )


def save_budget(connection: Connection, budget: Budget, actor: str, now: datetime) -> None:
    """Create or replace a managed budget (inside the caller's audited transaction)."""
    values = {
        "amount": budget.amount.amount,
        "currency": budget.amount.currency,
        "scope_json": json.dumps(scope_to_json(budget.scope), sort_keys=True),
        "thresholds_json": json.dumps([str(t) for t in budget.thresholds]),
        "updated_at": now,
        "updated_by": actor,
    }
    updated = connection.execute(
        budgets_table.update().where(budgets_table.c.name == budget.name).values(**values)
    )
    if updated.rowcount == 0:
        connection.execute(budgets_table.insert().values(name=budget.name, **values))


def delete_budget(connection: Connection, declared: Sequence[Budget], name: str) -> BudgetEntry:
    """Remove a managed budget; returns what was removed. A declared-only budget is refused."""
    entry = find_budget(connection, declared, name)
    if entry.source is BudgetSource.CONFIG:
        raise UsageError(
            f"budget {name!r} is declared in finance.yaml",
            hint="remove it from finance.yaml; only managed budgets can be deleted here",
        )
    connection.execute(budgets_table.delete().where(budgets_table.c.name == name))
    return entry
