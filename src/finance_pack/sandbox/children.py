"""Child processes the demo starts (`brctl finance up`), supervised so that none outlives it.

Each child runs in its own session, so a Ctrl-C in the terminal reaches the demo alone and the
demo stops the children in order: SIGTERM, a grace period, then SIGKILL. On Linux each child
also asks the kernel for SIGTERM should the demo die without cleaning up (even by SIGKILL), so no
orphan keeps a port or a database file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def exited(self) -> int | None:
        return self.process.poll()

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Children:
    """The demo's children; a context manager that stops every one of them on exit."""

    log_dir: Path
    grace_seconds: float = 15.0
    running: list[Child] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                list(argv),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        child = Child(name, process, log)
        self.running.append(child)
        return child

    def first_exited(self) -> Child | None:
        return next((child for child in self.running if child.exited() is not None), None)

    def stop_all(self) -> None:
        for child in reversed(self.running):
            if child.exited() is None:
                _signal_group(child.pid, signal.SIGTERM)
        for child in reversed(self.running):
            try:
                child.process.wait(self.grace_seconds)
            except subprocess.TimeoutExpired:
                _signal_group(child.pid, signal.SIGKILL)
                child.process.wait()
        self.running.clear()

    def __enter__(self) -> Children:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()


def _signal_group(pid: int, signum: int) -> None:
    # The child leads its own session and process group: signal everything it started too.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def brctl_argv(*args: str) -> list[str]:
    """`brctl ARGS` with this interpreter, whatever PATH holds."""
    return [sys.executable, "-c", "from brctl.cli import entry; entry()", *args]
