"""Install, upgrade and uninstall a pack's files: planned first, then applied all-or-nothing.

A record of what was installed (version and file hashes) lets a re-install tell an operator's
edit from an old shipped version: edited files are never overwritten, the new one goes beside
them as `FILE.new` (the way dpkg treats conffiles).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from brctl.errors import CommandError, UsageError
from brctl.packs import Pack
from brctl.target import check_target, pack_dir

RECORD_NAME = ".brctl-install.json"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    KEEP_EDITED = "keep-edited"  # operator's file kept; new version written to FILE.new
    OVERWRITE_EDITED = "overwrite-edited"  # --force
    REMOVE = "remove"


@dataclass(frozen=True)
class Step:
    action: Action
    path: str  # relative to the pack directory
    content: bytes | None = None
    shipped_digest: str | None = None

    @property
    def writes(self) -> str | None:
        if self.action in (Action.CREATE, Action.UPDATE, Action.OVERWRITE_EDITED):
            return self.path
        if self.action is Action.KEEP_EDITED:
            return self.path + ".new"
        return None


@dataclass
class Plan:
    pack: Pack
    directory: Path
    steps: list[Step] = field(default_factory=list)
    previous_version: str | None = None

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action is not Action.UNCHANGED]

    def edited(self) -> list[Step]:
        return [s for s in self.steps if s.action is Action.KEEP_EDITED]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def read_record(directory: Path) -> dict[str, object] | None:
    path = directory / RECORD_NAME
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path}: unreadable install record ({exc})") from exc
    return record if isinstance(record, dict) else None


def _recorded_hashes(record: Mapping[str, object] | None) -> dict[str, str]:
    files = record.get("files") if record else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def plan_install(pack: Pack, target: Path, *, force: bool = False) -> Plan:
    check_target(target, pack.name)
    directory = pack_dir(target, pack.name)
    record = read_record(directory)
    recorded = _recorded_hashes(record)
    plan = Plan(pack, directory, previous_version=str(record["version"]) if record else None)
    shipped = dict(pack.files())
    for rel, content in sorted(shipped.items()):
        step = _step_for(directory / rel, rel, content, recorded.get(rel), force)
        plan.steps.append(replace(step, shipped_digest=sha256(content)))
    for rel in sorted(set(recorded) - set(shipped)):
        dest = directory / rel
        if dest.exists() and sha256(dest.read_bytes()) == recorded[rel]:
            plan.steps.append(Step(Action.REMOVE, rel))
    return plan


def _step_for(dest: Path, rel: str, content: bytes, recorded: str | None, force: bool) -> Step:
    if not dest.exists():
        return Step(Action.CREATE, rel, content)
    current = sha256(dest.read_bytes())
    if current == sha256(content):
        return Step(Action.UNCHANGED, rel)
    if recorded is not None and current == recorded:
        return Step(Action.UPDATE, rel, content)
    if force:
        return Step(Action.OVERWRITE_EDITED, rel, content)
    beside = dest.with_name(dest.name + ".new")
    if beside.exists() and sha256(beside.read_bytes()) == sha256(content):
        return Step(Action.UNCHANGED, rel)
    return Step(Action.KEEP_EDITED, rel, content)


def apply_plan(plan: Plan) -> None:
    """Stage every new file, then move them into place; any failure restores the target."""
    directory = plan.directory
    fresh = not directory.exists()
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{plan.pack.name}.staging-", dir=parent))
    try:
        if fresh:
            _stage_fresh(plan, staging / "pack")
            os.replace(staging / "pack", directory)
        else:
            _apply_in_place(plan, staging)
    except OSError as exc:
        if fresh and directory.exists():
            shutil.rmtree(directory, ignore_errors=True)
        raise CommandError(f"install failed, target left as it was: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if fresh and not any(parent.iterdir()):
            parent.rmdir()


def _stage_fresh(plan: Plan, root: Path) -> None:
    for step in plan.steps:
        if step.content is not None and step.writes:
            _write(root / step.writes, step.content)
    for name in plan.pack.directories:
        (root / name).mkdir(parents=True, exist_ok=True)
    _write(root / RECORD_NAME, _record_bytes(plan, _hashes_after(plan)))


def _apply_in_place(plan: Plan, staging: Path) -> None:
    new_root, backup_root = staging / "new", staging / "backup"
    moves: list[tuple[Path, Path]] = []  # (staged file, destination); no staged file: removal
    for step in plan.changes:
        dest = plan.directory / (step.writes or step.path)
        if step.content is not None:
            _write(new_root / (step.writes or step.path), step.content)
        moves.append((new_root / (step.writes or step.path), dest))
    _write(new_root / RECORD_NAME, _record_bytes(plan, _hashes_after(plan)))
    moves.append((new_root / RECORD_NAME, plan.directory / RECORD_NAME))
    done: list[tuple[Path, Path | None]] = []  # (destination, its backup)
    try:
        for source, dest in moves:
            backup = None
            if dest.exists():
                backup = backup_root / dest.relative_to(plan.directory)
                backup.parent.mkdir(parents=True, exist_ok=True)
                os.replace(dest, backup)
            done.append((dest, backup))
            if source.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, dest)
        for name in plan.pack.directories:
            (plan.directory / name).mkdir(parents=True, exist_ok=True)
    except OSError:
        for dest, backup in reversed(done):
            if dest.exists():
                dest.unlink()
            if backup is not None:
                os.replace(backup, dest)
        raise


def _hashes_after(plan: Plan) -> dict[str, str]:
    """What the record should say: the shipped hash of every file the pack owns."""
    return {s.path: s.shipped_digest for s in plan.steps if s.shipped_digest is not None}


def _record_bytes(plan: Plan, hashes: Mapping[str, str]) -> bytes:
    record = {
        "pack": plan.pack.name,
        "version": plan.pack.version,
        "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": dict(sorted(hashes.items())),
    }
    return (json.dumps(record, indent=2) + "\n").encode()


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


@dataclass(frozen=True)
class UninstallResult:
    removed: list[str]
    kept_edited: list[str]
    purged: bool


def uninstall(pack: Pack, target: Path, *, purge: bool) -> UninstallResult:
    check_target(target, pack.name)
    directory = pack_dir(target, pack.name)
    record = read_record(directory)
    if record is None:
        raise UsageError(f"pack {pack.name} is not installed in {target}")
    if purge:
        shutil.rmtree(directory)
        return UninstallResult(sorted(_recorded_hashes(record)), [], True)
    removed, kept = [], []
    for rel, digest in sorted(_recorded_hashes(record).items()):
        path = directory / rel
        if not path.exists():
            continue
        if sha256(path.read_bytes()) == digest:
            path.unlink()
            removed.append(rel)
        else:
            kept.append(rel)
    (directory / RECORD_NAME).unlink()
    _remove_empty_dirs(directory, keep=set(pack.preserved))
    return UninstallResult(removed, kept, False)


def _remove_empty_dirs(directory: Path, keep: set[str]) -> None:
    for path in sorted(directory.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        top = path.relative_to(directory).parts[0]
        if path.is_dir() and top not in keep and not any(path.iterdir()):
            path.rmdir()
    if directory.exists() and not any(directory.iterdir()):
        directory.rmdir()
