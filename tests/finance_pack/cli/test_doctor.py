from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., tuple[int, str, str]]


def test_doctor_reports_secret_presence_never_values(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    findings = {f["check"]: f for f in json.loads(out)}
    assert code == 0
    assert findings["secret SLACK_BOT_TOKEN"]["detail"] == "set (from env)"
    assert "xoxb-very-secret" not in out
    assert findings["config"]["status"] == "ok"


def test_doctor_fails_on_a_missing_required_secret(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN_FILE", raising=False)
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    assert code == 1
    assert {"check": "secret SLACK_BOT_TOKEN", "status": "fail"}.items() <= next(
        f for f in json.loads(out) if f["check"] == "secret SLACK_BOT_TOKEN"
    ).items()


def test_doctor_reports_an_unreachable_state_store(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINANCE_DATABASE_URL", "postgresql://u:pw@127.0.0.1:1/x")
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    store = next(f for f in json.loads(out) if f["check"] == "state store")
    assert code == 1 and store["status"] == "fail" and "unreachable" in store["detail"]


def test_commands_outside_an_install_say_how_to_install(brctl: Run, tmp_path: Path) -> None:
    code, _, err = brctl("finance", "doctor", f"--target={tmp_path}")
    assert code == 2 and "brctl pack install finance" in err


def test_broken_config_is_exit_2_with_location(brctl: Run, installed_target: Path) -> None:
    config = installed_target / "packs/finance/finance.yaml"
    config.write_text(config.read_text().replace("timezone: UTC\n", "timezone: [\n", 1))
    code, _, err = brctl("finance", "db", "upgrade")
    assert code == 2 and "finance.yaml:" in err and "malformed YAML" in err
