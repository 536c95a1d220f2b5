"""The Stripe emulator: an in-memory account with the invoicing subset of Stripe's API.

`ledger.py` keeps the objects and the event log, `invoicing.py` the invoice items and
invoices, this module the customers and webhook endpoints; `app.py` serves it all over HTTP.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from finance_pack.sandbox.stripe import objects
from finance_pack.sandbox.stripe.errors import StripeApiError, metadata_param, required_param
from finance_pack.sandbox.stripe.invoicing import Invoicing
from finance_pack.sandbox.stripe.ledger import DEFAULT_API_KEY, RequestContext

__all__ = ["DEFAULT_API_KEY", "RequestContext", "StripeApiError", "StripeEmulator"]


class StripeEmulator(Invoicing):
    """In-memory Stripe account; thread-safe. `public_url` roots hosted pages and PDF links."""

    def create_customer(self, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        with self._lock:
            prefix = "".join(secrets.choice("ABCDEF0123456789") for _ in range(8))
            obj = objects.customer(
                self.now(),
                params.get("name"),
                params.get("email"),
                metadata_param(params),
                prefix,
            )
            self.customers[obj["id"]] = obj
            self._emit("customer.created", obj, ctx)
            return copy.deepcopy(obj)

    def create_endpoint(self, params: dict[str, Any], ctx: RequestContext | None) -> dict[str, Any]:
        url = required_param(params, "url")
        events = params.get("enabled_events")
        if not isinstance(events, list) or not events:
            raise StripeApiError(
                400, "Missing required param: enabled_events.", param="enabled_events"
            )
        secret = "whsec_" + secrets.token_hex(16)
        with self._lock:
            obj = objects.webhook_endpoint(
                self.now(), url, [str(e) for e in events], params.get("description"), secret
            )
            self.endpoints[obj["id"]] = obj
            return copy.deepcopy(obj)
