"""The finance pack as `brctl` sees it (entry point `blackroad.packs: finance`)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from brctl.packs import Pack
from finance_pack import DESCRIPTION, __version__

if TYPE_CHECKING:
    import typer

    from brctl.roles import RoleChange

SHIPPED_DIR = "pack"


def _walk(node: Traversable, prefix: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for child in node.iterdir():
        if child.name.startswith(("__", ".")) or child.name.endswith(".py"):
            continue
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            found.update(_walk(child, rel + "/"))
        else:
            found[rel] = child.read_bytes()
    return found


def shipped_files() -> Mapping[str, bytes]:
    """Every file the pack lays out, relative to `packs/finance/`."""
    return _walk(files("finance_pack") / SHIPPED_DIR, "")


def _record_role_change(pack_dir: Path, change: RoleChange) -> AbstractContextManager[None]:
    from finance_pack.access.role_changes import record_role_change

    return record_role_change(pack_dir, change)


def _command() -> typer.Typer:
    from finance_pack.cli.app import build_app

    return build_app()


def _exit_code(exc: BaseException) -> int | None:
    from finance_pack.cli.exit_codes import exit_code_for

    return exit_code_for(exc)


pack = Pack(
    name="finance",
    version=__version__,
    description=DESCRIPTION,
    files=shipped_files,
    directories=("state",),
    preserved=("state",),
    command=_command,
    record_role_change=_record_role_change,
    exit_code=_exit_code,
)
