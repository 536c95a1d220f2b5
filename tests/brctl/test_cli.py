from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., tuple[int, str, str]]


def test_install_twice_reports_no_changes(brctl: Run, tmp_path: Path) -> None:
    code, out, _ = brctl("pack", "install", "finance", f"--target={tmp_path}")
    assert code == 0 and "installed finance" in out
    code, out, _ = brctl("pack", "install", "finance", f"--target={tmp_path}")
    assert code == 0 and "no changes" in out


def test_reinstall_after_edit_names_the_new_file(brctl: Run, tmp_path: Path) -> None:
    brctl("pack", "install", "finance", f"--target={tmp_path}")
    config = tmp_path / "packs/finance/finance.yaml"
    config.write_text(config.read_text() + "# my note\n")
    code, out, _ = brctl("pack", "install", "finance", f"--target={tmp_path}")
    assert code == 0 and "finance.yaml.new" in out
    assert config.read_text().endswith("# my note\n")
    assert (tmp_path / "packs/finance/finance.yaml.new").exists()


def test_dry_run_writes_nothing(brctl: Run, tmp_path: Path) -> None:
    code, out, _ = brctl("pack", "install", "finance", f"--target={tmp_path}", "--dry-run")
    assert code == 0 and "dry run" in out
    assert not (tmp_path / "packs").exists()


def test_default_target_comes_from_blackroad_home(brctl: Run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BLACKROAD_HOME", str(tmp_path))
    assert brctl("pack", "install", "finance")[0] == 0
    assert (tmp_path / "packs/finance/pack.yaml").exists()


def test_unknown_pack_is_a_usage_error(brctl: Run, tmp_path: Path) -> None:
    code, _, err = brctl("pack", "install", "nope", f"--target={tmp_path}")
    assert code == 2 and "unknown pack 'nope'" in err and "finance" in err


def test_list_as_json_shows_installed_version(brctl: Run, tmp_path: Path) -> None:
    brctl("pack", "install", "finance", f"--target={tmp_path}")
    code, out, _ = brctl("pack", "list", f"--target={tmp_path}", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["pack"] == "finance" and rows[0]["installed"] == "0.1.0"


def test_validate_accepts_the_shipped_manifest(brctl: Run, tmp_path: Path) -> None:
    brctl("pack", "install", "finance", f"--target={tmp_path}")
    code, out, _ = brctl("pack", "validate", f"--target={tmp_path}")
    assert code == 0 and "ok" in out


def test_validate_names_file_line_and_field(brctl: Run, tmp_path: Path) -> None:
    brctl("pack", "install", "finance", f"--target={tmp_path}")
    manifest = tmp_path / "packs/finance/pack.yaml"
    text = manifest.read_text().replace("objective: 0.95", "objective: lots")
    manifest.write_text(text)
    line = text.splitlines().index("      objective: lots") + 1
    code, _, err = brctl("pack", "validate", str(manifest))
    assert code == 2
    assert f"pack.yaml:{line}: agents.0.slo.objective" in err


def test_uninstall_keeps_state(brctl: Run, tmp_path: Path) -> None:
    brctl("pack", "install", "finance", f"--target={tmp_path}")
    (tmp_path / "packs/finance/state/keep.db").write_text("x")
    code, _, _ = brctl("pack", "uninstall", "finance", f"--target={tmp_path}")
    assert code == 0
    assert (tmp_path / "packs/finance/state/keep.db").exists()
    assert not (tmp_path / "packs/finance/pack.yaml").exists()


def test_every_command_has_help_with_an_example(brctl: Run) -> None:
    for args in (
        ["pack", "install"],
        ["pack", "list"],
        ["pack", "validate"],
        ["pack", "uninstall"],
        ["finance", "doctor"],
        ["finance", "up"],
        ["finance", "db", "upgrade"],
    ):
        code, out, _ = brctl(*args, "--help")
        assert code == 0 and "Example" in out, args
