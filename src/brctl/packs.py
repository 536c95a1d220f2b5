"""Pack discovery: packs register under the entry-point group `blackroad.packs`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from brctl.errors import UsageError

if TYPE_CHECKING:
    from brctl.roles import RoleChange

ENTRY_POINT_GROUP = "blackroad.packs"


@dataclass(frozen=True)
class Pack:
    """What a pack gives `brctl`: its files to lay out and, optionally, its own sub-command."""

    name: str
    version: str
    description: str
    files: Callable[[], Mapping[str, bytes]]
    directories: tuple[str, ...] = ()
    preserved: tuple[str, ...] = ("state",)
    command: Callable[[], typer.Typer] | None = field(default=None)
    # Opens the pack's audit transaction for a `brctl roles` edit of the pack in this directory.
    record_role_change: Callable[[Path, RoleChange], AbstractContextManager[object]] | None = field(
        default=None
    )
    # The exit code of one of the pack's own errors, None for others: its error types carry none.
    exit_code: Callable[[BaseException], int | None] | None = field(default=None)


def discover_packs() -> dict[str, Pack]:
    packs: dict[str, Pack] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        pack = entry.load()
        if not isinstance(pack, Pack):
            raise TypeError(f"entry point {entry.name} does not name a brctl Pack")
        packs[pack.name] = pack
    return packs


def pack_exit_code(exc: BaseException) -> int | None:
    """The exit code a pack gives one of its errors; None when no pack knows it."""
    for pack in discover_packs().values():
        code = pack.exit_code(exc) if pack.exit_code else None
        if code is not None:
            return code
    return None


def get_pack(name: str) -> Pack:
    packs = discover_packs()
    if name not in packs:
        known = ", ".join(sorted(packs)) or "none"
        raise UsageError(f"unknown pack {name!r}", hint=f"installable packs: {known}")
    return packs[name]
