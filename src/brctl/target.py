"""Where packs are installed, and the safety checks on that place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from brctl.errors import UsageError

DEFAULT_TARGET = Path("/srv/blackroad")
TARGET_ENV = "BLACKROAD_HOME"


def resolve_target(target: Path | None) -> Path:
    """`--target`, else `$BLACKROAD_HOME`, else `/srv/blackroad`; made absolute."""
    chosen = target or (Path(os.environ[TARGET_ENV]) if os.environ.get(TARGET_ENV) else None)
    return Path(os.path.abspath(chosen or DEFAULT_TARGET))


def pack_dir(target: Path, pack_name: str) -> Path:
    return target / "packs" / pack_name


def check_target(target: Path, pack_name: str) -> None:
    """Refuse a target that is a file, cannot be written, or is left through a symlink."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"target {target} exists and is not a directory")
    real_target = Path(os.path.realpath(target))
    for inside in (target / "packs", pack_dir(target, pack_name)):
        if inside.is_symlink() or inside.exists():
            real = Path(os.path.realpath(inside))
            if real != real_target and real_target not in real.parents:
                raise UsageError(
                    f"{inside} is a symlink to {real}, outside the target {target}",
                    hint="remove the link or install into the directory it points to",
                )
            if real.exists() and not real.is_dir():
                raise UsageError(f"{inside} exists and is not a directory")
    existing = target
    while not existing.exists():
        existing = existing.parent
    # A real write probe: os.access says yes to root even on read-only or virtual filesystems.
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise UsageError(f"target {target} is not writable ({existing}: {exc.strerror})") from exc
