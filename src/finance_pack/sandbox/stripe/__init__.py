"""Our Stripe emulator: the invoicing subset of Stripe's API, served by `create_app`."""

from finance_pack.sandbox.stripe.app import create_app
from finance_pack.sandbox.stripe.emulator import DEFAULT_API_KEY, StripeApiError, StripeEmulator
from finance_pack.sandbox.stripe.webhooks import sign

__all__ = ["DEFAULT_API_KEY", "StripeApiError", "StripeEmulator", "create_app", "sign"]
