"""The foreign-currency rule at ingest (`domain.fx`): a row in another currency than the billing
currency loads only when finance.yaml has a rate for its month; otherwise it is a bad row,
named by file and line (and moved to the rejects file under --skip-bad-rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finance_pack.costs.checks import Check
from finance_pack.costs.rollup import STAGED, local_date_sql
from finance_pack.domain.currencies import ISO_4217_CODES
from finance_pack.domain.fx import FxTable


@dataclass(frozen=True)
class CurrencyRule:
    """The billing currency and the dated rates rows in other currencies need."""

    billing_currency: str
    fx: FxTable

    def unconvertible_checks(self, con: Any, load_id: int, timezone: str) -> tuple[Check, ...]:
        """One check per (currency, local month) of the staged load that has no rate: cheap,
        it reads the few distinct pairs of the staged rollup, not the rows."""
        pairs = con.execute(
            f"""SELECT DISTINCT "BillingCurrency", strftime(usage_date, '%Y-%m')
                FROM {STAGED}
                WHERE load_id = {int(load_id)} AND "BillingCurrency" <> ?
                ORDER BY 1, 2""",
            [self.billing_currency],
        ).fetchall()
        local_day = local_date_sql('"ChargePeriodStart"', timezone)
        month = f"strftime({local_day}, '%Y-%m')"
        return tuple(
            Check(
                "BillingCurrency",
                f"\"BillingCurrency\" = '{currency}' AND {month} = '{when}'",
                f"{currency} is not the billing currency {self.billing_currency} and "
                f"finance.yaml fx_rates has no {currency}/{self.billing_currency} rate for {when}",
            )
            for currency, when in pairs
            # Unknown codes are refused by the ISO 4217 check already; the values are then
            # safe to quote (three capital letters).
            if currency in ISO_4217_CODES
            and not self.fx.covers(currency, self.billing_currency, when)
        )
