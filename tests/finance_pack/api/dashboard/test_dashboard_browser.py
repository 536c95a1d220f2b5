"""End to end: the demo running as a user starts it, the dashboard driven in Debian's Chromium
through Playwright (no browser download), then Ctrl-C leaves no process behind.

Screenshots at desktop and phone widths land in test-artifacts/dashboard/.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[4] / "test-artifacts" / "dashboard"
# Chromium's own background traffic is refused on a closed network; these flags stop it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WIDER_THAN_VIEWPORT = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"""


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        found |= children
        frontier = children
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().rsplit(")", 1)[1].split()[0] == "Z")


class RunningDemo:
    def __init__(self, target: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from brctl.cli import entry; entry()",
                "finance",
                "demo",
                "--no-browser",
                "--target",
                str(target),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "250"},
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "press Ctrl-C to stop" in line:
                self.ready.set()
        self.ready.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def link(self) -> str:
        # The demo wraps long lines at the terminal's width: the URL may start a new line.
        match = re.search(r"Dashboard \(sign-in link[^:]*:\s+(http://\S+)", self.output)
        assert match, self.output[-3000:]
        return match.group(1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (scripts/test does)")
    running = RunningDemo(tmp_path_factory.mktemp("e2e") / "demo")
    assert running.ready.wait(600), "the demo did not come up in 10 minutes"
    assert running.process.poll() is None, running.output[-3000:]
    yield running
    if running.process.poll() is None:
        running.process.kill()


def test_the_dashboard_in_chromium_shows_the_api_figures_without_errors(demo: RunningDemo) -> None:
    from playwright.sync_api import sync_playwright

    link = demo.link()
    base = f"{urlparse(link).scheme}://{urlparse(link).netloc}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def only_loopback(route, request) -> None:  # type: ignore[no-untyped-def]
            if urlparse(request.url).hostname not in LOOPBACK:
                outside.append(request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", only_loopback)
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(link)
        assert page.url.rstrip("/") == base, "the link signs in and lands on the budgets page"
        page.wait_for_selector("article.card")
        kpis = {row["budget"]: row for row in page.request.get(f"{base}/v1/kpis").json()}
        cards = page.locator("article.card")
        assert cards.count() == len(kpis) >= 3
        for i in range(cards.count()):
            card = cards.nth(i)
            row = kpis[card.get_attribute("data-budget") or ""]
            figure = card.locator('[data-kpi="mtd_spend"]').inner_text()
            assert figure == f"{row['currency']} {row['mtd_spend']}"
            shown = card.locator('[data-kpi="budget_amount"]').inner_text()
            assert shown == f"{row['currency']} {row['budget_amount']}"
            assert card.locator("svg.burn").count() == 1
        page.screenshot(path=str(ARTIFACTS / "budgets-desktop.png"), full_page=True)

        page.get_by_role("link", name="Cost explorer").click()
        page.wait_for_selector("table.costs")
        costs = page.request.get(f"{base}/v1/costs?group_by=service").json()
        first = costs["rows"][0]
        row = page.locator(f'tr[data-key="{first["key"]}"] [data-col="amount"]')
        assert row.inner_text() == first["amount"]
        page.screenshot(path=str(ARTIFACTS / "costs-desktop.png"), full_page=True)
        page.keyboard.press("Tab")  # the skip link takes focus first: keyboard users can jump
        assert page.evaluate("document.activeElement.className") == "skip"

        page.get_by_role("link", name="Anomalies").click()
        page.wait_for_selector("h1:has-text('Anomalies')")
        incidents = page.request.get(f"{base}/v1/alerts").json()
        assert page.locator("article.incident").count() == len(incidents) >= 1
        page.screenshot(path=str(ARTIFACTS / "anomalies-desktop.png"), full_page=True)

        page.get_by_role("link", name="Invoices").click()
        page.wait_for_selector("table.invoices")
        invoices = page.request.get(f"{base}/v1/invoices").json()
        assert page.locator("tr[data-invoice]").count() == len(invoices) >= 1
        page.screenshot(path=str(ARTIFACTS / "invoices-desktop.png"), full_page=True)

        page.get_by_role("link", name="Forecast accuracy").click()
        page.wait_for_selector("table.backtest")
        page.screenshot(path=str(ARTIFACTS / "forecasts-desktop.png"), full_page=True)

        page.get_by_role("link", name="Service levels").click()
        page.wait_for_selector("table.slo")
        page.screenshot(path=str(ARTIFACTS / "slo-desktop.png"), full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})
        for name, path in (("budgets", "/"), ("costs", "/costs")):
            page.goto(f"{base}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            wide = page.evaluate(WIDER_THAN_VIEWPORT) if width > 390 else []
            assert width <= 390, f"{path} scrolls sideways on a phone ({width}px): {wide}"
            page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
        browser.close()
    assert errors == []
    assert outside == []


def test_ctrl_c_stops_the_demo_and_every_child_process(demo: RunningDemo) -> None:
    children = _descendants(demo.process.pid)
    assert children, "the demo runs the pack in a child process"
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(60) == 0, demo.output[-2000:]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.1)
    assert [pid for pid in children if _alive(pid)] == []
    assert "Traceback" not in demo.output
