from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib.resources import files
from typing import Any

from finance_pack.providers.aws.access import WRITE_ACTIONS, check_aws_access, principal_arn
from finance_pack.providers.aws.calls import client
from finance_pack.providers.aws.cloudwatch import BillingPoller, BillingSeries
from finance_pack.services.doctor import Status

T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)


def put(cw: Any, series: BillingSeries, when: datetime, value: str) -> None:
    cw.put_metric_data(
        Namespace="AWS/Billing",
        MetricData=[
            {
                "MetricName": "EstimatedCharges",
                "Dimensions": series.dimensions(),
                "Timestamp": when,
                "Value": float(value),
                "Unit": "None",
            }
        ],
    )


def test_poller_turns_cumulative_charges_into_interval_spend_per_series(
    moto_url: str, aws_session: Any, reset_moto: None
) -> None:
    cw = client(aws_session, "cloudwatch", endpoint_url=moto_url)
    ec2 = BillingSeries("USD", "AmazonEC2", "111122223333")
    s3 = BillingSeries("USD", "AmazonS3", "111122223333")
    put(cw, ec2, T0 + timedelta(hours=6), "12.5")  # late point, sent first
    put(cw, ec2, T0, "10")
    put(cw, s3, T0, "1.25")
    poller = BillingPoller(cw, period_seconds=3600)
    spend = {
        s.series: s.intervals for s in poller.poll(T0 - timedelta(hours=1), T0 + timedelta(hours=7))
    }
    assert set(spend) == {ec2, s3}
    assert [i.end for i in spend[ec2]] == [T0, T0 + timedelta(hours=6)]
    assert spend[ec2][1].amount == Decimal("2.5")
    assert spend[s3][-1].end == T0


def test_access_check_reads_cost_explorer_and_flags_broad_credentials(
    moto_url: str, aws_session: Any, reset_moto: None
) -> None:
    findings = check_aws_access(aws_session, endpoint_url=moto_url)
    assert findings[0].status is Status.OK and "Cost Explorer" in findings[0].detail
    # moto's default identity is an all-powerful root-like user, or its simulation is missing:
    # either way the answer must not claim the credentials are read-only.
    assert findings[1].status is Status.WARN
    assert "more than read" in findings[1].detail or "could not determine" in findings[1].detail


def test_unreachable_aws_is_a_failed_finding(aws_session: Any) -> None:
    findings = check_aws_access(aws_session, endpoint_url="http://127.0.0.1:9")
    assert [f.status for f in findings] == [Status.FAIL]


def test_assumed_role_sessions_are_simulated_as_their_role() -> None:
    arn = "arn:aws:sts::123456789012:assumed-role/FinanceReader/agent-1"
    assert principal_arn(arn) == "arn:aws:iam::123456789012:role/FinanceReader"


def test_shipped_policy_allows_only_read_actions() -> None:
    text = (files("finance_pack") / "pack" / "iam" / "finance-readonly-policy.json").read_text()
    actions = {a for s in json.loads(text)["Statement"] for a in s["Action"]}
    assert actions and not actions & set(WRITE_ACTIONS)
    assert all(a.split(":")[1].startswith(("Get", "List", "Simulate")) for a in actions)
