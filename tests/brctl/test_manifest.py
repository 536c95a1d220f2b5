from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from brctl.errors import ValidationError
from brctl.manifest import Manifest, manifest_json_schema
from brctl.yamlfile import load_model, read_yaml

SHIPPED = files("finance_pack") / "pack"


def _shipped_manifest_data() -> object:
    return read_yaml(Path(str(SHIPPED / "pack.yaml")))


def test_shipped_manifest_declares_the_roles_and_agents_of_the_design() -> None:
    manifest = load_model(Manifest, Path(str(SHIPPED / "pack.yaml")))
    steward = manifest.role("policy-steward")
    catalyst = manifest.role("growth-catalyst")
    assert catalyst is not None and steward is not None
    assert set(catalyst.permissions) == {
        "invoices:create",
        "invoices:read",
        "kpis:read",
        "budgets:read",
        "costs:read",
        "slo:read",
    }
    every = {p.name for p in manifest.permissions}
    assert set(steward.permissions) == every - {"invoices:create"}
    assert {a.name for a in manifest.agents} == {"budgeteer", "invoice-bot", "cost-watcher"}
    assert {a.slo.name: a.slo.objective for a in manifest.agents} == {
        "budgeteer_weekly_cadence": 0.95,
        "invoice_delivery": 0.99,
        "anomaly_alert_latency": 1.0,
    }


def test_shipped_schema_is_the_generated_one() -> None:
    shipped = json.loads((SHIPPED / "schemas" / "pack.schema.json").read_text())
    assert shipped == json.loads(json.dumps(manifest_json_schema())), (
        "regenerate with: python -m finance_pack.schemas"
    )


def test_shipped_manifest_validates_against_the_shipped_json_schema() -> None:
    schema = json.loads((SHIPPED / "schemas" / "pack.schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(_shipped_manifest_data())), schema)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace("name: finance", "name: finance\nsurprise: 1"),
            "surprise: Extra inputs",
        ),
        (
            lambda t: t.replace('schedule: "0 9 * * MON"', 'schedule: "every monday"'),
            "not a valid cron",
        ),
        (lambda t: t.replace('- "audit:read"', '- "audit:nuke"'), "undeclared"),
        (
            lambda t: t.replace("config_schema_version: 1", "config_schema_version: one"),
            "config_schema_version",
        ),
        (lambda t: t + "\n  - [unclosed\n", "malformed YAML"),
    ],
)
def test_broken_manifests_are_rejected_with_a_location(tmp_path: Path, edit, expected) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "pack.yaml"
    path.write_text(edit((SHIPPED / "pack.yaml").read_text()))
    with pytest.raises(ValidationError) as info:
        load_model(Manifest, path)
    assert expected in str(info.value)
    assert f"{path}:" in str(info.value)
