"""The canonical cost record (FOCUS 1.0 column names) and the rules that map CUR onto it.

Everything here is data and pure functions: the cost store turns these rules into SQL, and the
tests check the SQL against the Python versions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from finance_pack.domain.instants import as_utc
from finance_pack.domain.money import InvalidAmountError, Money, to_decimal

COST_SCALE = 12  # decimal places the cost store keeps
COST_SQL_TYPE = f"DECIMAL(38,{COST_SCALE})"

# FOCUS column -> SQL type as the readers parse it. Order is the order of the stored table.
FOCUS_COLUMNS: dict[str, str] = {
    "ChargePeriodStart": "TIMESTAMPTZ",
    "ChargePeriodEnd": "TIMESTAMPTZ",
    "BilledCost": COST_SQL_TYPE,
    "EffectiveCost": COST_SQL_TYPE,
    "BillingCurrency": "VARCHAR",
    "ProviderName": "VARCHAR",
    "BillingAccountId": "VARCHAR",
    "SubAccountId": "VARCHAR",
    "ServiceName": "VARCHAR",
    "ServiceCategory": "VARCHAR",
    "RegionId": "VARCHAR",
    "ChargeCategory": "VARCHAR",
    "Tags": "VARCHAR",
}

# Mandatory in FOCUS 1.0 and needed by every KPI; the others may be absent from a file.
REQUIRED_FOCUS_COLUMNS: tuple[str, ...] = (
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "ProviderName",
    "BillingAccountId",
    "ServiceName",
)
OPTIONAL_FOCUS_COLUMNS: tuple[str, ...] = tuple(
    name for name in FOCUS_COLUMNS if name not in REQUIRED_FOCUS_COLUMNS
)


class ChargeCategory(StrEnum):
    USAGE = "Usage"
    PURCHASE = "Purchase"
    TAX = "Tax"
    CREDIT = "Credit"
    ADJUSTMENT = "Adjustment"


@dataclass(frozen=True, slots=True)
class CostRecord:
    """One FOCUS row. Costs may be negative (credits, refunds); they are never NaN or infinite."""

    charge_period_start: datetime
    charge_period_end: datetime
    billed_cost: Money
    effective_cost: Money
    provider_name: str
    billing_account_id: str
    service_name: str
    sub_account_id: str | None = None
    service_category: str | None = None
    region_id: str | None = None
    charge_category: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("charge_period_start", "charge_period_end"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware, got {value!r}")
            object.__setattr__(self, name, value.astimezone(UTC))
        if self.charge_period_end < self.charge_period_start:
            raise ValueError(
                f"charge period ends ({self.charge_period_end.isoformat()}) "
                f"before it starts ({self.charge_period_start.isoformat()})"
            )
        if self.billed_cost.currency != self.effective_cost.currency:
            raise ValueError("BilledCost and EffectiveCost must share the BillingCurrency")

    @property
    def billing_currency(self) -> str:
        return self.billed_cost.currency

    @property
    def billing_period(self) -> datetime:
        return billing_period_start(self.charge_period_start)


def billing_period_start(moment: datetime) -> datetime:
    """The first instant (UTC) of the calendar month holding `moment`: a restatement unit."""
    utc = moment.astimezone(UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def parse_cost(text: str | None) -> Decimal:
    """A FOCUS cost cell: quoted or bare decimal; empty, `NULL`, NaN and infinities refused."""
    if text is None or text.strip() in ("", "NULL"):
        raise InvalidAmountError("cost is empty")
    return to_decimal(text.strip().strip('"'))


def parse_charge_time(text: str) -> datetime:
    """`2024-05-01T00:00:00Z`, `2024-05-01 00:00:00` or with an offset; naive means UTC."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return as_utc(parsed)


def parse_tags(text: str | None) -> dict[str, str]:
    """The FOCUS `Tags` column: a JSON object; empty or `NULL` means no tags."""
    if text is None or text.strip() in ("", "NULL"):
        return {}
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"Tags must be a JSON object, got {type(value).__name__}")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def canonical_tags_json(tags: Mapping[str, str]) -> str:
    """The stored form of Tags: minified JSON in key order as given, UTF-8 kept.

    Matching a tag is a substring test for `"key":"value"` on this form (see `tag_needle`),
    which every Ibis backend can run; it is exact because quotes inside JSON strings are
    escaped, so an unescaped `"` only ever delimits a key or a value.
    """
    return json.dumps(dict(tags), ensure_ascii=False, separators=(",", ":"))


def tag_needle(key: str, value: str) -> str:
    return canonical_tags_json({key: value})[1:-1]


# ---- AWS Cost and Usage Report (CUR 2.0 and legacy) ----------------------------------------


class CurColumn(StrEnum):
    """CUR 2.0 column names; `LEGACY_CUR_NAMES` gives the legacy `lineItem/...` spelling."""

    USAGE_START = "line_item_usage_start_date"
    USAGE_END = "line_item_usage_end_date"
    UNBLENDED_COST = "line_item_unblended_cost"
    NET_UNBLENDED_COST = "line_item_net_unblended_cost"
    LINE_ITEM_TYPE = "line_item_line_item_type"
    CURRENCY = "line_item_currency_code"
    USAGE_ACCOUNT = "line_item_usage_account_id"
    PAYER_ACCOUNT = "bill_payer_account_id"
    SERVICE_CODE = "product_servicecode"
    PRODUCT_CODE = "line_item_product_code"
    REGION = "product_region_code"
    PRODUCT_FAMILY = "product_product_family"
    SP_EFFECTIVE_COST = "savings_plan_savings_plan_effective_cost"
    RI_EFFECTIVE_COST = "reservation_effective_cost"
    RESOURCE_TAGS = "resource_tags"


LEGACY_CUR_NAMES: dict[CurColumn, str] = {
    CurColumn.USAGE_START: "lineItem/UsageStartDate",
    CurColumn.USAGE_END: "lineItem/UsageEndDate",
    CurColumn.UNBLENDED_COST: "lineItem/UnblendedCost",
    CurColumn.NET_UNBLENDED_COST: "lineItem/NetUnblendedCost",
    CurColumn.LINE_ITEM_TYPE: "lineItem/LineItemType",
    CurColumn.CURRENCY: "lineItem/CurrencyCode",
    CurColumn.USAGE_ACCOUNT: "lineItem/UsageAccountId",
    CurColumn.PAYER_ACCOUNT: "bill/PayerAccountId",
    CurColumn.SERVICE_CODE: "product/servicecode",
    CurColumn.PRODUCT_CODE: "lineItem/ProductCode",
    CurColumn.REGION: "product/regionCode",
    CurColumn.PRODUCT_FAMILY: "product/productFamily",
    CurColumn.SP_EFFECTIVE_COST: "savingsPlan/SavingsPlanEffectiveCost",
    CurColumn.RI_EFFECTIVE_COST: "reservation/EffectiveCost",
}
LEGACY_TAG_PREFIX = "resourceTags/"

REQUIRED_CUR_COLUMNS: tuple[CurColumn, ...] = (
    CurColumn.USAGE_START,
    CurColumn.USAGE_END,
    CurColumn.UNBLENDED_COST,
    CurColumn.LINE_ITEM_TYPE,
    CurColumn.CURRENCY,
    CurColumn.USAGE_ACCOUNT,
    CurColumn.PAYER_ACCOUNT,
    CurColumn.PRODUCT_CODE,
)

# Which column holds the amortised (FOCUS EffectiveCost) amount for each line item type; None
# means zero. Upfront and recurring commitment fees are spread into the covered usage rows, and
# the savings-plan negation only exists to cancel covered usage in the unblended view.
AMORTISED_COST_SOURCE: dict[str, CurColumn | None] = {
    "SavingsPlanCoveredUsage": CurColumn.SP_EFFECTIVE_COST,
    "DiscountedUsage": CurColumn.RI_EFFECTIVE_COST,
    "RIFee": None,
    "SavingsPlanRecurringFee": None,
    "SavingsPlanNegation": None,
    "SavingsPlanUpfrontFee": None,
}

CUR_CHARGE_CATEGORY: dict[str, ChargeCategory] = {
    "Usage": ChargeCategory.USAGE,
    "DiscountedUsage": ChargeCategory.USAGE,
    "SavingsPlanCoveredUsage": ChargeCategory.USAGE,
    "SavingsPlanNegation": ChargeCategory.USAGE,
    "Fee": ChargeCategory.PURCHASE,
    "RIFee": ChargeCategory.PURCHASE,
    "SavingsPlanRecurringFee": ChargeCategory.PURCHASE,
    "SavingsPlanUpfrontFee": ChargeCategory.PURCHASE,
    "Tax": ChargeCategory.TAX,
    "Credit": ChargeCategory.CREDIT,
    "Refund": ChargeCategory.CREDIT,
    "BundledDiscount": ChargeCategory.CREDIT,
    "EdpDiscount": ChargeCategory.CREDIT,
}


def amortised_cost(line_item_type: str, amounts: Mapping[CurColumn, Decimal | None]) -> Decimal:
    """EffectiveCost of one CUR line: the rule `AMORTISED_COST_SOURCE` encodes, in Python."""
    if line_item_type not in AMORTISED_COST_SOURCE:
        return amounts.get(CurColumn.UNBLENDED_COST) or Decimal(0)
    column = AMORTISED_COST_SOURCE[line_item_type]
    if column is None:
        return Decimal(0)
    return amounts.get(column) or Decimal(0)


# ---- CloudWatch billing metrics ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CumulativeSample:
    """One `AWS/Billing EstimatedCharges` data point: month-to-date total at `timestamp`."""

    timestamp: datetime
    month_to_date: Decimal


@dataclass(frozen=True, slots=True)
class IntervalSpend:
    """Spend in (`start`, `end`]: the increase of the month-to-date total between two samples."""

    start: datetime
    end: datetime
    amount: Decimal


def interval_spend(samples: Sequence[CumulativeSample]) -> list[IntervalSpend]:
    """Turn cumulative month-to-date samples into per-interval spend.

    Samples may arrive late, out of order and repeated: they are ordered by time and a repeat
    of a timestamp keeps the value seen last. The total resets on the first of each month
    (UTC), so the first sample of a month counts from zero at the month start. A decrease
    within a month (a credit applied) is a negative interval, never dropped.
    """
    latest: dict[datetime, Decimal] = {}
    for sample in samples:
        if sample.timestamp.tzinfo is None:
            raise ValueError("sample timestamps must be timezone-aware")
        latest[sample.timestamp.astimezone(UTC)] = to_decimal(sample.month_to_date)
    intervals: list[IntervalSpend] = []
    previous: tuple[datetime, Decimal] | None = None
    for moment in sorted(latest):
        value = latest[moment]
        month = billing_period_start(moment)
        if previous is None or billing_period_start(previous[0]) != month:
            intervals.append(IntervalSpend(month, moment, value))
        else:
            intervals.append(IntervalSpend(previous[0], moment, value - previous[1]))
        previous = (moment, value)
    return intervals
