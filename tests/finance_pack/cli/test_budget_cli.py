from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., tuple[int, str, str]]


def _budgets(brctl: Run) -> dict[str, dict[str, object]]:
    code, out, _ = brctl("finance", "budget", "list", "--format", "json")
    assert code == 0
    return {row["name"]: row for row in json.loads(out)}


def _audit(brctl: Run) -> list[dict[str, object]]:
    code, out, _ = brctl("finance", "audit", "--format", "json")
    assert code == 0
    return [r for r in json.loads(out) if str(r["action"]).startswith("budgets.")]


def test_set_creates_an_audited_managed_budget(brctl: Run, installed_target: Path) -> None:
    code, out, _ = brctl(
        "finance",
        "budget",
        "set",
        "platform",
        "--amount",
        "5000",
        "--currency",
        "usd",
        "--service",
        "AmazonEC2",
        "--tag",
        "team=platform",
        "--threshold",
        "80",
        "--threshold",
        "100:forecast",
    )
    assert code == 0 and "created budget platform" in out
    row = _budgets(brctl)["platform"]
    assert row["amount"] == "5000" and row["currency"] == "USD" and row["source"] == "managed"
    assert row["thresholds"] == ["80:actual", "100:forecast"]
    [record] = _audit(brctl)
    assert record["action"] == "budgets.set" and record["before"] is None
    assert record["after"]["scope"]["tags"] == {"team": ["platform"]}  # type: ignore[index]


def test_managed_budget_overrides_and_delete_restores_finance_yaml(
    brctl: Run, installed_target: Path
) -> None:
    assert _budgets(brctl)["total"]["source"] == "finance.yaml"
    brctl("finance", "budget", "set", "total", "--amount", "12000.50", "--currency", "USD")
    assert _budgets(brctl)["total"]["source"] == "managed (overrides finance.yaml)"
    assert brctl("finance", "budget", "delete", "total")[0] == 0
    assert _budgets(brctl)["total"] == {
        **_budgets(brctl)["total"],
        "amount": "10000",
        "source": "finance.yaml",
    }
    code, _, err = brctl("finance", "budget", "delete", "total")
    assert code == 2 and "declared in finance.yaml" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--amount", "0", "--currency", "USD"], "must be positive"),
        (["--amount", "-5", "--currency", "USD"], "must be positive"),
        (["--amount", "abc", "--currency", "USD"], "not a decimal number"),
        (["--amount", "10", "--currency", "XYZ"], "unknown currency"),
        (["--amount", "10", "--currency", "EUR"], "billed in USD"),
        (["--amount", "10", "--currency", "USD", "--threshold", "0"], "out of range"),
        (
            [
                "--amount",
                "10",
                "--currency",
                "USD",
                "--threshold",
                "80",
                "--threshold",
                "80:actual",
            ],
            "duplicated",
        ),
        (["--amount", "10", "--currency", "USD", "--tag", "team"], "KEY=VALUE"),
    ],
)
def test_bad_budgets_are_refused_and_change_nothing(
    brctl: Run, installed_target: Path, args: list[str], message: str
) -> None:
    code, _, err = brctl("finance", "budget", "set", "b1", *args)
    assert code == 2 and message in err
    assert "b1" not in _budgets(brctl)
    assert _audit(brctl) == []


def test_fx_table_allows_another_currency(brctl: Run, installed_target: Path) -> None:
    config = installed_target / "packs/finance/finance.yaml"
    config.write_text(config.read_text().replace("fx_rates: {}", 'fx_rates: {"USD/EUR": "0.92"}'))
    assert brctl("finance", "budget", "set", "eu", "--amount", "100", "--currency", "EUR")[0] == 0


def test_a_subject_without_budgets_write_is_denied(brctl: Run, installed_target: Path) -> None:
    brctl("roles", "bind", "user:gc@example.com", "growth-catalyst")
    code, _, err = brctl(
        "finance",
        "budget",
        "set",
        "b2",
        "--amount",
        "10",
        "--currency",
        "USD",
        "--as",
        "user:gc@example.com",
    )
    assert code == 3 and "budgets:write" in err
    assert "b2" not in _budgets(brctl) and _audit(brctl) == []


def test_list_without_budgets_says_how_to_set_one_and_scripts_see_no_rows(
    brctl: Run, installed_target: Path
) -> None:
    config = installed_target / "packs/finance/finance.yaml"
    declared = (
        'budgets:\n  - name: total\n    amount: "10000.00"\n    currency: USD\n'
        '    thresholds: ["50", "80", "100", "100:forecast"]\n'
    )
    assert declared in config.read_text()
    config.write_text(config.read_text().replace(declared, "budgets: []\n"))
    code, out, err = brctl("finance", "budget", "list")
    assert code == 0, err
    assert out == (
        "No budgets yet. Set one with: brctl finance budget set platform --amount 5000 "
        "--currency USD --threshold 80 (or declare it under budgets: in finance.yaml)\n"
    )
    assert brctl("finance", "budget", "list", "--format", "json")[1] == "[]\n"
    assert brctl("finance", "budget", "list", "--format", "csv")[1] == (
        "name,amount,currency,scope,thresholds,source,updated_by,error\n"
    )
