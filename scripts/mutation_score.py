"""Mutation score of the modules whose behaviour the tests must pin (issue 11; never a CI step).

    .venv/bin/python scripts/mutation_score.py --run          # mutmut run (slow: about an hour
                                                              # on 2 shared cores), then the score
    .venv/bin/python scripts/mutation_score.py                # the score of the last run so far
    .venv/bin/python scripts/mutation_score.py --run 'finance_pack.store.deliveries*'
    .venv/bin/python scripts/mutation_score.py --json before.json   # the counts, for a report
    .venv/bin/python scripts/mutation_score.py --compare before.json  # a before/after table

mutmut's settings (modules mutated, tests run) are in pyproject.toml [tool.mutmut]; for each
mutant mutmut runs only the tests that cover the mutated function. The score is killed / (killed +
survived); mutants no test reaches are counted apart, and so are those not run yet (a partial run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code  # mutmut's own meaning of its exit codes

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants" / "src"


def scores() -> dict[str, Counter[str]]:
    per_module: dict[str, Counter[str]] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        module = str(meta.relative_to(MUTANTS)).removesuffix(".py.meta")
        per_module[module] = Counter(
            "not run" if code is None else status_by_exit_code[code] for code in codes.values()
        )
    return per_module


def report(per_module: dict[str, Counter[str]]) -> None:
    total: Counter[str] = Counter()
    print(
        f"{'module':48} {'killed':>7} {'survived':>8} {'no tests':>8} {'not run':>7} {'score':>6}"
    )
    for module, counts in per_module.items():
        total.update(counts)
        print(_line(module, counts))
    print(_line("TOTAL", total))


def _line(name: str, counts: Counter[str]) -> str:
    decided = counts["killed"] + counts["survived"] + counts["timeout"]
    score = f"{100 * (counts['killed'] + counts['timeout']) / decided:5.1f}%" if decided else "   -"
    return (
        f"{name:48} {counts['killed']:7} {counts['survived']:8} {counts['no tests']:8} "
        f"{counts['not run']:7} {score:>6}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run mutmut first")
    parser.add_argument("--max-children", default="2")
    parser.add_argument("--json", type=Path, help="also write the counts per module here")
    parser.add_argument("--compare", type=Path, help="a Markdown table: this JSON vs now")
    parser.add_argument(
        "patterns", nargs="*", help="mutant name patterns, e.g. 'finance_pack.domain*'"
    )
    args = parser.parse_args()
    if args.run:
        command = [sys.executable, "-m", "mutmut", "run", "--max-children", args.max_children]
        subprocess.run([*command, *args.patterns], cwd=ROOT, check=False)
    per_module = scores()
    report(per_module)
    if args.json:
        args.json.write_text(json.dumps(per_module, indent=2, sort_keys=True) + "\n")
    if args.compare:
        before = {m: Counter(c) for m, c in json.loads(args.compare.read_text()).items()}
        print(compare_table(before, per_module))
    return 0


def compare_table(before: dict[str, Counter[str]], after: dict[str, Counter[str]]) -> str:
    """Markdown rows: module | before k/s/n/r score | after k/s/n/r score."""
    rows = [
        "| module | before: killed / survived / no tests / not run | score "
        "| after: killed / survived / no tests / not run | score |",
        "|---|---|---|---|---|",
    ]
    totals = (Counter[str](), Counter[str]())
    for module in sorted(before.keys() | after.keys()):
        old, new = before.get(module, Counter()), after.get(module, Counter())
        totals[0].update(old)
        totals[1].update(new)
        rows.append(f"| {module} | {_cells(old)} | {_cells(new)} |")
    rows.append(f"| **total** | {_cells(totals[0])} | {_cells(totals[1])} |")
    return "\n".join(rows)


def _cells(counts: Counter[str]) -> str:
    killed = counts["killed"] + counts["timeout"]
    decided = killed + counts["survived"]
    score = f"{100 * killed / decided:.1f} %" if decided else "-"
    return f"{killed} / {counts['survived']} / {counts['no tests']} / {counts['not run']} | {score}"


if __name__ == "__main__":
    raise SystemExit(main())
