"""Cost of authentication: token verification and a protected request, end to end.

    .venv/bin/python benchmarks/auth.py [--requests 500] [--tokens 1000] [--bindings 200]
                                        [--json PATH]

Measures, on a SQLite state store with `--tokens` issued tokens and a roles.yaml of
`--bindings` subjects: `verify_token` alone, a permission lookup (roles.yaml cached by mtime),
and `GET /v1/whoami` through the whole app (FastAPI TestClient, in process).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _report import emit
from fastapi.testclient import TestClient

from brctl.install import apply_plan, plan_install
from brctl.packs import get_pack
from finance_pack.access.tokens import issue_token, verify_token
from finance_pack.api.app import create_app
from finance_pack.context import load_context
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade


def _timed(label: str, count: int, action: Callable[[], object]) -> dict[str, object]:
    action()  # warm-up: the first call loads roles.yaml and opens connections
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return {
        "operation": label,
        "n": count,
        "median_us": round(statistics.median(samples), 1),
        "p99_us": round(samples[int(0.99 * (count - 1))], 1),
        "per_second": round(1e6 / statistics.mean(samples)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--bindings", type=int, default=200)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp)
        apply_plan(plan_install(get_pack("finance"), target))
        context = load_context(target)
        subjects = [f"service:probe-{n}" for n in range(args.bindings)]
        context.roles_path.write_text(
            "bindings:\n"
            + "".join(f"  - subject: {s}\n    roles: [policy-steward]\n" for s in subjects)
        )
        engine = make_engine(context.state_db_url)
        upgrade(engine)
        now = datetime.now(UTC)
        with engine.begin() as connection:
            tokens = [
                issue_token(
                    connection, subjects[n % len(subjects)], "local:bench", now, timedelta(days=1)
                ).token
                for n in range(args.tokens)
            ]
        app = create_app(context, engine)
        resolver = app.state.access.resolver
        client = TestClient(app)
        headers = {"Authorization": f"Bearer {tokens[-1]}"}

        def verify() -> object:
            with engine.connect() as connection:
                return verify_token(connection, tokens[len(tokens) // 2], now)

        rows = [
            _timed("verify_token (SQLite lookup + SHA-256)", args.requests, verify),
            _timed(
                "permissions from roles.yaml (cached)",
                args.requests,
                lambda: resolver.grant(subjects[-1]),
            ),
            _timed(
                "GET /v1/whoami end to end",
                args.requests,
                lambda: client.get("/v1/whoami", headers=headers),
            ),
        ]
        engine.dispose()
    emit(f"Auth cost ({args.tokens} tokens, {args.bindings} bindings)", rows, args.json)


if __name__ == "__main__":
    main()
