"""AWS Cost and Usage Report files (CUR 2.0 names or the legacy `lineItem/...` style) mapped
onto the canonical FOCUS columns, with the amortised cost rule from `domain.costs`."""

from __future__ import annotations

from finance_pack.costs.readers import (
    InputFile,
    cast_sql,
    cur_column_name,
    legacy_cur_layout,
    quote,
    require_columns,
    tags_sql,
)
from finance_pack.domain.costs import (
    AMORTISED_COST_SOURCE,
    COST_SQL_TYPE,
    CUR_CHARGE_CATEGORY,
    LEGACY_TAG_PREFIX,
    REQUIRED_CUR_COLUMNS,
    CurColumn,
)

_TIME_COLUMNS = (CurColumn.USAGE_START, CurColumn.USAGE_END)


def require_cur_columns(file: InputFile) -> None:
    require_columns(file, [cur_column_name(file, c) for c in REQUIRED_CUR_COLUMNS])


def cur_typed_columns(file: InputFile) -> dict[str, str]:
    """Explicit CSV types for the CUR columns we read."""
    # Amounts stay text for the reader: `cost_sql` refuses what a cast would round.
    typed = {cur_column_name(file, c): "TIMESTAMPTZ" for c in _TIME_COLUMNS}
    return {name: kind for name, kind in typed.items() if name in file.columns}


def _column(file: InputFile, column: CurColumn) -> str | None:
    name = cur_column_name(file, column)
    return quote(name) if name in file.columns else None


def _cost(file: InputFile, column: CurColumn) -> str:
    name = _column(file, column)
    # A file without savings-plan or reservation columns has no such line items.
    if not name:
        return "CAST(0 AS DECIMAL(38,12))"
    return cast_sql(name, COST_SQL_TYPE, file.columns[cur_column_name(file, column)])


def effective_cost_sql(file: InputFile) -> str:
    """CASE expression encoding `AMORTISED_COST_SOURCE`; other line types keep unblended."""
    line_type = _column(file, CurColumn.LINE_ITEM_TYPE)
    branches = " ".join(
        f"WHEN {_literal(kind)} THEN "
        + (f"coalesce({_cost(file, source)}, 0)" if source else "CAST(0 AS DECIMAL(38,12))")
        for kind, source in AMORTISED_COST_SOURCE.items()
    )
    return f"CASE {line_type} {branches} ELSE {_cost(file, CurColumn.UNBLENDED_COST)} END"


def charge_category_sql(file: InputFile) -> str:
    line_type = _column(file, CurColumn.LINE_ITEM_TYPE)
    branches = " ".join(
        f"WHEN {_literal(kind)} THEN {_literal(category.value)}"
        for kind, category in CUR_CHARGE_CATEGORY.items()
    )
    return f"CASE {line_type} {branches} ELSE 'Adjustment' END"


def cur_tags_sql(file: InputFile) -> str:
    if legacy_cur_layout(file):
        tag_columns = [n for n in file.columns if n.startswith(LEGACY_TAG_PREFIX)]
        if not tag_columns:
            return "'{}'"
        entries = ", ".join(
            f"struct_pack(k := {_literal(n[len(LEGACY_TAG_PREFIX) :])}, v := {quote(n)})"
            for n in tag_columns
        )
        kept = f"list_filter([{entries}], e -> e.v IS NOT NULL AND e.v <> '')"
        return f"CAST(CAST(map_from_entries({kept}) AS JSON) AS VARCHAR)"
    name = str(CurColumn.RESOURCE_TAGS)
    if name not in file.columns:
        return "'{}'"
    return tags_sql(quote(name), file.columns[name])


def cur_projection_sql(file: InputFile) -> str:
    """SELECT list producing the canonical FOCUS columns from a CUR file."""
    service = _column(file, CurColumn.SERVICE_CODE)
    product = _column(file, CurColumn.PRODUCT_CODE)
    region = _column(file, CurColumn.REGION)
    parts = {
        "ChargePeriodStart": cast_sql(_required(file, CurColumn.USAGE_START), "TIMESTAMPTZ"),
        "ChargePeriodEnd": cast_sql(_required(file, CurColumn.USAGE_END), "TIMESTAMPTZ"),
        "BilledCost": _cost(file, CurColumn.UNBLENDED_COST),
        "EffectiveCost": effective_cost_sql(file),
        "BillingCurrency": f"upper(trim({_required(file, CurColumn.CURRENCY)}))",
        "ProviderName": "'AWS'",
        "BillingAccountId": cast_sql(_required(file, CurColumn.PAYER_ACCOUNT), "VARCHAR"),
        "SubAccountId": cast_sql(_required(file, CurColumn.USAGE_ACCOUNT), "VARCHAR"),
        "ServiceName": f"coalesce(NULLIF({service}, ''), {product})" if service else str(product),
        "ServiceCategory": "NULL",
        "RegionId": cast_sql(region, "VARCHAR") if region else "NULL",
        "ChargeCategory": charge_category_sql(file),
        "Tags": cur_tags_sql(file),
    }
    return ", ".join(f"{expr} AS {quote(name)}" for name, expr in parts.items())


def _required(file: InputFile, column: CurColumn) -> str:
    name = _column(file, column)
    assert name is not None, "require_cur_columns runs first"
    return name


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
