"""`brctl finance doctor`'s AWS check: can we read billing data, and can we do *more*?

The playbook asks for "scoped read-only for Cost Explorer access": credentials that could
also write are a finding, because the agents run unattended with them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from finance_pack.domain.health import Finding, Status
from finance_pack.errors import FinanceError
from finance_pack.providers.aws.calls import call_aws, client

CHECK = "aws access"
# Actions the pack never needs; any of them allowed means the credentials are too broad.
WRITE_ACTIONS = (
    "iam:CreateUser",
    "iam:AttachUserPolicy",
    "ec2:RunInstances",
    "s3:PutObject",
    "ce:UpdateCostAllocationTagsStatus",
    "budgets:ModifyBudget",
)


def principal_arn(caller_arn: str) -> str:
    """IAM simulation needs the role, not the session: map `assumed-role` ARNs back."""
    if ":assumed-role/" not in caller_arn:
        return caller_arn
    prefix, rest = caller_arn.split(":assumed-role/", 1)
    role = rest.split("/", 1)[0]
    return prefix.replace(":sts:", ":iam:") + f":role/{role}"


def check_aws_access(
    session: Any, *, endpoint_url: str | None = None, today: date | None = None
) -> list[Finding]:
    findings: list[Finding] = []
    try:
        sts = client(session, "sts", endpoint_url=endpoint_url)
        identity = call_aws("sts:GetCallerIdentity", sts.get_caller_identity)
    except FinanceError as exc:
        return [Finding(CHECK, Status.FAIL, exc.message)]
    findings.append(_cost_explorer_finding(session, endpoint_url, today or date.today()))
    findings.append(_scope_finding(session, endpoint_url, str(identity["Arn"])))
    return findings


def _cost_explorer_finding(session: Any, endpoint_url: str | None, today: date) -> Finding:
    ce = client(session, "ce", endpoint_url=endpoint_url)
    period = {"Start": (today - timedelta(days=1)).isoformat(), "End": today.isoformat()}
    try:
        call_aws(
            "ce:GetCostAndUsage",
            lambda: ce.get_cost_and_usage(
                TimePeriod=period, Granularity="DAILY", Metrics=["UnblendedCost"]
            ),
            attempts=2,
        )
    except FinanceError as exc:
        return Finding(CHECK, Status.FAIL, f"Cost Explorer: {exc.message}")
    return Finding(CHECK, Status.OK, "Cost Explorer readable (one request, billed $0.01)")


def _scope_finding(session: Any, endpoint_url: str | None, caller_arn: str) -> Finding:
    iam = client(session, "iam", endpoint_url=endpoint_url)
    try:
        reply = iam.simulate_principal_policy(
            PolicySourceArn=principal_arn(caller_arn), ActionNames=list(WRITE_ACTIONS)
        )
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        return Finding(
            CHECK,
            Status.WARN,
            f"could not determine whether {caller_arn} can do more than read billing data "
            f"({type(exc).__name__}: simulation unavailable); grant "
            "iam:SimulatePrincipalPolicy on itself to check, and use "
            "packs/finance/iam/finance-readonly-policy.json",
        )
    allowed = sorted(
        r["EvalActionName"]
        for r in reply.get("EvaluationResults", [])
        if r.get("EvalDecision") == "allowed"
    )
    if allowed:
        return Finding(
            CHECK,
            Status.WARN,
            f"{caller_arn} can do more than read billing data: {', '.join(allowed)}; "
            "use packs/finance/iam/finance-readonly-policy.json",
        )
    return Finding(CHECK, Status.OK, f"{caller_arn} is read-only for the actions checked")
