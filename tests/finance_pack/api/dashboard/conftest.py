"""A signed-in dashboard over seeded spend: an installed pack, 70 days of the demo's FOCUS
export, two budgets, a steward and a catalyst bound; and one over 40 days with the config's
budget alone (a short history)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))

from finance_pack_api_support import CATALYST, STEWARD, Api

from brctl.cli import main
from finance_pack.sandbox.seed_spend import write_focus_csv

__all__ = ["CATALYST", "STEWARD", "Api", "dashboard", "short_dashboard"]


def _seeded(tmp_path_factory: pytest.TempPathFactory, days: int, budgets: bool) -> Iterator[Path]:
    from brctl.install import apply_plan, plan_install
    from brctl.packs import get_pack

    target = tmp_path_factory.mktemp("dash") / "deploy"
    apply_plan(plan_install(get_pack("finance"), target))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BLACKROAD_HOME", str(target))
        for name in ("FINANCE_DATABASE_URL", "FINANCE_COST_STORE_URL", "BLACKROAD_SUBJECT"):
            patch.delenv(name, raising=False)
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        export = target / "focus.csv"
        write_focus_csv(export, yesterday - timedelta(days=days), yesterday)
        assert main(["finance", "ingest", "focus", str(export)]) == 0
        teams = (("platform", "5200", "platform"), ("web", "900", "web")) if budgets else ()
        for name, amount, team in teams:
            args = ["finance", "budget", "set", name, "--amount", amount, "--currency", "USD"]
            assert main([*args, "--tag", f"team={team}", "--threshold", "80"]) == 0
        yield target


@pytest.fixture(scope="module")
def seeded_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from _seeded(tmp_path_factory, 70, budgets=True)


@pytest.fixture(scope="module")
def short_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """40 days of spend: at most one complete month, too little to calibrate a forecast."""
    yield from _seeded(tmp_path_factory, 40, budgets=False)


def _api(target: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    monkeypatch.setenv("BLACKROAD_HOME", str(target))
    api = Api(target)
    yield api
    api.engine.dispose()


@pytest.fixture
def dashboard(seeded_target: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    yield from _api(seeded_target, monkeypatch)


@pytest.fixture
def short_dashboard(short_target: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    yield from _api(short_target, monkeypatch)
