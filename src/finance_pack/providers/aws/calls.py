"""The one way we call AWS: clients with botocore's standard retries, plus a bounded tenacity
retry for throttling, and errors turned into messages a user can act on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from finance_pack.errors import FinanceError, UnavailableError

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)
EXPIRED_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    }
)
BOTO_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=60
)


def client(
    session: Any, service: str, *, region: str = "us-east-1", endpoint_url: str | None = None
) -> Any:
    return session.client(
        service, region_name=region, endpoint_url=endpoint_url, config=BOTO_CONFIG
    )


def _code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def _throttled(exc: BaseException) -> bool:
    return _code(exc) in THROTTLING_CODES


def call_aws(
    operation: str,
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    wait: wait_base | None = None,
) -> T:
    """Run `fn`; retry throttling with exponential backoff, then raise a clear FinanceError."""
    retrying = Retrying(
        retry=retry_if_exception(_throttled),
        stop=stop_after_attempt(attempts),
        wait=wait or wait_exponential_jitter(initial=1, max=30),
        reraise=False,
    )
    try:
        return retrying(fn)
    except RetryError as exc:
        raise UnavailableError(
            f"AWS {operation} is still throttled after {attempts} attempts",
            hint="Cost Explorer allows a few requests per second; try again in a minute",
        ) from exc.last_attempt.exception()
    except ClientError as exc:
        raise translate(operation, exc) from exc
    except (NoCredentialsError, EndpointConnectionError) as exc:
        raise UnavailableError(
            f"AWS {operation}: {exc}", hint="configure credentials (AWS_PROFILE or a role)"
        ) from exc


def translate(operation: str, exc: ClientError) -> FinanceError:
    code = _code(exc)
    message = exc.response.get("Error", {}).get("Message", str(exc))
    if code in EXPIRED_CODES:
        return UnavailableError(
            f"AWS {operation}: the credentials are expired or invalid ({code})",
            hint="refresh them (aws sso login, or renew the role session) and run again",
        )
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return UnavailableError(
            f"AWS {operation}: access denied ({message})",
            hint="attach the pack's IAM policy: packs/finance/iam/finance-readonly-policy.json",
        )
    return UnavailableError(f"AWS {operation} failed: {code}: {message}")
