"""Bind subjects to a pack's roles and check what they may do.

Changing a binding needs the pack's roles:write permission (the local operator holds it) and
writes one audit record in the same step as the change to roles.yaml.

Example: brctl roles bind user:alice@example.com policy-steward
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from brctl.errors import CommandError, UsageError
from brctl.install import read_record
from brctl.manifest import Manifest
from brctl.options import TargetOption
from brctl.output import OutputFormat, render
from brctl.packs import Pack, discover_packs
from brctl.roles import (
    SUBJECT_ENV,
    RoleEdit,
    apply_edit,
    authorize,
    binding_rows,
    check_permission,
    explain,
    load_bindings,
    parse_subject,
    plan_bind,
    plan_unbind,
)
from brctl.target import pack_dir, resolve_target
from brctl.yamlfile import load_model

ROLES_WRITE = "roles:write"

# The module docstring is the group's help: `brctl --help` lists it without importing this module.
app = typer.Typer(help=__doc__, no_args_is_help=True)
console = Console(soft_wrap=True, emoji=False)

PackOption = Annotated[
    str | None,
    typer.Option("--pack", help="Pack whose roles to use (default: the only one installed)."),
]
ActingAsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=f"Act as this subject (default: ${SUBJECT_ENV}, else the local operator).",
        show_default=False,
    ),
]
SubjectArgument = Annotated[str, typer.Argument(help="user:EMAIL, slack:USER_ID or service:NAME.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]


@dataclass(frozen=True)
class InstalledPack:
    name: str
    directory: Path
    manifest: Manifest

    @property
    def roles_path(self) -> Path:
        return self.directory / "roles.yaml"


def _installed_names(root: Path) -> list[str]:
    packs = root / "packs"
    if not packs.is_dir():
        return []
    return sorted(p.name for p in packs.iterdir() if p.is_dir() and read_record(p) is not None)


def find_installed(target: Path | None, name: str | None) -> InstalledPack:
    """The pack named by `--pack`, else the only pack installed in the target."""
    root = resolve_target(target)
    installed = _installed_names(root)
    if name is None:
        if len(installed) != 1:
            found = ", ".join(installed) or "none"
            raise UsageError(f"choose a pack with --pack (installed in {root}: {found})")
        name = installed[0]
    elif name not in installed:
        raise UsageError(f"pack {name!r} is not installed in {root}")
    directory = pack_dir(root, name)
    return InstalledPack(name, directory, load_model(Manifest, directory / "pack.yaml"))


@contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """An advisory lock on the pack directory (roles.yaml itself is replaced, not rewritten)."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _apply(installed: InstalledPack, edit: RoleEdit) -> None:
    pack: Pack | None = discover_packs().get(installed.name)
    if pack is None:
        raise CommandError(
            f"pack {installed.name} is installed but its software is not: no audit log to write to"
        )
    hook = pack.record_role_change
    guard = hook(installed.directory, edit.change) if hook else None
    try:
        apply_edit(installed.roles_path, edit, guard)
    except OSError as exc:
        raise CommandError(
            f"could not write {installed.roles_path}: {exc.strerror or exc}; nothing changed"
        ) from exc


def _edit(
    action: Literal["bind", "unbind"],
    subject: str,
    role: str,
    acting_as: str | None,
    pack: str | None,
    target: Path | None,
) -> None:
    installed = find_installed(target, pack)
    actor = authorize(acting_as, ROLES_WRITE, installed.directory, installed.manifest)
    plan = plan_bind if action == "bind" else plan_unbind
    with _exclusive(installed.directory):  # two concurrent edits must not lose one
        edit = plan(installed.roles_path, installed.manifest, actor.subject, subject, role)
        if edit is not None:
            _apply(installed, edit)
    canonical = parse_subject(subject)
    if edit is None:
        state = "already holds" if action == "bind" else "does not hold"
        console.print(f"{canonical} {state} {role}: no changes")
        return
    verb = "bound" if action == "bind" else "unbound"
    console.print(f"[green]{verb} {role} {'to' if action == 'bind' else 'from'} {canonical}[/]")
    console.print(f"  {canonical} now holds: {', '.join(edit.change.after) or 'no role'}")


@app.command("bind")
def bind_cmd(
    subject: SubjectArgument,
    role: Annotated[str, typer.Argument(help="Role name, e.g. policy-steward.")],
    acting_as: ActingAsOption = None,
    pack: PackOption = None,
    target: TargetOption = None,
) -> None:
    """Give SUBJECT the role ROLE (needs roles:write); keeps roles.yaml's comments and order.

    Example: brctl roles bind user:alice@example.com policy-steward
    """
    _edit("bind", subject, role, acting_as, pack, target)


@app.command("unbind")
def unbind_cmd(
    subject: SubjectArgument,
    role: Annotated[str, typer.Argument(help="Role name, e.g. growth-catalyst.")],
    acting_as: ActingAsOption = None,
    pack: PackOption = None,
    target: TargetOption = None,
) -> None:
    """Take ROLE away from SUBJECT (needs roles:write); its tokens lose the role at once.

    Example: brctl roles unbind slack:U012AB3CD growth-catalyst
    """
    _edit("unbind", subject, role, acting_as, pack, target)


@app.command("list")
def list_cmd(
    pack: PackOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List role bindings: subject, role and the permissions it grants.

    Example: brctl roles list --format json
    """
    installed = find_installed(target, pack)
    rows = list(
        binding_rows(load_bindings(installed.roles_path, installed.manifest), installed.manifest)
    )
    columns = ["subject", "role", "title"] if fmt is OutputFormat.TABLE else None
    render(rows, fmt, title=f"Role bindings of {installed.name}", columns=columns)


@app.command("check")
def check_cmd(
    subject: SubjectArgument,
    permission: Annotated[str, typer.Argument(help="resource:verb, e.g. budgets:write.")],
    pack: PackOption = None,
    target: TargetOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Say whether SUBJECT holds PERMISSION, and why. Exits 0 for yes, 1 for no.

    Example: brctl roles check user:alice@example.com budgets:write
    """
    installed = find_installed(target, pack)
    canonical = parse_subject(subject)
    check_permission(installed.manifest, permission)
    bindings = load_bindings(installed.roles_path, installed.manifest)
    grant = explain(canonical, permission, bindings, installed.manifest)
    allowed = grant.allows(permission)
    if fmt is OutputFormat.TABLE:
        verdict = "[green]yes[/]" if allowed else "[red]no[/]"
        console.print(f"{verdict}: {grant.reason}", highlight=False)
    else:
        row = {
            "subject": canonical,
            "permission": permission,
            "allowed": allowed,
            "roles": list(grant.roles),
            "reason": grant.reason,
        }
        render([row], fmt)
    if not allowed:
        raise typer.Exit(1)
