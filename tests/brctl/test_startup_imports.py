"""Start-up stays fast: commands import the heavy libraries only where they are used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Each costs from a tenth of a second to seconds to import; none is needed to list or read budgets,
# tokens or role bindings.
HEAVY = {
    "alembic",
    "boto3",
    "duckdb",
    "fastapi",
    "ibis",
    "matplotlib",
    "numpy",
    "pandas",
    "pyspark",
    "stripe",
    "uvicorn",
}


# Runs `brctl ARGS` as the console script does, then lists every module it imported (sys.modules:
# `-X importtime` misses modules loaded through importlib, as the lazy command groups do).
_PROBE = """
import runpy, sys
try:
    runpy.run_module("brctl", run_name="__main__")
finally:
    print("MODULES", *sorted(sys.modules), file=sys.stderr)
"""


def _imported_modules(*args: str, home: Path, exit_code: int = 0) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"BLACKROAD_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == exit_code, result.stderr[-2000:]
    listing = result.stderr.rsplit("MODULES", 1)[1]
    return set(listing.split())


def _top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.fixture
def migrated_target(installed_target: Path) -> Path:
    """An install whose state store is at the newest schema (as after `brctl finance up`)."""
    from finance_pack.store.engine import make_engine
    from finance_pack.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{installed_target / 'packs/finance/state/finance.db'}")
    upgrade(engine)
    engine.dispose()
    return installed_target


def test_version_imports_no_heavy_library_and_not_even_typer(tmp_path: Path) -> None:
    imported = _top_level(_imported_modules("--version", home=tmp_path))
    assert imported & (HEAVY | {"typer", "rich", "pydantic", "sqlalchemy"}) == set()


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        (["--help"], 0),
        (["finance", "--help"], 0),
        (["finance", "budget", "list"], 0),
        (["finance", "token", "list"], 0),
        (["roles", "list"], 0),
        # exit 1: the subject holds no role, so the permission is not granted
        (["roles", "check", "user:gina@example.com", "budgets:write"], 1),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_light_commands_import_no_heavy_library(
    args: list[str], exit_code: int, migrated_target: Path
) -> None:
    imported = _imported_modules(*args, home=migrated_target, exit_code=exit_code)
    assert _top_level(imported) & HEAVY == set()


def test_finance_help_lists_the_commands_without_importing_them(installed_target: Path) -> None:
    imported = _imported_modules("finance", "--help", home=installed_target)
    command_modules = {m for m in imported if m.startswith("finance_pack.cli.")}
    assert command_modules == {"finance_pack.cli.app"}


def test_a_command_imports_its_own_module_and_no_other_command(migrated_target: Path) -> None:
    imported = _imported_modules("finance", "budget", "list", home=migrated_target)
    command_modules = {m for m in imported if m.startswith("finance_pack.cli.")}
    assert command_modules == {
        "finance_pack.cli.app",
        "finance_pack.cli.budget",
        "finance_pack.cli.common",
    }
