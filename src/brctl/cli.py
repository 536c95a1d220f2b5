"""`brctl`: the root command. Packs found through entry points add their own sub-commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from brctl import __version__
from brctl.errors import CommandError, ValidationError
from brctl.install import Action, apply_plan, plan_install, read_record, uninstall
from brctl.manifest import Manifest
from brctl.options import TargetOption
from brctl.output import OutputFormat, render
from brctl.packs import discover_packs, get_pack, pack_exit_code
from brctl.roles_cli import app as roles_app
from brctl.target import pack_dir, resolve_target
from brctl.yamlfile import load_model

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

app = typer.Typer(
    help="BlackRoad pack manager.\n\nExample: brctl pack install finance --target=/srv/blackroad",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
pack_app = typer.Typer(help="Install, list, validate and uninstall packs.", no_args_is_help=True)
app.add_typer(pack_app, name="pack")
app.add_typer(roles_app, name="roles")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"brctl {__version__}")
        raise typer.Exit()


@pack_app.command("install")
def install_cmd(
    name: Annotated[str, typer.Argument(help="Pack to install, e.g. finance.")],
    target: TargetOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite operator-edited files.")
    ] = False,
) -> None:
    """Lay a pack out under TARGET/packs/NAME; idempotent and all-or-nothing.

    Example: brctl pack install finance --target=/srv/blackroad
    """
    pack = get_pack(name)
    root = resolve_target(target)
    plan = plan_install(pack, root, force=force)
    if not plan.changes:
        console.print(
            f"[green]{pack.name} {pack.version} is up to date in {plan.directory}: no changes[/]"
        )
        return
    for step in plan.changes:
        console.print(f"  {step.action.value:<17} {step.writes or step.path}")
    if dry_run:
        console.print(f"dry run: {len(plan.changes)} change(s) planned, nothing written")
        return
    apply_plan(plan)
    verb = "upgraded" if plan.previous_version else "installed"
    console.print(f"[green]{verb} {pack.name} {pack.version} into {plan.directory}[/]")
    for step in plan.edited():
        console.print(
            f"[yellow]kept your edited {step.path}; the new version is {step.path}.new[/]"
        )
    if any(s.action is Action.OVERWRITE_EDITED for s in plan.steps):
        console.print("[yellow]--force overwrote operator-edited files[/]")


@pack_app.command("list")
def list_cmd(
    target: TargetOption = None,
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """List available packs and what is installed in the target.

    Example: brctl pack list --target=/srv/blackroad --format json
    """
    root = resolve_target(target)
    rows = []
    for name, pack in sorted(discover_packs().items()):
        record = read_record(pack_dir(root, name)) if pack_dir(root, name).exists() else None
        rows.append(
            {
                "pack": name,
                "available": pack.version,
                "installed": record.get("version") if record else None,
                "path": str(pack_dir(root, name)) if record else None,
                "description": pack.description,
            }
        )
    render(rows, fmt, title=f"Packs in {root}")


@pack_app.command("validate")
def validate_cmd(
    path: Annotated[Path | None, typer.Argument(help="pack.yaml to check.")] = None,
    target: TargetOption = None,
) -> None:
    """Validate a pack manifest against the schema; errors name file, line and field.

    Example: brctl pack validate /srv/blackroad/packs/finance/pack.yaml
    """
    paths = [path] if path else sorted(resolve_target(target).glob("packs/*/pack.yaml"))
    if not paths:
        raise ValidationError("no pack.yaml given and none installed in the target")
    for manifest_path in paths:
        manifest = load_model(Manifest, manifest_path)
        console.print(f"[green]ok[/] {manifest_path}: {manifest.name} {manifest.version}")


@pack_app.command("uninstall")
def uninstall_cmd(
    name: Annotated[str, typer.Argument(help="Pack to remove.")],
    target: TargetOption = None,
    purge: Annotated[bool, typer.Option("--purge", help="Also delete state/ and edits.")] = False,
) -> None:
    """Remove a pack's files; keeps state/ and operator-edited files unless --purge.

    Example: brctl pack uninstall finance --target=/srv/blackroad
    """
    result = uninstall(get_pack(name), resolve_target(target), purge=purge)
    console.print(
        f"removed {len(result.removed)} file(s)" + (" and all state" if result.purged else "")
    )
    for rel in result.kept_edited:
        console.print(f"[yellow]kept edited {rel}[/]")


_added_packs: set[str] = set()


def _add_pack_commands() -> None:
    for pack in discover_packs().values():
        if pack.name in _added_packs:
            continue
        _added_packs.add(pack.name)
        if pack.command is not None:
            app.add_typer(pack.command(), name=pack.name, help=pack.description)


def main(argv: list[str] | None = None) -> int:
    """Entry point; every `CommandError` becomes one clear message and its exit code."""
    _add_pack_commands()
    try:
        result = app(args=argv, standalone_mode=False)
    except CommandError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except (typer.BadParameter, Exception) as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        code = pack_exit_code(exc)  # a pack's own error types map to exit codes in the pack
        if code is None:
            raise
        err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return code
    return result if isinstance(result, int) else 0


def entry() -> None:
    sys.exit(main())
