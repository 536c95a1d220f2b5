"""Start-up stays fast: commands import the heavy libraries only where they are used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"ibis", "duckdb", "matplotlib", "boto3", "pyspark", "fastapi", "pandas", "uvicorn"}


def _imported_top_level_modules(*args: str, home: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "brctl", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"BLACKROAD_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_version_imports_no_heavy_library_and_not_even_typer(tmp_path: Path) -> None:
    imported = _imported_top_level_modules("--version", home=tmp_path)
    assert imported & (HEAVY | {"typer", "rich", "pydantic", "sqlalchemy"}) == set()


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["finance", "--help"],
        ["finance", "budget", "list"],
        ["finance", "token", "list"],
        ["roles", "list"],
    ],
    ids=" ".join,
)
def test_light_commands_import_no_heavy_library(
    args: list[str], installed_target: Path
) -> None:
    assert _imported_top_level_modules(*args, home=installed_target) & HEAVY == set()
