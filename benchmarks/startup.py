"""Start-up time of the main `brctl` commands, each in a fresh process.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--brctl "CMD"] [--json PATH]

Each command runs `--runs` times against a freshly installed pack (empty cost store); the table
gives the median wall time and the median CPU time (user + system) of the process. On a shared,
loaded machine wall time includes waiting for a core; CPU time is the work start-up itself does.
`--brctl` runs another build (e.g. `"python -c 'from brctl.cli import entry; entry()'"` with
PYTHONPATH pointing at an older checkout's src/) to compare before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

from _report import emit

COMMANDS = [
    "--version",
    "--help",
    "finance --help",
    "roles check user:gina@example.com budgets:write",
    "finance budget list",
    "finance token list",
    "finance kpi",
    "finance slo",
]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_once(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, _children_cpu() - cpu_before, result.returncode


def _measure(prefix: list[str], args: str, runs: int, env: dict[str, str]) -> dict[str, object]:
    walls, cpus, codes = [], [], set()
    for _ in range(runs):
        wall, cpu, code = _run_once([*prefix, *shlex.split(args)], env)
        walls.append(wall)
        cpus.append(cpu)
        codes.add(code)
    return {
        "command": f"brctl {args}",
        "runs": runs,
        "median_wall_s": round(statistics.median(walls), 3),
        "median_cpu_s": round(statistics.median(cpus), 3),
        "exit": ",".join(str(c) for c in sorted(codes)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--brctl", default=f"{sys.executable} -m brctl", help="How to run brctl.")
    parser.add_argument("--json", default=None, help="Write the figures to this file.")
    options = parser.parse_args()
    prefix = shlex.split(options.brctl)
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "BLACKROAD_HOME": home, "COLUMNS": "120"}
        for name in ("FINANCE_DATABASE_URL", "FINANCE_COST_STORE_URL"):
            env.pop(name, None)
        install = subprocess.run(
            [*prefix, "pack", "install", "finance"], env=env, capture_output=True, text=True
        )
        if install.returncode != 0:
            sys.exit(f"installing the pack failed: {install.stderr}")
        subprocess.run([*prefix, "finance", "db", "upgrade"], env=env, capture_output=True)
        rows = [_measure(prefix, args, options.runs, env) for args in COMMANDS]
    load = os.getloadavg()[0]
    emit(f"brctl start-up ({os.cpu_count()} CPUs, load {load:.1f})", rows, options.json)


if __name__ == "__main__":
    main()
