"""Run an ASGI app with uvicorn in a background thread on a loopback port.

The sandboxes (Slack, Stripe, AWS), the demo and the test fixtures all start servers this way.
We bind the socket ourselves so that port 0 yields a free port we can read back, and so that a
port already in use fails here, in the caller's thread, instead of inside uvicorn's.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any

import uvicorn

from finance_pack.errors import UnavailableError


class _ReadySignallingServer(uvicorn.Server):
    """uvicorn's server, telling a waiting thread once it accepts connections."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class BackgroundServer:
    """An ASGI app served on `host:port` (port 0: any free port) until `stop()`.

    Use as a context manager: `with BackgroundServer(app).start() as server: server.url`.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str = "asgi-server",
        startup_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.name = name
        self.startup_timeout = startup_timeout
        self._socket: socket.socket | None = None
        self._server: _ReadySignallingServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError(f"{self.name} is not running")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """The root URL, with a trailing slash: `http://127.0.0.1:PORT/`."""
        return f"http://{self.host}:{self.port}/"

    def start(self) -> BackgroundServer:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} is already running")
        self._socket = self._bind()
        ready = threading.Event()
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = _ReadySignallingServer(config, ready)
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name=self.name, daemon=True
        )
        self._thread.start()
        if not ready.wait(self.startup_timeout) or not self._server.started:
            self.stop()
            raise UnavailableError(f"{self.name} did not start on {self.host}")
        return self

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: without it, a keep-alive client waits ~40 ms per
        # response (Nagle against delayed ACK), which uvicorn avoids only on sockets it binds.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            raise UnavailableError(
                f"{self.name} cannot listen on {self.host}:{self.requested_port}: {exc.strerror}",
                hint="pick another port with --port, or stop what is using it",
            ) from exc
        return sock

    def _serve(self, ready: threading.Event) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        finally:
            ready.set()  # wakes `start()` if uvicorn gave up before it was ready

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> BackgroundServer:
        if self._thread is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
