from __future__ import annotations

import json
from pathlib import Path

import pytest
from cost_files import MAY, generate_rows, write_focus_csv
from typer.testing import CliRunner

from brctl.cli import app as brctl_app
from finance_pack.cli.ingest import app
from finance_pack.errors import ValidationError


@pytest.fixture
def target(tmp_path: Path) -> Path:
    root = tmp_path / "srv"
    result = CliRunner().invoke(brctl_app, ["pack", "install", "finance", f"--target={root}"])
    assert result.exit_code == 0, result.output
    return root


def test_ingest_focus_reports_rows_and_replaced_periods_as_json(
    target: Path, tmp_path: Path
) -> None:
    path = write_focus_csv(tmp_path / "may.csv", generate_rows(1, 50, MAY))
    config = target / "packs" / "finance" / "finance.yaml"  # the rows mix USD and EUR
    config.write_text(config.read_text().replace("fx_rates: {}", 'fx_rates: {"EUR/USD": "1.08"}'))
    result = CliRunner().invoke(
        app, ["focus", str(path), "--source", "export", "--target", str(target), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)[0]
    assert report["rows"] == 50
    assert report["periods_replaced"] == ["export 2026-05"]
    assert (target / "packs" / "finance" / "state" / "costs.snapshots" / "CURRENT").is_file()


def test_ingest_focus_with_a_bad_row_raises_a_validation_error_naming_the_line(
    target: Path, tmp_path: Path
) -> None:
    path = write_focus_csv(tmp_path / "may.csv", generate_rows(1, 3, MAY))
    path.write_text(path.read_text().replace('"USD"', '"???"', 1))
    result = CliRunner().invoke(app, ["focus", str(path), "--target", str(target)])
    assert isinstance(result.exception, ValidationError)
    assert f"{path}:" in str(result.exception)


def test_ingest_aws_ce_refuses_an_end_before_the_start(target: Path) -> None:
    result = CliRunner().invoke(
        app, ["aws-ce", "--start", "2026-05-10", "--end", "2026-05-01", "--target", str(target)]
    )
    assert result.exit_code != 0
    assert "--end must be after --start" in str(result.exception)


def test_ingest_focus_refuses_a_foreign_currency_row_without_a_rate_naming_its_line(
    target: Path, tmp_path: Path
) -> None:
    path = write_focus_csv(tmp_path / "may.csv", generate_rows(1, 50, MAY))
    result = CliRunner().invoke(app, ["focus", str(path), "--target", str(target)])
    assert isinstance(result.exception, ValidationError)
    assert "EUR is not the billing currency USD" in str(result.exception)
    assert f"{path}:" in str(result.exception)
