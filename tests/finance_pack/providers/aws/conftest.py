from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest


@pytest.fixture
def aws_session(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def reset_moto(moto_url: str) -> Iterator[None]:
    yield
    httpx.post(f"{moto_url}/moto-api/reset")
