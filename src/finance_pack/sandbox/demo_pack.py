"""The demo's pack process: `brctl finance up` (API, dashboard and agents) in a child process,
on the port asked for or, when that one is taken, on a free one (the demo says which)."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from finance_pack.errors import UnavailableError
from finance_pack.sandbox.children import Child, Children, brctl_argv

READY_TIMEOUT_SECONDS = 90.0


@dataclass(frozen=True, slots=True)
class RunningPack:
    url: str  # no trailing slash
    child: Child
    note: str  # what happened to the port asked for, if anything


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def choose_port(wanted: int) -> tuple[int, str]:
    """`wanted` when it is free (0: any free port); else a free one and a sentence saying so."""
    if wanted and _port_free(wanted):
        return wanted, ""
    port = _free_port()
    return port, (f"port {wanted} is in use; serving on {port} instead" if wanted else "")


def start_pack_process(children: Children, target: Path, wanted_port: int) -> RunningPack:
    """Start `brctl finance up` for `target` and wait until `/readyz` answers 200."""
    port, note = choose_port(wanted_port)
    env = {**os.environ, "BLACKROAD_HOME": str(target)}
    child = children.start(
        "finance-up", brctl_argv("finance", "up", "--port", str(port), "--host", "127.0.0.1"), env
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if child.exited() is not None:
                raise UnavailableError(
                    f"brctl finance up exited with status {child.exited()} before it was ready; "
                    f"its last lines ({child.log}):\n{child.log_tail()}"
                )
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return RunningPack(url, child, note)
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise UnavailableError(
        f"brctl finance up was not ready after {READY_TIMEOUT_SECONDS:.0f} s ({child.log})"
    )
