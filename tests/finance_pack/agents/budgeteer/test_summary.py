from __future__ import annotations

import json
from pathlib import Path

from finance_pack.agents.budgeteer.chart import render_chart
from finance_pack.agents.budgeteer.summary import (
    MAX_BUDGETS_PER_MESSAGE,
    threshold_alert,
    weekly_summary,
)
from finance_pack.domain.budget_snapshot import BudgetSnapshot

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "budgeteer"


def _texts(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks)


def test_summary_shows_every_kpi_movers_and_freshness(snapshot: BudgetSnapshot) -> None:
    message = weekly_summary([snapshot], "2026-W48", late=False, month="2026-11")
    body = _texts(message.blocks)
    report = snapshot.report
    assert f"USD {report.mtd_spend:,.2f}" in body
    assert "Daily burn" in body and "80% range" in body and report.forecaster in body
    assert "Amazon EC2: +USD 172.40 (+26.9%)" in body
    assert "AWS Lambda: +USD 12.00 (new)" in body
    assert "data as of 2026-11-26 00:00 UTC" in body
    assert "(late)" not in message.text and "platform" in message.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "weekly-summary.json").write_text(json.dumps(message.blocks, indent=2))


def test_late_summary_is_marked(snapshot: BudgetSnapshot) -> None:
    message = weekly_summary([snapshot], "2026-W47", late=True, month="2026-11")
    assert "(late)" in message.text and "(late)" in _texts(message.blocks)


def test_empty_budget_list_still_posts_a_helpful_summary() -> None:
    message = weekly_summary([], "2026-W48", late=False, month="2026-11")
    assert "No budgets are configured" in _texts(message.blocks)


def test_many_budgets_stay_under_slacks_block_limit(snapshot: BudgetSnapshot) -> None:
    message = weekly_summary([snapshot] * 40, "2026-W48", late=False, month="2026-11")
    assert len(message.blocks) <= 50
    assert f"{40 - MAX_BUDGETS_PER_MESSAGE} more budget(s)" in _texts(message.blocks)


def test_threshold_alert_names_budget_threshold_and_basis(snapshot: BudgetSnapshot) -> None:
    alert = threshold_alert(snapshot.report, "100:forecast")
    assert "platform crossed 100% on forecast spend for 2026-11" in alert.text


def test_chart_is_a_png_and_saved_for_review(snapshot: BudgetSnapshot) -> None:
    png = render_chart(snapshot)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "weekly-chart.png").write_bytes(png)


def test_summary_says_how_old_the_data_is_and_which_budgets_are_stale(
    snapshot: BudgetSnapshot,
) -> None:
    from dataclasses import replace
    from datetime import timedelta

    from finance_pack.domain.kpis import KpiStatus

    fresh = weekly_summary([snapshot], "2026-W48", late=False, month="2026-11")
    assert "data as of 2026-11-26 00:00 UTC (24h old)" in _texts(fresh.blocks)
    old = replace(
        snapshot.report, data_age=timedelta(days=3, hours=5), stale=True, status=KpiStatus.STALE
    )
    stale = weekly_summary([replace(snapshot, report=old)], "2026-W48", late=False, month="2026-11")
    body = _texts(stale.blocks)
    assert "(3d 5h old)" in body and "stale data for 1 budget(s): platform" in body
    assert ":hourglass:" in body


def test_a_forecast_from_a_short_history_is_marked_in_the_summary(
    snapshot: BudgetSnapshot,
) -> None:
    from dataclasses import replace

    assert "short history" not in _texts(
        weekly_summary([snapshot], "2026-W48", late=False, month="2026-11").blocks
    )
    short = replace(
        snapshot,
        report=replace(snapshot.report, forecast_fallback="short history (40 days, ...): ..."),
    )
    body = _texts(weekly_summary([short], "2026-W48", late=False, month="2026-11").blocks)
    assert "short history: wide range" in body
