"""`StripeGateway`: the invoicing calls the Invoice Bot makes, on the official `stripe` library.

One retry layer, here: the library's own retries are off (`max_network_retries=0`) and tenacity
retries 429, 5xx and connection errors with our backoff, honouring `Retry-After`. Every mutating
call carries the caller's Idempotency-Key, so a retry (here, or after a crash) creates nothing
twice. A 4xx other than 429 is a `StripeRejectedError`: retrying cannot fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

import httpx
import stripe
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from finance_pack.errors import FinanceError, UnavailableError
from finance_pack.providers.stripe.settings import StripeSettings

log = logging.getLogger(__name__)
T = TypeVar("T")


class StripeRejectedError(FinanceError):
    """Stripe refused the request (validation, unknown object): the requester must change it."""

    def __init__(self, message: str, *, code: str | None, param: str | None) -> None:
        where = f" (parameter {param})" if param else ""
        super().__init__(f"Stripe refused the request{where}: {message}")
        self.code = code
        self.param = param


class StripeUnavailableError(UnavailableError):
    """Stripe stayed rate limited, failing or unreachable through all our retries."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(
            f"Stripe is unavailable: {reason}", hint="nothing to fix; it will be retried"
        )
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class StripeInvoice:
    id: str
    status: str
    amount_due: int
    currency: str
    customer: str
    number: str | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    due_date: int | None
    metadata: Mapping[str, str]

    @classmethod
    def of(cls, resource: Any) -> StripeInvoice:
        obj = resource.to_dict() if hasattr(resource, "to_dict") else dict(resource)
        return cls(
            id=str(obj["id"]),
            status=str(obj["status"]),
            amount_due=int(obj["amount_due"]),
            currency=str(obj["currency"]),
            customer=str(obj["customer"]),
            number=obj.get("number"),
            hosted_invoice_url=obj.get("hosted_invoice_url"),
            invoice_pdf=obj.get("invoice_pdf"),
            due_date=obj.get("due_date"),
            metadata=dict(obj.get("metadata") or {}),
        )


class StripeGateway(Protocol):
    def find_or_create_customer(
        self, our_id: str, name: str, email: str | None, key: str
    ) -> str: ...

    def create_invoice(
        self,
        customer: str,
        currency: str,
        days_until_due: int,
        description: str | None,
        metadata: Mapping[str, str],
        key: str,
    ) -> StripeInvoice: ...

    def add_item(
        self,
        customer: str,
        invoice_id: str,
        amount: int,
        currency: str,
        description: str,
        metadata: Mapping[str, str],
        key: str,
    ) -> None: ...

    def finalize(self, invoice_id: str, key: str) -> StripeInvoice: ...

    def send(self, invoice_id: str, key: str) -> StripeInvoice: ...

    def retrieve(self, invoice_id: str) -> StripeInvoice: ...

    def download_pdf(self, url: str) -> bytes: ...

    def events_since(self, types: Sequence[str], created_gte: int) -> list[dict[str, Any]]: ...


_TRANSIENT = (stripe.RateLimitError, stripe.APIConnectionError, stripe.APIError, httpx.HTTPError)


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


class StripeClientGateway:
    """`StripeGateway` on `stripe.StripeClient`, with our retry policy."""

    def __init__(self, settings: StripeSettings) -> None:
        self.settings = settings
        self.client = stripe.StripeClient(
            settings.api_key,
            base_addresses={"api": settings.api_url},
            max_network_retries=0,
        )
        self._http = httpx.Client(timeout=settings.timeout_seconds)

    def _call(self, what: str, call: Callable[[], T]) -> T:
        policy = self.settings.retry

        def wait(state: RetryCallState) -> float:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            after = _retry_after(error) if error is not None else None
            backoff = policy.backoff_seconds(state.attempt_number - 1)
            return max(backoff, policy.rate_limit_seconds(after)) if after else backoff

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning("Stripe %s failed (%s); retry %d", what, error, state.attempt_number)

        retrying = Retrying(
            retry=retry_if_exception_type(_TRANSIENT),
            stop=stop_after_attempt(policy.max_attempts),
            wait=wait,
            sleep=policy.sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            return retrying(call)
        except stripe.InvalidRequestError as exc:
            if isinstance(exc, stripe.IdempotencyError):
                raise StripeRejectedError(
                    str(exc.user_message), code="idempotency_error", param=None
                ) from exc
            raise StripeRejectedError(
                str(exc.user_message), code=exc.code, param=getattr(exc, "param", None)
            ) from exc
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            raise StripeRejectedError(str(exc.user_message), code=exc.code, param=None) from exc
        except _TRANSIENT as exc:
            raise StripeUnavailableError(f"{what}: {exc}", _retry_after(exc)) from exc

    def find_or_create_customer(self, our_id: str, name: str, email: str | None, key: str) -> str:
        """Found by our id in `metadata`, else created under `key` (a crash-retry reuses it)."""
        query = f"metadata['finance_customer_id']:'{our_id}'"
        found = self._call(
            "customers.search",
            lambda: self.client.v1.customers.search(params={"query": query, "limit": 1}),
        )
        if found.data:
            return str(found.data[0].id)
        params: dict[str, Any] = {"name": name, "metadata": {"finance_customer_id": our_id}}
        if email:
            params["email"] = email
        created = self._call(
            "customers.create",
            lambda: self.client.v1.customers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": key},
            ),
        )
        return str(created.id)

    def create_invoice(
        self,
        customer: str,
        currency: str,
        days_until_due: int,
        description: str | None,
        metadata: Mapping[str, str],
        key: str,
    ) -> StripeInvoice:
        params: dict[str, Any] = {
            "customer": customer,
            "currency": currency.lower(),
            "collection_method": "send_invoice",
            "days_until_due": days_until_due,
            "auto_advance": False,
            "pending_invoice_items_behavior": "exclude",
            "metadata": dict(metadata),
        }
        if description:
            params["description"] = description
        created = self._call(
            "invoices.create",
            lambda: self.client.v1.invoices.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": key},
            ),
        )
        return StripeInvoice.of(created)

    def add_item(
        self,
        customer: str,
        invoice_id: str,
        amount: int,
        currency: str,
        description: str,
        metadata: Mapping[str, str],
        key: str,
    ) -> None:
        params: dict[str, Any] = {
            "customer": customer,
            "invoice": invoice_id,
            "amount": amount,
            "currency": currency.lower(),
            "description": description,
            "metadata": dict(metadata),
        }
        self._call(
            "invoiceitems.create",
            lambda: self.client.v1.invoice_items.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": key},
            ),
        )

    def finalize(self, invoice_id: str, key: str) -> StripeInvoice:
        return StripeInvoice.of(
            self._call(
                "invoices.finalize",
                lambda: self.client.v1.invoices.finalize_invoice(
                    invoice_id, options={"idempotency_key": key}
                ),
            )
        )

    def send(self, invoice_id: str, key: str) -> StripeInvoice:
        return StripeInvoice.of(
            self._call(
                "invoices.send",
                lambda: self.client.v1.invoices.send_invoice(
                    invoice_id, options={"idempotency_key": key}
                ),
            )
        )

    def retrieve(self, invoice_id: str) -> StripeInvoice:
        return StripeInvoice.of(
            self._call("invoices.retrieve", lambda: self.client.v1.invoices.retrieve(invoice_id))
        )

    def download_pdf(self, url: str) -> bytes:
        def fetch() -> bytes:
            response = self._http.get(url, follow_redirects=True)
            if response.status_code == 429 or response.status_code >= 500:
                response.raise_for_status()
            if response.status_code != 200:
                raise StripeRejectedError(
                    f"invoice PDF answered HTTP {response.status_code}", code=None, param=None
                )
            return response.content

        return self._call("invoice PDF", fetch)

    def events_since(self, types: Sequence[str], created_gte: int) -> list[dict[str, Any]]:
        """Events of `types` created at or after `created_gte` (Unix seconds), newest first."""
        found: list[dict[str, Any]] = []
        for event_type in types:
            params: dict[str, Any] = {"type": event_type, "created": {"gte": created_gte}}
            page = self._call("events.list", partial(self._events_page, params))
            found.extend(event.to_dict() for event in page.auto_paging_iter())
        return found

    def _events_page(self, params: dict[str, Any]) -> Any:
        return self.client.v1.events.list(params={**params, "limit": 100})  # type: ignore[arg-type]
