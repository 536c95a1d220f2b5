"""DESIGN §6: `ingest` and `budgeteer run-now` change state, so each writes an audit record
naming who did it and what changed (files, rows and periods replaced; channels posted to)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from finance_pack.sandbox.testing import RunningSlackEmulator

Run = Callable[..., tuple[int, str, str]]
STEWARD = "user:pat@example.com"
FOCUS_CSV = """\
BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ProviderName,\
BillingAccountId,ServiceName,RegionId,Tags
"12.50",12.50,USD,2026-11-01T00:00:00Z,2026-11-02T00:00:00Z,AWS,111111111111,Amazon EC2,\
us-east-1,"{""team"":""core""}"
3.25,3.25,USD,2026-11-02 00:00:00,2026-11-03 00:00:00,AWS,111111111111,Amazon S3,NULL,
"""


def audit_records(brctl: Run) -> list[dict[str, object]]:
    code, out, err = brctl("finance", "audit", "--format", "json")
    assert code == 0, err
    records: list[dict[str, object]] = json.loads(out)
    return records


@pytest.fixture
def steward(brctl: Run, installed_target: Path) -> str:
    code, _out, err = brctl("roles", "bind", STEWARD, "policy-steward")
    assert code == 0, err
    return STEWARD


def test_an_ingest_records_who_loaded_which_files_rows_and_periods(
    brctl: Run, steward: str, tmp_path: Path
) -> None:
    export = tmp_path / "november.csv"
    export.write_text(FOCUS_CSV)
    code, _out, err = brctl(
        "finance", "ingest", "focus", str(export), "--source", "payer", "--as", steward
    )
    assert code == 0, err
    [record] = [r for r in audit_records(brctl) if r["action"] == "costs.ingest.focus"]
    assert (record["actor"], record["target"], record["via"]) == (steward, "cost-store", "cli")
    assert record["after"] == {
        "sources": ["payer"],
        "files": [str(export)],
        "rows": 2,
        "rejected": 0,
        "periods_replaced": ["payer 2026-11"],
    }


def test_an_ingest_refused_for_lack_of_costs_write_loads_and_records_nothing(
    brctl: Run, installed_target: Path, tmp_path: Path
) -> None:
    export = tmp_path / "november.csv"
    export.write_text(FOCUS_CSV)
    assert brctl("roles", "bind", "user:gina@example.com", "growth-catalyst")[0] == 0
    code, _out, err = brctl(
        "finance", "ingest", "focus", str(export), "--as", "user:gina@example.com"
    )
    assert code == 3 and "lacks permission costs:write" in err
    assert [r["action"] for r in audit_records(brctl)] == ["roles.bind"]


def test_budgeteer_run_now_records_who_asked_and_where_it_posted(
    brctl: Run,
    steward: str,
    slack_emulator: RunningSlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_emulator.token)
    monkeypatch.setenv("FINANCE_SLACK_API_URL", slack_emulator.api_url)
    code, _out, err = brctl(
        "finance", "budgeteer", "run-now", "--channel", "#finops", "--as", steward
    )
    assert code == 0, err
    [summary] = slack_emulator.emulator.messages()
    assert summary["channel_name"] == "finops"
    [record] = [r for r in audit_records(brctl) if r["action"] == "budgeteer.run-now"]
    assert (record["actor"], record["target"]) == (steward, "agent:budgeteer")
    assert record["after"] == {"requested": ["#finops"], "posted": ["#finops"]}
