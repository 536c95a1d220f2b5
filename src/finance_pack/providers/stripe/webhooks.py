"""Verify `Stripe-Signature` with the official library, accepting any of the given secrets."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import stripe

TOLERANCE_SECONDS = 300


class BadSignatureError(ValueError):
    """The payload is not signed by any accepted secret, or the signature is too old."""


def verify_event(
    payload: bytes, header: str | None, secrets: Sequence[str], tolerance: int = TOLERANCE_SECONDS
) -> dict[str, Any]:
    """The event as a dict when `header` signs `payload` under one of `secrets` within
    `tolerance` seconds; BadSignatureError otherwise (the caller answers 400, changing nothing)."""
    if not header:
        raise BadSignatureError("no Stripe-Signature header")
    if not secrets:
        raise BadSignatureError("no webhook signing secret is configured (STRIPE_WEBHOOK_SECRET)")
    _check_not_future(header, tolerance)
    last: Exception | None = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), header, secret, tolerance
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            last = exc
            continue
        try:
            event = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise BadSignatureError(f"signed payload is not JSON: {exc}") from exc
        if not isinstance(event, dict) or "id" not in event or "type" not in event:
            raise BadSignatureError("signed payload is not a Stripe event")
        return event
    message = getattr(last, "user_message", None) or str(last)
    raise BadSignatureError(f"signature verification failed: {message}")


def _check_not_future(header: str, tolerance: int) -> None:
    """The library rejects old timestamps only; one far in the future is refused here too, so
    a signed payload cannot be kept for replay beyond the tolerance either way."""
    stamps = [part[2:] for part in header.split(",") if part.strip().startswith("t=")]
    try:
        signed_at = int(stamps[0])
    except (IndexError, ValueError):
        raise BadSignatureError("Stripe-Signature has no timestamp") from None
    if signed_at > time.time() + tolerance:
        raise BadSignatureError("signature timestamp is in the future beyond the tolerance")
