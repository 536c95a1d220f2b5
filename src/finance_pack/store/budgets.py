"""Budgets in force: those managed at run time (state store) over those in finance.yaml.

finance.yaml declares budgets; `brctl finance budget set` and `PUT /v1/budgets/{name}` manage
them at run time in the state store, where several replicas see the same set. A managed budget
with a declared budget's name overrides it; deleting a budget that only finance.yaml declares is
refused (edit the file), so the two sources never silently disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, select, text

from finance_pack.domain.budgets import Budget, BudgetFailure, Scope, Threshold
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


@dataclass(frozen=True)
class BrokenBudgetEntry:
    """A stored row that is not a valid budget (written before today's rules, or by hand).

    It is listed with its error and can be replaced or deleted by name; it never stops the
    other budgets from being read.
    """

    name: str
    source: BudgetSource
    error: str
    stored: dict[str, Any]
    updated_at: datetime | None = None
    updated_by: str | None = None

    def failure(self) -> BudgetFailure:
        return BudgetFailure(self.name, self.error)


AnyBudgetEntry = BudgetEntry | BrokenBudgetEntry


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
        amount=Money.from_minor_units(int(row.amount_minor), row.currency),
        scope=scope_from_json(json.loads(row.scope_json)),
        thresholds=tuple(Threshold.parse(t) for t in json.loads(row.thresholds_json)),
    )


def _stored_json(row: Any) -> dict[str, Any]:
    """A row as it is stored, for a budget that cannot be read (listing and audit)."""
    return {
        "name": row.name,
        "amount_minor": str(row.amount_minor),
        "currency": row.currency,
        "scope": row.scope_json,
        "thresholds": row.thresholds_json,
    }


def _entry(row: Any, source: BudgetSource) -> AnyBudgetEntry:
    try:
        budget = _row_to_budget(row)
    except (ValueError, ArithmeticError, TypeError, AttributeError) as exc:
        error = f"stored budget {row.name[:80]!r} is invalid: {exc}"
        return BrokenBudgetEntry(
            row.name, source, error, _stored_json(row), row.updated_at, row.updated_by
        )
    return BudgetEntry(budget, source, row.updated_at, row.updated_by)


def effective_budgets(connection: Connection, declared: Sequence[Budget]) -> list[AnyBudgetEntry]:
    """Every budget in force, by name; a stored row that is not valid is a BrokenBudgetEntry."""
    managed = {row.name: row for row in connection.execute(select(budgets_table))}
    declared_names = {b.name for b in declared}
    entries: list[AnyBudgetEntry] = [
        BudgetEntry(b, BudgetSource.CONFIG) for b in declared if b.name not in managed
    ]
    for name, row in managed.items():
        source = BudgetSource.OVERRIDE if name in declared_names else BudgetSource.MANAGED
        entries.append(_entry(row, source))
    return sorted(entries, key=entry_name)


def budgets_version(connection: Connection) -> str:
    """A digest of the managed budgets as stored, without reading them into budgets: what a
    cached answer is keyed on (any change of any row, or a row added or deleted, changes it)."""
    rows = connection.execute(select(budgets_table).order_by(budgets_table.c.name)).all()
    # `repr` of the rows' plain values (str, int, datetime) is exact and a tenth of the cost
    # of JSON: this runs on every cached read.
    return hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()


def entry_name(entry: AnyBudgetEntry) -> str:
    return entry.budget.name if isinstance(entry, BudgetEntry) else entry.name


def entry_json(entry: AnyBudgetEntry) -> dict[str, Any]:
    """A budget's audit and API form; a broken row's stored values and its error."""
    if isinstance(entry, BudgetEntry):
        return budget_to_json(entry.budget)
    return {**entry.stored, "error": entry.error}


def find_budget(
    connection: Connection, declared: Sequence[Budget], name: str
) -> AnyBudgetEntry | None:
    for entry in effective_budgets(connection, declared):
        if entry_name(entry) == name:
            return entry
    return None


def get_budget(connection: Connection, declared: Sequence[Budget], name: str) -> AnyBudgetEntry:
    entry = find_budget(connection, declared, name)
    if entry is None:
        raise NotFoundError(
            f"no budget named {name!r}", hint="list them with: brctl finance budget list"
        )
    return entry


@contextmanager
def budget_write(engine: Engine, name: str) -> Iterator[Connection]:
    """One transaction in which the budget `name` is held against every concurrent writer, so
    the before-image read in it is the one the change replaces (the audit chain holds).

    SQLite: an immediate transaction (the write lock is taken before the first read).
    PostgreSQL: a transaction lock on the name (it also covers a name not created yet, which
    `FOR UPDATE` cannot lock) and the row itself `FOR UPDATE`.
    """
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "sqlite":
            # pysqlite opens its own (deferred) transaction only before a write: begin ours
            # first, so no other writer can slip in between our read and our write.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                {"key": f"finance.budget:{name}"},
            )
            connection.execute(
                select(budgets_table.c.name).where(budgets_table.c.name == name).with_for_update()
            ).all()
        yield connection


def save_budget(connection: Connection, budget: Budget, actor: str, now: datetime) -> None:
    """Create or replace a managed budget (inside `budget_write`): one upsert statement."""
    values = {
        "name": budget.name,
        "amount_minor": budget.amount.to_minor_units(),
        "currency": budget.amount.currency,
        "scope_json": json.dumps(scope_to_json(budget.scope), sort_keys=True),
        "thresholds_json": json.dumps([str(t) for t in budget.thresholds]),
        "updated_at": now,
        "updated_by": actor,
    }
    # The dialects' upserts load only here: every other command that reads budgets skips them.
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = connection.dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(budgets_table)
    changes = {key: value for key, value in values.items() if key != "name"}
    connection.execute(
        insert.values(**values).on_conflict_do_update(index_elements=["name"], set_=changes)
    )


def delete_budget(connection: Connection, declared: Sequence[Budget], name: str) -> AnyBudgetEntry:
    """Remove a managed budget; returns what was removed. A declared-only budget is refused."""
    entry = get_budget(connection, declared, name)
    if entry.source is BudgetSource.CONFIG:
        raise UsageError(
            f"budget {name!r} is declared in finance.yaml",
            hint="remove it from finance.yaml; only managed budgets can be deleted here",
        )
    connection.execute(budgets_table.delete().where(budgets_table.c.name == name))
    return entry
