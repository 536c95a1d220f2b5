from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from finance_pack.sandbox.testing import RunningSlackEmulator

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def slack_env(slack_emulator: RunningSlackEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """The emulator's API URL and token in the environment; returns the token."""
    monkeypatch.setenv("FINANCE_SLACK_API_URL", slack_emulator.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_emulator.token)
    monkeypatch.delenv("SLACK_BOT_TOKEN_FILE", raising=False)
    return slack_emulator.token


@pytest.fixture
def aws_enabled(installed_target: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Turns `providers.aws` on in finance.yaml with the given endpoint; test credentials."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)

    def enable(endpoint_url: str) -> None:
        config = installed_target / "packs/finance/finance.yaml"
        text = config.read_text()
        enabled = text.replace(
            "    enabled: false\n", f"    enabled: true\n    endpoint_url: {endpoint_url}\n", 1
        )
        assert enabled != text
        config.write_text(enabled)

    return enable


def findings_of(out: str) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for finding in json.loads(out):
        found.setdefault(finding["check"], []).append(finding)
    return found


def test_doctor_reports_secret_presence_never_values(
    brctl: Run, installed_target: Path, slack_env: str
) -> None:
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    findings = {f["check"]: f for f in json.loads(out)}
    assert code == 0
    assert findings["secret SLACK_BOT_TOKEN"]["detail"] == "set (from env)"
    assert slack_env not in out
    assert findings["config"]["status"] == "ok"


def test_doctor_names_the_slack_bot_and_its_team_without_the_token(
    brctl: Run, installed_target: Path, slack_env: str, slack_emulator: RunningSlackEmulator
) -> None:
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    [slack] = findings_of(out)["slack"]
    assert code == 0 and slack["status"] == "ok"
    assert "Emulated Workspace" in slack["detail"] and "U0FINBOT01" in slack["detail"]
    assert slack_emulator.api_url in slack["detail"] and slack_env not in out


def test_a_rejected_slack_token_fails_with_the_fix(
    brctl: Run, installed_target: Path, slack_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked-token")
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    [slack] = findings_of(out)["slack"]
    assert code == 1 and slack["status"] == "fail"
    assert "invalid_auth" in slack["detail"] and "SLACK_BOT_TOKEN" in slack["detail"]
    assert "xoxb-revoked-token" not in out


def test_slack_check_is_skipped_without_a_token(
    brctl: Run, installed_target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN_FILE", raising=False)
    _, out, _ = brctl("finance", "doctor", "--format", "json")
    [slack] = findings_of(out)["slack"]
    assert slack["status"] == "skip" and "skipped" in slack["detail"]


def test_aws_check_is_skipped_while_aws_is_disabled(
    brctl: Run, installed_target: Path, slack_env: str
) -> None:
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    [aws] = findings_of(out)["aws access"]
    assert code == 0
    assert aws == {
        "check": "aws access",
        "status": "skip",
        "detail": "skipped (providers.aws.enabled is false)",
    }


def test_aws_check_reads_cost_explorer_at_the_configured_endpoint(
    brctl: Run, slack_env: str, aws_enabled: Callable[[str], None], moto_url: str
) -> None:
    aws_enabled(moto_url)
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    aws = findings_of(out)["aws access"]
    assert code == 0
    assert aws[0] == {
        "check": "aws access",
        "status": "ok",
        "detail": "Cost Explorer readable (one request, billed $0.01)",
    }
    # moto's identity may do anything (or cannot be simulated): never reported as read-only.
    assert aws[1]["status"] == "warn"


def test_unreachable_aws_fails_the_doctor(
    brctl: Run, slack_env: str, aws_enabled: Callable[[str], None]
) -> None:
    aws_enabled("http://127.0.0.1:9")
    code, out, _ = brctl("finance", "doctor", "--format", "json")
    [aws] = findings_of(out)["aws access"]
    assert code == 1 and aws["status"] == "fail" and "127.0.0.1:9" in aws["detail"]


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
