"""Where the Stripe adapter connects, with which key, and the webhook signing secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from finance_pack.errors import UsageError
from finance_pack.providers.slack.retry import RetryPolicy
from finance_pack.secrets import read_secret

STRIPE_API_URL = "https://api.stripe.com"
API_URL_ENV = "FINANCE_STRIPE_API_URL"
API_KEY_ENV = "STRIPE_API_KEY"
WEBHOOK_SECRET_ENV = "STRIPE_WEBHOOK_SECRET"
# During a rotation the old secret stays valid until every endpoint signs with the new one.
PREVIOUS_WEBHOOK_SECRET_ENV = "STRIPE_WEBHOOK_SECRET_PREVIOUS"


@dataclass(frozen=True, slots=True)
class StripeSettings:
    """The key never appears in `repr`, logs or error messages."""

    api_key: str = field(repr=False)
    api_url: str = STRIPE_API_URL
    timeout_seconds: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise UsageError(
                f"the Stripe API URL {self.api_url!r} must be an http(s) URL",
                hint=f"for example {STRIPE_API_URL} or the sandbox's ({API_URL_ENV})",
            )
        if not self.api_key or any(ch.isspace() for ch in self.api_key):
            raise UsageError(
                "the Stripe API key is empty or contains whitespace",
                hint=f"set {API_KEY_ENV} or {API_KEY_ENV}_FILE to a secret key (sk_...)",
            )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        api_url: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> StripeSettings:
        """Key from `STRIPE_API_KEY(_FILE)`; URL from `FINANCE_STRIPE_API_URL`, else config's."""
        key = read_secret(API_KEY_ENV, environ)
        if key is None:
            raise UsageError(
                "no Stripe API key", hint=f"set {API_KEY_ENV} (sk_...) or {API_KEY_ENV}_FILE"
            )
        env = os.environ if environ is None else environ
        url = env.get(API_URL_ENV) or api_url or STRIPE_API_URL
        return cls(api_key=key.strip(), api_url=url.rstrip("/"), retry=retry or RetryPolicy())


def webhook_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The signing secrets accepted now: the current one, and the previous during a rotation."""
    found = [read_secret(n, environ) for n in (WEBHOOK_SECRET_ENV, PREVIOUS_WEBHOOK_SECRET_ENV)]
    return tuple(s.strip() for s in found if s)
