"""The cost explorer use case, as the CLI (`brctl finance costs`), the API (`GET /v1/costs`) and
the dashboard call it: resolve the month, read one snapshot of the store, shape the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from finance_pack.context import PackContext
from finance_pack.costs.breakdown import Breakdown, GroupBy, cost_breakdown
from finance_pack.domain.billing_month import BillingMonth
from finance_pack.domain.currencies import minor_unit_exponent
from finance_pack.errors import UsageError
from finance_pack.services.reporting import cost_queries

COLUMNS = ["key", "currency", "amount", "previous", "change", "change_pct"]


def explore_costs(
    context: PackContext, group_by: str, month: str | None, now: datetime
) -> Breakdown:
    """Spend of `month` (default: the month containing `now` in the billing time zone)."""
    config = context.config
    group = GroupBy.parse(group_by)
    try:
        billing_month = (
            BillingMonth.parse(month, config.timezone)
            if month
            else BillingMonth.containing(now, config.timezone)
        )
    except ValueError as exc:
        raise UsageError(f"month {month!r}: {exc}") from exc
    with cost_queries(context.cost_store_url, config.timezone) as queries:
        return cost_breakdown(queries, group, billing_month, config.cost_metric)


def _money(amount: Decimal, currency: str) -> str:
    quantum = Decimal(1).scaleb(-minor_unit_exponent(currency))
    return f"{amount.quantize(quantum, rounding=ROUND_HALF_EVEN):f}"


def breakdown_rows(breakdown: Breakdown) -> list[dict[str, object]]:
    """The scripting contract: money as decimal strings in the currency's minor unit."""
    return [
        {
            "key": row.key,
            "currency": row.currency,
            "amount": _money(row.amount, row.currency),
            "previous": _money(row.previous, row.currency),
            "change": _money(row.change, row.currency),
            "change_pct": None if row.change_pct is None else f"{row.change_pct:f}",
        }
        for row in breakdown.rows
    ]


def breakdown_json(breakdown: Breakdown) -> dict[str, object]:
    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

    return {
        "group_by": str(breakdown.group_by),
        "month": str(breakdown.month),
        "period": {"start": stamp(breakdown.start), "end": stamp(breakdown.end)},
        "previous_period": {
            "start": stamp(breakdown.previous_start),
            "end": stamp(breakdown.previous_end),
        },
        "rows": breakdown_rows(breakdown),
        "totals": [
            {
                "currency": currency,
                "amount": _money(amount, currency),
                "previous": _money(previous, currency),
            }
            for currency, (amount, previous) in sorted(breakdown.totals().items())
        ],
    }
