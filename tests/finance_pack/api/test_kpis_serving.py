"""`/v1/kpis` under load: answers cached per snapshot and budget version, `ETag` and 304, and a
busy or broken cost store answered with 503, `Retry-After` and nothing about the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from finance_pack_api_support import STEWARD, Api

from finance_pack.api import kpi_answers
from finance_pack.costs.publish import append_records
from finance_pack.costs.snapshots import close_snapshots
from finance_pack.domain.costs import CostRecord
from finance_pack.domain.money import Money
from finance_pack.services import reporting

EC2 = {"amount": "1000.00", "currency": "USD", "scope": {"services": ["AmazonEC2"]}}
ASK = {"month": "2026-05", "budget": "ec2"}


def ec2_record(day: int, amount: str) -> CostRecord:
    start = datetime(2026, 5, day, 10, tzinfo=UTC)
    return CostRecord(
        charge_period_start=start,
        charge_period_end=start + timedelta(hours=1),
        billed_cost=Money(Decimal(amount), "USD"),
        effective_cost=Money(Decimal(amount), "USD"),
        provider_name="AWS",
        billing_account_id="100000000001",
        service_name="AmazonEC2",
    )


@pytest.fixture
def served(api: Api) -> Any:
    headers = {"Authorization": f"Bearer {api.token(STEWARD)}"}
    assert api.client.put("/v1/budgets/ec2", json=EC2, headers=headers).status_code == 200
    append_records(api.context.cost_store_url, "UTC", "watcher", [ec2_record(3, "12.50")])
    yield api, headers
    close_snapshots()


def test_kpis_carry_an_etag_and_answer_304_until_data_arrives(served: Any) -> None:
    api, headers = served
    first = api.client.get("/v1/kpis", params=ASK, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()[0]["mtd_spend"] == "12.50"
    etag = first.headers["ETag"]
    again = api.client.get("/v1/kpis", params=ASK, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag

    append_records(api.context.cost_store_url, "UTC", "watcher", [ec2_record(4, "0.25")])
    fresh = api.client.get("/v1/kpis", params=ASK, headers={**headers, "If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json()[0]["mtd_spend"] == "12.75"
    assert fresh.headers["ETag"] != etag


def test_a_budget_change_invalidates_the_cached_kpis(served: Any) -> None:
    api, headers = served
    first = api.client.get("/v1/kpis", params=ASK, headers=headers)
    changed = {**EC2, "amount": "50.00"}
    assert api.client.put("/v1/budgets/ec2", json=changed, headers=headers).status_code == 200
    second = api.client.get(
        "/v1/kpis", params=ASK, headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert second.status_code == 200
    assert second.json()[0]["budget_amount"] == "50.00"


def test_repeated_reads_of_one_snapshot_compute_the_kpis_once(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, headers = served
    calls: list[int] = []
    real = reporting.budget_snapshots

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(kpi_answers, "budget_snapshots", counted)
    answers = {api.client.get("/v1/kpis", params=ASK, headers=headers).text for _ in range(5)}
    assert len(answers) == 1
    assert len(calls) == 1


def test_an_unreadable_store_answers_503_with_retry_after_and_no_server_details(
    served: Any,
) -> None:
    api, headers = served
    close_snapshots()
    folder = api.context.state_dir / "costs.snapshots"
    (folder / "costs-broken.duckdb").write_bytes(b"not a database" * 100)
    (folder / "CURRENT").write_text('{"snapshot": "x", "file": "costs-broken.duckdb"}')
    response = api.client.get("/v1/kpis", params=ASK, headers=headers)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert str(api.context.state_dir) not in response.text
    assert "duckdb" not in response.text.lower() and "pid" not in response.text.lower()
