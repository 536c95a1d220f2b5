from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from brctl.errors import CommandError, UsageError
from brctl.install import RECORD_NAME, Action, apply_plan, plan_install, uninstall
from brctl.packs import Pack, get_pack


def _pack(files: dict[str, bytes], version: str = "1.0.0") -> Pack:
    return Pack(
        name="demo", version=version, description="d", files=lambda: files, directories=("state",)
    )


def test_first_install_lays_out_every_file_and_the_record(tmp_path: Path) -> None:
    pack = get_pack("finance")
    apply_plan(plan_install(pack, tmp_path))
    root = tmp_path / "packs" / "finance"
    for name in (
        "pack.yaml",
        "finance.yaml",
        "roles.yaml",
        "deploy/compose.yaml",
        "schemas/pack.schema.json",
    ):
        assert (root / name).is_file(), name
    assert (root / "state").is_dir()
    record = json.loads((root / RECORD_NAME).read_text())
    assert record["version"] == pack.version
    assert set(record["files"]) == set(pack.files())


def test_second_install_plans_no_changes(tmp_path: Path) -> None:
    pack = get_pack("finance")
    apply_plan(plan_install(pack, tmp_path))
    assert plan_install(pack, tmp_path).changes == []


def test_operator_edit_survives_and_new_version_goes_beside_it(tmp_path: Path) -> None:
    apply_plan(plan_install(_pack({"a.yaml": b"v1\n"}), tmp_path))
    edited = tmp_path / "packs/demo/a.yaml"
    edited.write_bytes(b"mine\n")
    plan = plan_install(_pack({"a.yaml": b"v2\n"}, "1.1.0"), tmp_path)
    assert [s.action for s in plan.changes] == [Action.KEEP_EDITED]
    apply_plan(plan)
    assert edited.read_bytes() == b"mine\n"
    assert (tmp_path / "packs/demo/a.yaml.new").read_bytes() == b"v2\n"
    assert plan_install(_pack({"a.yaml": b"v2\n"}, "1.1.0"), tmp_path).changes == []


def test_unedited_file_is_upgraded_and_dropped_file_removed(tmp_path: Path) -> None:
    apply_plan(plan_install(_pack({"a": b"1", "gone": b"x"}), tmp_path))
    apply_plan(plan_install(_pack({"a": b"2"}, "2.0.0"), tmp_path))
    assert (tmp_path / "packs/demo/a").read_bytes() == b"2"
    assert not (tmp_path / "packs/demo/gone").exists()


def test_force_overwrites_an_edited_file(tmp_path: Path) -> None:
    apply_plan(plan_install(_pack({"a": b"1"}), tmp_path))
    (tmp_path / "packs/demo/a").write_bytes(b"mine")
    apply_plan(plan_install(_pack({"a": b"2"}), tmp_path, force=True))
    assert (tmp_path / "packs/demo/a").read_bytes() == b"2"


def test_failed_upgrade_restores_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_plan(plan_install(_pack({"a": b"1", "b": b"1"}), tmp_path))
    before = {p: p.read_bytes() for p in (tmp_path / "packs/demo").rglob("*") if p.is_file()}
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CommandError, match="left as it was"):
        apply_plan(plan_install(_pack({"a": b"2", "b": b"2"}, "2.0.0"), tmp_path))
    monkeypatch.setattr(os, "replace", real_replace)
    after = {p: p.read_bytes() for p in (tmp_path / "packs/demo").rglob("*") if p.is_file()}
    assert after == before
    assert not list((tmp_path / "packs").glob(".demo.staging-*"))


def test_failed_first_install_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(src: object, dst: object) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(CommandError):
        apply_plan(plan_install(_pack({"a": b"1"}), tmp_path / "t"))
    assert not (tmp_path / "t" / "packs").exists()


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        plan_install(_pack({"a": b"1"}), target)


def test_symlink_escaping_the_target_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (target / "packs").symlink_to(outside)
    with pytest.raises(UsageError, match="outside the target"):
        plan_install(_pack({"a": b"1"}), target)
    assert list(outside.iterdir()) == []


def test_unwritable_target_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/brctl-cannot-write-here")  # procfs refuses even root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "t"
    with pytest.raises(UsageError, match="not writable"):
        plan_install(_pack({"a": b"1"}), target)


def test_uninstall_keeps_state_and_edits_unless_purged(tmp_path: Path) -> None:
    pack = _pack({"a": b"1", "b": b"1"})
    apply_plan(plan_install(pack, tmp_path))
    (tmp_path / "packs/demo/state/db").write_text("data")
    (tmp_path / "packs/demo/b").write_bytes(b"mine")
    result = uninstall(pack, tmp_path, purge=False)
    assert result.removed == ["a"] and result.kept_edited == ["b"]
    assert (tmp_path / "packs/demo/state/db").exists()
    apply_plan(plan_install(pack, tmp_path))
    uninstall(pack, tmp_path, purge=True)
    assert not (tmp_path / "packs/demo").exists()
