"""Lazily loaded command groups: the listing shows what loading would, and nothing is lost."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import typer

from brctl.cli import _LAZY_GROUPS
from brctl.lazy import LazyCommand
from finance_pack.cli.app import COMMANDS, build_app

Run = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize("lazy", [*_LAZY_GROUPS, *COMMANDS], ids=lambda lazy: lazy.name)
def test_the_help_listed_without_importing_is_the_help_the_loaded_command_shows(
    lazy: LazyCommand,
) -> None:
    loaded = lazy.load()
    assert loaded.name == lazy.name
    assert loaded.help == lazy.help_text() != ""


def test_the_group_offers_every_command_in_order_and_loads_one_only_when_asked() -> None:
    group = typer.main.get_group(build_app())
    context = typer.Context(group)
    assert group.list_commands(context) == [lazy.name for lazy in COMMANDS]
    budget = group.get_command(context, "budget")
    assert budget is not None and "list" in budget.list_commands(typer.Context(budget))


def test_help_lists_each_command_with_the_first_line_of_its_docstring(
    brctl: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per command
    code, out, _err = brctl("finance", "--help")
    assert code == 0
    for expected in (
        "budget          Create, change, list and delete budgets.",
        "kpi             Show each budget's KPIs; money is exact, JSON is a stable contract.",
        "token           Issue, list and revoke API tokens.",
    ):
        assert expected in out


def test_a_mistyped_command_still_gets_a_suggestion(brctl: Run) -> None:
    code, _out, err = brctl("finance", "budgte", "list")
    assert code == 2
    assert "No such command 'budgte'. Did you mean 'budget'" in " ".join(err.split())
