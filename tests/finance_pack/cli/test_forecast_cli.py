from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from finance_pack.domain.backtest import BacktestResult
from finance_pack.sandbox.seed_spend import write_focus_csv
from finance_pack.services import backtest as backtest_service

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def seeded(brctl: Run, installed_target: Path, tmp_path: Path) -> Path:
    export = tmp_path / "focus.csv"
    write_focus_csv(export, date(2025, 9, 1), date(2026, 10, 20))
    code, _, err = brctl("finance", "ingest", "focus", str(export), "--format", "json")
    assert code == 0, err
    return export


def test_backtest_json_rows_carry_bias_beside_mape_by_day(brctl: Run, seeded: Path) -> None:
    code, out, err = brctl("finance", "forecast", "backtest", "--months", "1", "--format", "json")
    assert code == 0, err
    for row in json.loads(out):
        assert isinstance(row["bias_5_25"], float)
        assert abs(row["bias_5_25"]) <= row["mape_5_25"]
        assert set(row["mape_by_day"]) >= {"5", "25"}


def test_backtest_table_shows_bias_and_mape(brctl: Run, seeded: Path) -> None:
    code, out, err = brctl("finance", "forecast", "backtest", "--months", "1", "--format", "csv")
    assert code == 0, err
    header = out.splitlines()[0].split(",")
    assert {"mape_5_25", "bias_5_25", "mape_day_5"} <= set(header)


def test_backtest_replays_with_the_history_a_live_forecast_fetches(
    brctl: Run, installed_target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A live forecast fetches three years before the month; 26 months of spend is all there
    # is, so every day of it must reach the replay (a window of 17 months once cut it short).
    export = tmp_path / "focus.csv"
    write_focus_csv(export, date(2024, 9, 1), date(2026, 10, 20))
    code, _, err = brctl("finance", "ingest", "focus", str(export), "--format", "json")
    assert code == 0, err
    earliest: list[date] = []
    replay = backtest_service.backtest

    def spy(
        histories: Sequence[Mapping[date, Decimal]], months: int, **options: Any
    ) -> list[BacktestResult]:
        # (Days before the fetch window would read as days without spend.)
        earliest.extend(min(day for day, spend in daily.items() if spend) for daily in histories)
        return replay(histories, months, **options)

    monkeypatch.setattr(backtest_service, "backtest", spy)
    code, _, err = brctl("finance", "forecast", "backtest", "--months", "1", "--format", "json")
    assert code == 0, err
    assert earliest and set(earliest) == {date(2024, 9, 1)}


def test_a_table_back_test_reports_progress_and_a_scripted_one_does_not(
    brctl: Run, seeded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bar (stderr, gone once done) is fed by the months replayed; JSON and CSV are for
    # scripts and draw none.
    fed: list[bool] = []
    real = backtest_service.forecast_backtest

    def watched(*args: Any, on_month: Any = None, **kwargs: Any) -> Any:
        fed.append(on_month is not None)
        return real(*args, on_month=on_month, **kwargs)

    monkeypatch.setattr(backtest_service, "forecast_backtest", watched)
    assert brctl("finance", "forecast", "backtest", "--months", "1")[0] == 0
    assert brctl("finance", "forecast", "backtest", "--months", "1", "--format", "json")[0] == 0
    assert fed == [True, False]
