"""The one way we call AWS: one retry layer (tenacity, bounded, exponential backoff with
jitter) for throttling, server errors and dropped connections, and errors turned into messages a
user can act on. botocore's own retries are off: nested inside ours they made up to 15 calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
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
BOTO_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60)


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


def _worth_retrying(exc: BaseException) -> bool:
    """Throttling, a server error or a dropped connection: our calls only read, so repeating
    one is safe."""
    if isinstance(exc, ConnectionClosedError | ReadTimeoutError | EndpointConnectionError):
        return True
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return _throttled(exc) or status >= 500
    return False


def call_aws(
    operation: str,
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    wait: wait_base | None = None,
) -> T:
    """Run `fn`; retry throttling, server errors and dropped connections with exponential
    backoff, then raise a clear FinanceError."""
    retrying = Retrying(
        retry=retry_if_exception(_worth_retrying),
        stop=stop_after_attempt(attempts),
        wait=wait or wait_exponential_jitter(initial=1, max=30),
        reraise=False,
    )
    try:
        return retrying(fn)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        if last is not None and not _throttled(last):
            raise _failure(operation, last) from last
        raise UnavailableError(
            f"AWS {operation} is still throttled after {attempts} attempts",
            hint="Cost Explorer allows a few requests per second; try again in a minute",
        ) from last
    except (ClientError, NoCredentialsError, EndpointConnectionError) as exc:
        raise _failure(operation, exc) from exc


def _failure(operation: str, exc: BaseException) -> FinanceError:
    if isinstance(exc, ClientError):
        return translate(operation, exc)
    if isinstance(exc, NoCredentialsError):
        return UnavailableError(
            f"AWS {operation}: {exc}", hint="configure credentials (AWS_PROFILE or a role)"
        )
    return UnavailableError(f"AWS {operation}: {exc}", hint="check the network and endpoint_url")


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
