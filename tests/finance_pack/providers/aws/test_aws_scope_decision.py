"""The credential-scope decision of `doctor`'s AWS check.

moto cannot simulate IAM policies, so these tests stub the boundary: a session whose IAM client
answers `SimulatePrincipalPolicy` with the evaluation results IAM would give. What is pinned is
the decision on those results and the request that asks for them.
"""

from __future__ import annotations

from typing import Any

from finance_pack.domain.health import Status
from finance_pack.providers.aws.access import scope_finding

ROLE_SESSION = "arn:aws:sts::111122223333:assumed-role/finance-readonly/agent"
ROLE = "arn:aws:iam::111122223333:role/finance-readonly"
WRITE_ACTIONS = [
    "iam:CreateUser",
    "iam:AttachUserPolicy",
    "ec2:RunInstances",
    "s3:PutObject",
    "ce:UpdateCostAllocationTagsStatus",
    "budgets:ModifyBudget",
]


class _StubIam:
    def __init__(self, decisions: dict[str, str]) -> None:
        self.decisions = decisions
        self.requests: list[dict[str, Any]] = []

    def simulate_principal_policy(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {
            "EvaluationResults": [
                {
                    "EvalActionName": action,
                    "EvalDecision": self.decisions.get(action, "implicitDeny"),
                }
                for action in request["ActionNames"]
            ]
        }


class _StubSession:
    def __init__(self, iam: _StubIam) -> None:
        self.iam = iam

    def client(self, service: str, **_: Any) -> _StubIam:
        assert service == "iam"
        return self.iam


def test_read_only_credentials_are_ok_and_the_role_is_asked_about_every_write_action() -> None:
    iam = _StubIam({"ce:GetCostAndUsage": "allowed"})

    finding = scope_finding(_StubSession(iam), None, ROLE_SESSION)

    assert finding.status is Status.OK
    assert finding.detail == f"{ROLE_SESSION} is read-only for the actions checked"
    assert iam.requests == [{"PolicySourceArn": ROLE, "ActionNames": WRITE_ACTIONS}]


def test_explicit_denies_are_read_only_too() -> None:
    iam = _StubIam(dict.fromkeys(WRITE_ACTIONS, "explicitDeny"))
    assert scope_finding(_StubSession(iam), None, ROLE_SESSION).status is Status.OK


def test_one_allowed_write_action_is_a_warning_naming_it() -> None:
    iam = _StubIam({"s3:PutObject": "allowed", "ec2:RunInstances": "allowed"})

    finding = scope_finding(_StubSession(iam), None, ROLE_SESSION)

    assert finding.status is Status.WARN
    assert "ec2:RunInstances, s3:PutObject" in finding.detail
