"""The JSON Schemas shipped in the pack, generated from the models so they cannot drift.

Regenerate after changing a model: python -m finance_pack.schemas
"""

from __future__ import annotations

import json
from pathlib import Path

from brctl.manifest import manifest_json_schema
from finance_pack.config import config_json_schema

SCHEMA_DIR = Path(__file__).parent / "pack" / "schemas"


def rendered_schemas() -> dict[str, str]:
    return {
        "pack.schema.json": json.dumps(manifest_json_schema(), indent=2, sort_keys=True) + "\n",
        "finance.schema.json": json.dumps(config_json_schema(), indent=2, sort_keys=True) + "\n",
    }


def write_schemas(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in rendered_schemas().items():
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_schemas()
