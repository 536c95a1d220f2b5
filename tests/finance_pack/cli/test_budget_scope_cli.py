"""`budget set` says when a scope matched no spend in 90 days; `--strict` refuses it (issue 9
item 7). The seeded sandbox export is FOCUS: services carry their full names."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from finance_pack.clock import FakeClock
from finance_pack.sandbox.seed_spend import write_focus_csv

Run = Callable[..., tuple[int, str, str]]
LAST = date(2026, 10, 20)
NOW = datetime(2026, 10, 21, 6, tzinfo=UTC)


@pytest.fixture
def seeded(
    brctl: Run, installed_target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    export = tmp_path / "focus.csv"
    write_focus_csv(export, LAST - timedelta(days=60), LAST)
    code, _, err = brctl("finance", "ingest", "focus", str(export), "--format", "json")
    assert code == 0, err
    monkeypatch.setattr("finance_pack.cli.common.clock", FakeClock(NOW))
    return export


def _set(brctl: Run, *args: str) -> tuple[int, str, str]:
    return brctl("finance", "budget", "set", "ec2", "--amount", "100", "--currency", "USD", *args)


def test_the_cur_code_from_the_help_example_matches_focus_spend(brctl: Run, seeded: Path) -> None:
    code, out, err = _set(brctl, "--service", "AmazonEC2", "--strict")
    assert code == 0, err
    assert "matched no spend" not in err and "created budget ec2" in out
    code, out, _ = brctl(
        "finance", "kpi", "--budget", "ec2", "--month", "2026-10", "--format", "json"
    )
    assert json.loads(out)[0]["no_spend_in_scope"] is False


def test_a_scope_matching_nothing_is_warned_about_with_the_closest_values(
    brctl: Run, seeded: Path
) -> None:
    code, out, err = _set(brctl, "--service", "Amazon Elastic Compute")
    assert code == 0 and "created budget ec2" in out
    assert "matched no spend in the last 90 days" in err
    assert "closest: Amazon Elastic Compute Cloud" in " ".join(err.split())


def test_strict_refuses_a_scope_matching_nothing_and_saves_nothing(
    brctl: Run, seeded: Path
) -> None:
    code, _, err = _set(brctl, "--region", "us-east-9", "--strict")
    assert code == 2
    assert "region" in err and "us-east-9" in err and "closest: us-east-1" in " ".join(err.split())
    code, out, _ = brctl("finance", "budget", "list", "--format", "json")
    assert "ec2" not in {row["name"] for row in json.loads(out)}


def test_the_help_example_uses_a_service_name_found_in_real_data(brctl: Run) -> None:
    code, out, _ = brctl("finance", "budget", "set", "--help")
    assert code == 0 and "Amazon Elastic Compute Cloud" in out
