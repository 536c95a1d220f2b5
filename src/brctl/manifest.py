"""The pack manifest (`pack.yaml`): what a pack declares about itself.

The JSON Schema shipped in each pack is generated from these models, so it cannot drift.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MANIFEST_SCHEMA_VERSION: Literal[1] = 1
PERMISSION_PATTERN = r"^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$"
NAME_PATTERN = r"^[a-z][a-z0-9-]*$"
SECRET_PATTERN = r"^[A-Z][A-Z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Permission(_Strict):
    name: Annotated[str, Field(pattern=PERMISSION_PATTERN, description="`resource:verb`")]
    description: str


class Role(_Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN, description="name used on the command line")]
    title: str
    description: str
    permissions: list[Annotated[str, Field(pattern=PERMISSION_PATTERN)]]


class Slo(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    description: str
    objective: Annotated[float, Field(gt=0, le=1, description="fraction of good events")]
    window: Annotated[str, Field(pattern=r"^[0-9]+[dw]$", description="rolling window, e.g. 30d")]
    threshold_seconds: Annotated[int | None, Field(gt=0)] = None


class Agent(_Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: str
    trigger: Literal["schedule", "stream", "request"]
    schedule: str | None = Field(
        default=None, description="cron expression when trigger is schedule"
    )
    timezone: str = "UTC"
    slo: Slo
    secrets: list[Annotated[str, Field(pattern=SECRET_PATTERN)]] = []

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None and not croniter.is_valid(value):
            raise ValueError(f"not a valid cron expression: {value!r}")
        return value

    @model_validator(mode="after")
    def _schedule_when_scheduled(self) -> Agent:
        if self.trigger == "schedule" and not self.schedule:
            raise ValueError("an agent with trigger 'schedule' needs a schedule")
        return self


class Secret(_Strict):
    name: Annotated[str, Field(pattern=SECRET_PATTERN)]
    description: str
    required: bool = False


class Manifest(_Strict):
    """`pack.yaml`."""

    manifest_version: Literal[1] = MANIFEST_SCHEMA_VERSION
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+([.-][0-9A-Za-z.]+)?$")]
    description: str
    config_schema_version: Annotated[int, Field(ge=1)]
    permissions: list[Permission]
    roles: list[Role]
    agents: list[Agent]
    secrets: list[Secret] = []

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        declared = {p.name for p in self.permissions}
        _unique("permission", [p.name for p in self.permissions])
        _unique("role", [r.name for r in self.roles])
        _unique("agent", [a.name for a in self.agents])
        secret_names = {s.name for s in self.secrets}
        for role in self.roles:
            unknown = sorted(set(role.permissions) - declared)
            if unknown:
                raise ValueError(f"role {role.name} grants undeclared permissions {unknown}")
        for agent in self.agents:
            missing = sorted(set(agent.secrets) - secret_names)
            if missing:
                raise ValueError(f"agent {agent.name} uses undeclared secrets {missing}")
        return self

    def role(self, name: str) -> Role | None:
        return next((r for r in self.roles if r.name == name), None)


def _unique(kind: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{kind} {name!r} declared twice")
        seen.add(name)


def manifest_json_schema() -> dict[str, object]:
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://blackroad.dev/schemas/pack-manifest-v1.json"
    return schema


def is_permission_name(text: str) -> bool:
    return re.fullmatch(PERMISSION_PATTERN, text) is not None
