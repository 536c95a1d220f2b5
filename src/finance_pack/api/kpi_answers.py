"""The KPI use case as the API and the dashboard serve it: one computation per question on a
data snapshot, budget version and clock step, kept in the app's `KpiCache`.

`/v1/kpis` and the budgets page ask the same question (month, budgets, forecaster) and share
one `BudgetReport`; each keeps its own serialised form (JSON bytes, the page's cards) beside it,
so a repeated read serialises nothing and a conditional one (`If-None-Match`) computes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from finance_pack.api.kpi_cache import (
    CacheKeys,
    KpiCache,
    answer_keys,
    clock_step,
    entity_tags,
)
from finance_pack.costs.queries import CostQueries
from finance_pack.costs.snapshots import SnapshotView
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.budget_snapshot import BudgetSnapshot
from finance_pack.domain.budgets import Budget, BudgetFailure
from finance_pack.domain.kpis import KpiReport
from finance_pack.services.reporting import (
    ReportSettings,
    budget_snapshots,
    chosen_budgets,
    cost_snapshot,
    default_month,
    parse_month,
)
from finance_pack.store.budgets import budgets_version

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KpiQuestion:
    month: str | None = None  # YYYY-MM; None: the month of the clock step
    budgets: tuple[str, ...] | None = None  # None: every budget in force
    forecaster: str | None = None  # None: finance.yaml's

    def asked(self) -> dict[str, Any]:
        budgets = sorted(self.budgets) if self.budgets else None
        return {"month": self.month, "budgets": budgets, "forecaster": self.forecaster}


@dataclass(frozen=True, slots=True)
class BudgetReport:
    """Everything the KPI answers show, for one question at one instant (`at`)."""

    month: BillingMonth
    at: datetime
    forecaster: str
    budgets: tuple[Budget, ...]
    items: tuple[BudgetSnapshot | BudgetFailure, ...]  # one per budget, in `budgets` order
    broken: tuple[BudgetFailure, ...]  # stored rows that are not valid budgets
    as_of: datetime | None
    newest: tuple[tuple[str, datetime], ...]  # newest data per provider

    def rows(self) -> list[KpiReport | BudgetFailure]:
        """`/v1/kpis`'s rows: every budget by name, a failure in its own row."""
        reports = [i.report if isinstance(i, BudgetSnapshot) else i for i in self.items]
        return sorted([*reports, *self.broken], key=lambda row: row.budget)


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """An answer and its `ETag` (None: the store has no snapshots, nothing is cached);
    `value` is None when the caller's `If-None-Match` already holds it (answer 304).
    `behind`: the answer is an older snapshot's, served while the current one is computed."""

    etag: str | None
    value: T | None
    behind: bool = False


def kpi_answer(
    state: Any,
    kind: str,
    question: KpiQuestion,
    build: Callable[[BudgetReport], T],
    *,
    now: datetime,
    if_none_match: str | None = None,
    audience: str = "",
) -> Answer[T]:
    """`build(report)` for `question`, computed once per snapshot, budget version and clock
    step (`kind` names what `build` makes); `audience` is what else the answer shows (the
    signed-in subject on a page), part of its `ETag`."""
    at = clock_step(now)

    def compute(view: SnapshotView, keys_for: KeysFor) -> T:
        cache: KpiCache = state.kpi_cache
        shared = keys_for("report")
        if shared is None:
            return build(_report(state, view, question, at))
        _key, report = cache.get_or_compute(shared.key, lambda: _report(state, view, question, at))
        return build(report)

    return snapshot_answer(
        state,
        kind,
        question.asked(),
        compute,
        now=now,
        if_none_match=if_none_match,
        audience=audience,
    )


KeysFor = Callable[[str], CacheKeys | None]


def snapshot_answer(
    state: Any,
    kind: str,
    asked: dict[str, Any],
    compute: Callable[[SnapshotView, KeysFor], T],
    *,
    now: datetime | None,
    if_none_match: str | None = None,
    audience: str = "",
    in_background: bool = False,
) -> Answer[T]:
    """`compute(view, keys_for)` once per cost-store snapshot, budget version, request
    (`kind`, `asked`) and, unless `now` is None, clock step; `keys_for(kind)` keys another
    answer on the same snapshot and version (one the computation shares).

    `in_background` (`KpiCache`): the previous snapshot's answer, if any, is returned at once
    and the computation runs after `view` is closed, so it must open the store itself.
    """
    # The version is read before the budgets a computation reads, so an answer is never older
    # than its key (a change in between gives a newer answer under the older key, and the
    # next request, seeing the new version, computes again).
    with state.engine.connect() as connection:
        version = budgets_version(connection)
    url, timezone = state.context.cost_store_url, state.context.config.timezone
    with cost_snapshot(url, timezone) as view:
        snapshot_id = view.snapshot_id

        def keys_for(other: str) -> CacheKeys | None:
            if snapshot_id is None:  # a backend without snapshots: nothing to key a cache on
                return None
            return answer_keys(other, snapshot_id, version, asked, now)

        keys = keys_for(kind)
        if keys is None:
            return Answer(None, compute(view, keys_for))
        if _etag(keys.key, audience) in entity_tags(if_none_match):
            return Answer(_etag(keys.key, audience), None)
        cache: KpiCache = state.kpi_cache
        key, value = cache.get_or_compute(
            keys.key,
            lambda: compute(view, keys_for),
            question=keys.question,
            in_background=in_background,
        )
    etag = _etag(key, audience)
    behind = key != keys.key
    if behind and etag in entity_tags(if_none_match):
        return Answer(etag, None, behind)  # the caller holds the older answer already
    return Answer(etag, value, behind)


def _etag(key: str, audience: str) -> str:
    return f'"{key}-{audience}"' if audience else f'"{key}"'


def _report(state: Any, view: SnapshotView, question: KpiQuestion, at: datetime) -> BudgetReport:
    config = state.context.config
    chosen, broken = chosen_budgets(state.engine, config, question.budgets)
    settings = ReportSettings.from_config(config, question.forecaster)
    month = parse_month(question.month, config.timezone) or default_month(settings, at)
    queries = CostQueries(view.store.backend)
    items = budget_snapshots(
        queries, chosen, settings, now=at, month=month, movers=False, days=True
    )
    return BudgetReport(
        month=month,
        at=at,
        forecaster=settings.forecaster,
        budgets=tuple(chosen),
        items=tuple(items),
        broken=tuple(broken),
        as_of=queries.as_of(),
        newest=tuple(sorted(queries.freshness_by_provider().items())),
    )
