"""The Stripe adapter: invoicing calls on the official `stripe` library, and webhook checks."""

from finance_pack.providers.stripe.gateway import (
    StripeClientGateway,
    StripeGateway,
    StripeInvoice,
    StripeRejectedError,
    StripeUnavailableError,
)
from finance_pack.providers.stripe.settings import StripeSettings, webhook_secrets
from finance_pack.providers.stripe.webhooks import BadSignatureError, verify_event

__all__ = [
    "BadSignatureError",
    "StripeClientGateway",
    "StripeGateway",
    "StripeInvoice",
    "StripeRejectedError",
    "StripeSettings",
    "StripeUnavailableError",
    "verify_event",
    "webhook_secrets",
]
