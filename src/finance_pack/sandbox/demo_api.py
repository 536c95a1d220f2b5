"""The demo's API tour: the same KPIs and budgets over HTTP, with each role's token."""

from __future__ import annotations

import json

import httpx
from rich.console import Console
from rich.table import Table

NEW_BUDGET = {
    "amount": "750.00",
    "currency": "USD",
    "scope": {"tags": {"team": ["web"]}},
    "thresholds": ["90"],
}


def _brief(response: httpx.Response) -> str:
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, list):
            return f"{len(body)} item(s): " + ", ".join(
                str(item.get("budget") or item.get("slo") or item.get("name")) for item in body[:6]
            )
        return json.dumps(body)[:110]
    return response.text[:110]


def show_api(base: str, console: Console, tokens: dict[str, str]) -> None:
    """Call the running pack's API as anyone, as each role, and read its SLO metrics."""
    catalyst = {"Authorization": f"Bearer {tokens['catalyst']}"}
    steward = {"Authorization": f"Bearer {tokens['steward']}"}
    calls = [
        ("GET", "/healthz", None, None, "anyone"),
        ("GET", "/readyz", None, None, "anyone"),
        ("GET", "/v1/kpis", None, None, "no token"),
        ("GET", "/v1/whoami", catalyst, None, "Growth Catalyst"),
        ("GET", "/v1/kpis", catalyst, None, "Growth Catalyst"),
        ("PUT", "/v1/budgets/marketing", catalyst, NEW_BUDGET, "Growth Catalyst"),
        ("PUT", "/v1/budgets/marketing", steward, NEW_BUDGET, "Policy Steward"),
        ("GET", "/v1/slo", catalyst, None, "Growth Catalyst"),
    ]
    table = Table(title=f"API on {base}", title_justify="left")
    for column in ("request", "as", "status", "answer"):
        table.add_column(column, overflow="fold")
    with httpx.Client(base_url=base, timeout=30) as client:
        for method, path, headers, body, who in calls:
            response = client.request(method, path, headers=headers, json=body)
            table.add_row(f"{method} {path}", who, str(response.status_code), _brief(response))
        metrics = [
            line
            for line in client.get("/metrics").text.splitlines()
            if line.startswith("finance_slo_attainment")
        ]
    console.print(table)
    for line in metrics:
        console.print(f"  /metrics: {line}", markup=False, soft_wrap=False)
