"""/metrics says how old each provider's cost data is (issue 9 item 5)."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from finance_pack_api_support import Api

from finance_pack.costs.ingest import FileKind, ingest_files
from finance_pack.costs.store import CostStore

sys.path.insert(0, str(Path(__file__).parents[1] / "costs"))
from cost_files import Row, write_focus_csv


def _gauge(metrics: str, name: str, provider: str) -> float:
    match = re.search(rf'^{name}{{provider="{provider}"}} (\S+)$', metrics, re.MULTILINE)
    assert match, f"{name} for {provider} missing from /metrics"
    return float(match.group(1))


def test_metrics_expose_data_age_and_staleness_per_provider(api: Api, tmp_path: Path) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = [
        Row(hour - timedelta(hours=73), Decimal("1.50"), Decimal("1.50"), provider="AWS"),
        Row(hour - timedelta(hours=2), Decimal("2"), Decimal("2"), provider="Microsoft"),
    ]
    store = CostStore.open(api.context.cost_store_url, timezone=api.context.config.timezone)
    try:
        ingest_files(store, [str(write_focus_csv(tmp_path / "f.csv", rows))], FileKind.FOCUS)
    finally:
        store.close()
    metrics = api.client.get("/metrics").text
    aws_age = _gauge(metrics, "finance_cost_data_age_seconds", "AWS")
    azure_age = _gauge(metrics, "finance_cost_data_age_seconds", "Microsoft")
    assert 72 * 3600 <= aws_age < 73 * 3600
    assert 3600 <= azure_age < 2 * 3600
    assert _gauge(metrics, "finance_cost_data_stale", "AWS") == 1.0
    assert _gauge(metrics, "finance_cost_data_stale", "Microsoft") == 0.0
    assert "finance_cost_data_stale_after_seconds 129600.0" in metrics
