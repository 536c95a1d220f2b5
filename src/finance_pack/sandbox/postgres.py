"""A throwaway PostgreSQL server for tests and the scale-out demo, from Debian's packages.

PostgreSQL refuses to run as root, so when we are root the server runs as the `postgres`
user (Debian's package creates it) on a data directory that user owns, on a loopback port.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from finance_pack.errors import UnavailableError


def server_binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise UnavailableError(
            "PostgreSQL's server programs are not installed",
            hint="apt-get install -y postgresql (scripts/test does this)",
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a fresh server; yields a SQLAlchemy URL (`postgresql+psycopg://...`)."""
    bin_dir = server_binaries()
    workdir = Path(tempfile.mkdtemp(prefix="finance-pg-"))
    data = workdir / "data"
    data.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (workdir, data):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "finance",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            **run,  # type: ignore[call-overload]
        )
        options = f"-h 127.0.0.1 -p {port} -k {workdir} -c fsync=off -c max_connections=100"
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(workdir / "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            **run,  # type: ignore[call-overload]
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise UnavailableError(f"could not start PostgreSQL: {exc.stderr or exc.stdout}") from exc
    try:
        yield f"postgresql+psycopg://finance@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(workdir, ignore_errors=True)
