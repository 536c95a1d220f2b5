"""Dashboard load times in Chromium: the budgets page (50 budgets) and the cost explorer over a
cost store of N rows (the KPI benchmark's generator), served by a real `brctl finance up`.

    .venv/bin/python benchmarks/dashboard.py                    # 1M rows, a few minutes
    .venv/bin/python benchmarks/dashboard.py --rows 10000000    # the issue's 10M run

For each page: first contentful paint and the load event (navigation start to loadEventEnd),
the first load (it computes the KPIs) and the median of the next `--repeats` (reloads: the
browser revalidates with the page's ETag and gets a 304 until data or budgets change), read
from the browser's Performance API. The API runs without agents (they need Slack credentials).
Baseline in the same run: the JSON the page is built from (`/v1/kpis`, `/v1/costs`) fetched
over HTTP, so `ratio_to_api` is what rendering and the browser add.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import emit
from kpi import budgets, generate

from brctl.cli import main as brctl
from brctl.install import apply_plan, plan_install
from brctl.packs import get_pack
from finance_pack.sandbox.children import Children, brctl_argv
from finance_pack.sandbox.demo_pack import choose_port

MONTH = "2026-06"  # the generator's newest month
STEWARD = "user:bench@example.com"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Headless Chromium does not always report paint entries; the DOM being ready is the fallback.
TIMING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0]
    || performance.getEntriesByName('first-paint')[0];
  return {fcp: paint ? paint.startTime : nav.domContentLoadedEventEnd, load: nav.loadEventEnd};
}"""


def _budget_body(budget: Any) -> dict[str, Any]:
    scope = budget.scope
    return {
        "amount": f"{budget.amount.amount:f}",
        "currency": budget.amount.currency,
        "scope": {
            "providers": sorted(scope.providers),
            "accounts": sorted(scope.accounts),
            "services": sorted(scope.services),
            "regions": sorted(scope.regions),
            "tags": {key: sorted(values) for key, values in scope.tags.items()},
        },
        "thresholds": [str(t) for t in budget.thresholds],
    }


def _token(target: Path) -> str:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        assert brctl(["finance", "token", "create", STEWARD, "--expires", "1d"]) == 0
    return next(word for word in out.getvalue().split() if word.startswith("brf_"))


def _signin_link(base: str) -> str:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        assert brctl(["finance", "dashboard-link", "--as", STEWARD, "--url", base]) == 0
    return next(word for word in out.getvalue().split() if "/signin?token=" in word)


def _start_api(children: Children, target: Path) -> str:
    """`brctl finance up --no-agents` (the pages need no agent, and without Slack credentials
    the agents would keep `/readyz` at 503); its URL once `/healthz` answers."""
    port, _note = choose_port(0)
    env = {**os.environ, "BLACKROAD_HOME": str(target)}
    argv = brctl_argv("finance", "up", "--no-agents", "--port", str(port), "--host", "127.0.0.1")
    child = children.start("finance-up", argv, env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if child.exited() is not None:
            raise SystemExit(f"brctl finance up exited: {child.log_tail()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("brctl finance up did not answer within 300 s")


def _api_seconds(client: httpx.Client, path: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        client.get(path).raise_for_status()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _page_figures(page: Any, url: str, repeats: int) -> dict[str, float]:
    loads = []
    for _ in range(repeats + 1):
        page.goto(url, wait_until="load")
        loads.append(page.evaluate(TIMING))
    rest = loads[1:]
    return {
        "first_fcp_ms": loads[0]["fcp"],
        "first_load_ms": loads[0]["load"],
        "median_fcp_ms": statistics.median(x["fcp"] for x in rest),
        "median_load_ms": statistics.median(x["load"] for x in rest),
    }


def run(rows: int, work: Path, repeats: int) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    target = work / "deploy"
    apply_plan(plan_install(get_pack("finance"), target))
    os.environ["BLACKROAD_HOME"] = str(target)
    (target / "packs/finance/roles.yaml").write_text(
        f"bindings:\n  - subject: {STEWARD}\n    roles: [policy-steward]\n"
    )
    began = time.perf_counter()
    parquet = generate(work, rows)
    assert brctl(["finance", "ingest", "focus", str(parquet)]) == 0
    loaded = time.perf_counter() - began
    token = _token(target)
    figures: list[dict[str, object]] = []
    with Children(work / "logs") as children:
        url = _start_api(children, target)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
            for budget in budgets():
                client.put(
                    f"/v1/budgets/{budget.name}", json=_budget_body(budget)
                ).raise_for_status()
        # The pages first: their first load computes (the API's answers share it afterwards).
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(_signin_link(url))
            pages = {"budgets": f"/?month={MONTH}", "cost explorer": f"/costs?month={MONTH}"}
            measured = {
                name: _page_figures(page, f"{url}{path}", repeats) for name, path in pages.items()
            }
            page.goto(f"{url}{pages['budgets']}", wait_until="load")
            cards = page.locator("article.card").count()
            browser.close()
        with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
            api = {
                "budgets": _api_seconds(client, f"/v1/kpis?month={MONTH}", repeats),
                "cost explorer": _api_seconds(client, f"/v1/costs?month={MONTH}", repeats),
            }
        for name, times in measured.items():
            target_ms = 1000 if name == "budgets" else 2000
            figures.append(
                {
                    "page": name,
                    "rows": rows,
                    "budget_cards": cards if name == "budgets" else None,
                    **{k: round(v, 1) for k, v in times.items()},
                    "api_json_ms": round(api[name] * 1000, 1),
                    "ratio_to_api": round(times["median_load_ms"] / (api[name] * 1000), 2),
                    "target_ms": target_ms,
                    "met": times["median_load_ms"] < target_ms,
                    "load_and_ingest_s": round(loaded, 1),
                }
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument("--dir", default=None, help="work directory (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        figures = run(args.rows, Path(tmp), args.repeats)
    load = os.getloadavg()[0]
    for row in figures:
        row["load_avg_1m"] = round(load, 2)
    emit(f"Dashboard in Chromium, 50 budgets, {args.rows:,} cost rows", figures, args.json_path)


if __name__ == "__main__":
    main()
