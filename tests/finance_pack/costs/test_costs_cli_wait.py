"""`brctl finance ingest ... --wait`: queue behind another writer with a progress message, give up
after the limit with exit 4 and a message naming no path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cost_files import MAY, generate_rows, write_focus_csv
from typer.testing import CliRunner, Result

from brctl.cli import app as brctl_app
from finance_pack.cli.exit_codes import exit_code_for
from finance_pack.cli.ingest import app
from finance_pack.context import load_context
from finance_pack.costs.snapshots import StoreBusyError, open_for_writing


@pytest.fixture
def target(tmp_path: Path) -> Path:
    root = tmp_path / "srv"
    result = CliRunner().invoke(brctl_app, ["pack", "install", "finance", f"--target={root}"])
    assert result.exit_code == 0, result.output
    return root


class Holder:
    """Another writer holding the cost store until released."""

    def __init__(self, url: str) -> None:
        self.holding, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(url,))
        self.thread.start()
        assert self.holding.wait(60)

    def _hold(self, url: str) -> None:
        with open_for_writing(url, "UTC"):
            self.holding.set()
            self.release.wait(60)


@pytest.fixture
def holder(target: Path) -> Iterator[Holder]:
    running = Holder(load_context(target).cost_store_url)
    yield running
    running.release.set()
    running.thread.join()


def ingest(target: Path, path: Path, wait: str) -> Result:
    return CliRunner().invoke(
        app,
        ["focus", str(path), "--target", str(target), "--format", "json", "--wait", wait],
    )


def test_ingest_gives_up_after_its_wait_with_a_busy_error_naming_no_path(
    target: Path, tmp_path: Path, holder: Holder
) -> None:
    # The generator mixes in EUR rows; with no fx rate configured those are refused (issue 9).
    usd = [row for row in generate_rows(1, 5, MAY) if row.currency == "USD"]
    path = write_focus_csv(tmp_path / "may.csv", usd)
    result = ingest(target, path, "1.5")
    assert isinstance(result.exception, StoreBusyError)
    assert exit_code_for(result.exception) == 4
    assert "waiting for another ingest to finish" in result.stderr
    assert str(tmp_path) not in str(result.exception)


def test_ingest_waits_its_turn_then_loads(target: Path, tmp_path: Path, holder: Holder) -> None:
    # The generator mixes in EUR rows; with no fx rate configured those are refused (issue 9).
    usd = [row for row in generate_rows(1, 5, MAY) if row.currency == "USD"]
    path = write_focus_csv(tmp_path / "may.csv", usd)
    threading.Timer(2.5, holder.release.set).start()
    result = ingest(target, path, "60")
    assert result.exit_code == 0, result.output
    assert "waiting for another ingest to finish" in result.stderr
    assert '"rows": 4' in result.stdout
