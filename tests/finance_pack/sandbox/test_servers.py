"""BackgroundServer: an ASGI app on a free loopback port, started and stopped on demand."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from finance_pack.errors import UnavailableError
from finance_pack.sandbox.servers import BackgroundServer


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", hello)])


def test_serves_on_a_free_port_until_stopped() -> None:
    with BackgroundServer(APP) as server:
        url = server.url
        assert server.port > 0
        assert httpx.get(url).text == "hello"
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)


def test_a_port_in_use_is_an_unavailable_error_with_a_hint() -> None:
    with BackgroundServer(APP) as first:
        taken = BackgroundServer(APP, port=first.port)
        with pytest.raises(UnavailableError, match="cannot listen") as caught:
            taken.start()
        assert "--port" in str(caught.value)
