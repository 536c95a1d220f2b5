"""Stripe's error answers and the parameter checks that produce them."""

from __future__ import annotations

from typing import Any

from finance_pack.sandbox.stripe import objects


class StripeApiError(Exception):
    """An answer with Stripe's error object and status code."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = objects.error_body(kind, message, code=code, param=param)


def missing(kind: str, object_id: str, param: str = "id") -> StripeApiError:
    return StripeApiError(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def filtered(obj: dict[str, Any], filters: dict[str, str]) -> bool:
    return all(str(obj.get(key)) == value for key, value in filters.items())


def metadata_param(params: dict[str, Any]) -> dict[str, str]:
    value = params.get("metadata") or {}
    if not isinstance(value, dict):
        raise StripeApiError(400, "Invalid hash", param="metadata")
    return {str(k): str(v) for k, v in value.items()}


def required_param(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise StripeApiError(
            400, f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    return str(value)


def positive_int_param(params: dict[str, Any], name: str) -> int:
    text = required_param(params, name)
    if not text.isdigit() or int(text) <= 0:
        raise StripeApiError(
            400, f"Invalid integer: {text}", code="parameter_invalid_integer", param=name
        )
    return int(text)


def non_negative_int_param(params: dict[str, Any], name: str, default: int) -> int:
    text = str(params.get(name, default))
    if not text.isdigit():
        raise StripeApiError(
            400, f"Invalid integer: {text}", code="parameter_invalid_integer", param=name
        )
    return int(text)
