"""`brctl finance alerts`: silences and acknowledgements (alerts:write, audited)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from finance_pack.agents.cost_watcher.watcher import CostWatcher
from finance_pack.context import load_context
from finance_pack.domain.anomaly.points import StreamPoint
from finance_pack.store.engine import make_engine
from finance_pack.store.migrate import upgrade

Run = Callable[..., tuple[int, str, str]]
DIMS = (("account", "111122223333"), ("provider", "aws"), ("service", "AmazonEC2"))
START = datetime(2026, 11, 2, tzinfo=UTC)


def open_an_incident(target: Path) -> None:
    engine = make_engine(load_context(target).state_db_url)
    upgrade(engine)
    watcher = CostWatcher(engine)
    for hour in range(73):
        start = START + timedelta(hours=hour)
        cost = Decimal("500") if hour == 72 else Decimal(40 + hour % 3)
        point = StreamPoint(DIMS, start, start + timedelta(hours=1), cost, "USD")
        watcher.ingest([point], datetime.now(UTC))
    engine.dispose()


def test_list_and_ack_an_incident_with_audit(brctl: Run, installed_target: Path) -> None:
    open_an_incident(installed_target)
    code, out, err = brctl("finance", "alerts", "list", "--format", "json")
    assert code == 0, err
    [row] = json.loads(out)
    assert (row["state"], row["severity"]) == ("open", "critical")
    assert Decimal("450") < Decimal(row["impact"]) < Decimal("462")  # 500 vs about 40 expected
    only_open = brctl("finance", "alerts", "list", "--state", "open", "--format", "json")[1]
    assert [r["id"] for r in json.loads(only_open)] == [row["id"]]
    resolved = brctl("finance", "alerts", "list", "--state", "resolved", "--format", "json")
    assert json.loads(resolved[1]) == []
    assert brctl("finance", "alerts", "ack", str(row["id"]))[0] == 0
    [acked] = json.loads(brctl("finance", "alerts", "list", "--format", "json")[1])
    assert acked["acked_by"].startswith("local:")
    audit = json.loads(brctl("finance", "audit", "--format", "json")[1])
    assert [r["action"] for r in audit] == ["alerts.ack"]
    assert brctl("finance", "alerts", "ack", "999")[0] == 2


def test_silence_needs_alerts_write_and_a_future_time(brctl: Run, installed_target: Path) -> None:
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    brctl("roles", "bind", "user:gc@example.com", "growth-catalyst")
    denied = brctl(
        "finance",
        "alerts",
        "silence",
        "--scope",
        "provider=aws",
        "--until",
        until,
        "--as",
        "user:gc@example.com",
    )
    assert denied[0] == 3 and "alerts:write" in denied[2]
    past = brctl("finance", "alerts", "silence", "--scope", "provider=aws", "--until", "2020-01-01")
    assert past[0] == 2 and "not in the future" in past[2]
    bad = brctl("finance", "alerts", "silence", "--scope", "provider", "--until", until)
    assert bad[0] == 2 and "NAME=VALUE" in bad[2]
    code, _out, err = brctl(
        "finance",
        "alerts",
        "silence",
        "--scope",
        "provider=aws",
        "--until",
        until,
        "--reason",
        "load test",
    )
    assert code == 0, err
    [silence] = json.loads(brctl("finance", "alerts", "list", "--silences", "--format", "json")[1])
    assert (silence["scope"], silence["reason"]) == ("provider=aws", "load test")
    audit = json.loads(brctl("finance", "audit", "--format", "json")[1])
    assert [r["action"] for r in audit] == ["roles.bind", "alerts.silence"]


INCIDENT_HEADER = (
    "id,scope,state,severity,impact,currency,first_seen,resolved_at,silenced,acked_by,"
    "top_contributor"
)
SILENCE_HEADER = "id,scope,until,reason,created_by,created_at"


def test_csv_of_no_incidents_or_silences_still_has_its_header(
    brctl: Run, installed_target: Path
) -> None:
    assert brctl("finance", "alerts", "list", "--format", "csv")[1] == INCIDENT_HEADER + "\n"
    silences = brctl("finance", "alerts", "list", "--silences", "--format", "csv")[1]
    assert silences == SILENCE_HEADER + "\n"


def test_a_table_of_no_incidents_or_silences_says_so_in_words(
    brctl: Run, installed_target: Path
) -> None:
    assert brctl("finance", "alerts", "list")[1] == "No incidents.\n"
    assert brctl("finance", "alerts", "list", "--state", "open")[1] == "No open incidents.\n"
    assert brctl("finance", "alerts", "list", "--silences")[1] == (
        "No silences in force. Silence a scope with: brctl finance alerts silence "
        "--scope provider=aws --until 2026-12-24T00:00Z --reason 'planned load test'\n"
    )
    assert brctl("finance", "alerts", "list", "--format", "json")[1] == "[]\n"


def test_csv_columns_are_the_json_fields(brctl: Run, installed_target: Path) -> None:
    open_an_incident(installed_target)
    until = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    brctl("finance", "alerts", "silence", "--scope", "provider=aws", "--until", until)
    for extra, header in (((), INCIDENT_HEADER), (("--silences",), SILENCE_HEADER)):
        [row] = json.loads(brctl("finance", "alerts", "list", *extra, "--format", "json")[1])
        csv_text = brctl("finance", "alerts", "list", *extra, "--format", "csv")[1]
        assert csv_text.splitlines()[0] == header == ",".join(row)
