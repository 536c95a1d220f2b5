"""`brctl pack install|list|validate|uninstall`: lay packs out and manage them.

The heavy modules (models, YAML, the installer) load inside the commands, so the root
command's `--help` and `--version` stay fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from brctl.errors import ValidationError
from brctl.options import TargetOption
from brctl.output import OutputFormat, render

console = Console(soft_wrap=True, emoji=False)

app = typer.Typer(
    help="Install, list, validate and uninstall packs.\n\n"
    "Example: brctl pack install finance --target=/srv/blackroad",
    no_args_is_help=True,
)
pack_app = app  # the name other modules and tests know it by


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
    from brctl.install import Action, apply_plan, plan_install
    from brctl.packs import get_pack
    from brctl.target import resolve_target

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
    from brctl.install import read_record
    from brctl.packs import discover_packs
    from brctl.target import pack_dir, resolve_target

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
    from brctl.manifest import Manifest
    from brctl.target import resolve_target
    from brctl.yamlfile import load_model

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
    from brctl.install import uninstall
    from brctl.packs import get_pack
    from brctl.target import resolve_target

    result = uninstall(get_pack(name), resolve_target(target), purge=purge)
    console.print(
        f"removed {len(result.removed)} file(s)" + (" and all state" if result.purged else "")
    )
    for rel in result.kept_edited:
        console.print(f"[yellow]kept edited {rel}[/]")
