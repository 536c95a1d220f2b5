"""The operator's config (`finance.yaml`): a validated model whose errors name file, line, field."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from brctl.errors import ValidationError as BrctlValidationError
from brctl.yamlfile import line_of, read_yaml, validate_data
from finance_pack.domain.budgets import (
    MAX_BUDGET_NAME_LENGTH,
    Budget,
    Scope,
    Threshold,
    budget_amount_problem,
    budget_name_problem,
    normalize_budget_name,
)
from finance_pack.domain.currencies import normalize_currency
from finance_pack.domain.money import Money
from finance_pack.errors import ValidationError
from finance_pack.secrets import SECRET_KEY_PATTERN, looks_like_secret_value

CONFIG_SCHEMA_VERSION: Literal[1] = 1


def _exact_decimal(value: Any) -> Any:
    """YAML reads `5000.10` as a float; its shortest repr is the digits the operator wrote."""
    if isinstance(value, float):
        text = repr(value)
        if len(text.replace("-", "").replace(".", "").lstrip("0")) > 15:
            raise ValueError("too many digits for an unquoted number; quote the amount")
        return Decimal(text)
    return value


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_decimal)]
FxPair = Annotated[str, Field(pattern=r"^[A-Z]{3}/[A-Z]{3}$")]
FxMonth = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
FxRate = Annotated[ExactDecimal, Field(gt=0, allow_inf_nan=False)]
Channel = Annotated[str, Field(pattern=r"^(#[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{8,})$")]


log = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Keys that earlier templates wrote and that no longer do anything (key -> why). An
    #: installed finance.yaml still loads: the key is dropped with a warning, not refused.
    retired_keys: ClassVar[Mapping[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _drop_retired_keys(cls, data: Any) -> Any:
        if not (cls.retired_keys and isinstance(data, Mapping)):
            return data
        for key in sorted(cls.retired_keys.keys() & data.keys()):
            log.warning("finance.yaml: %s is ignored (%s); remove it", key, cls.retired_keys[key])
        return {key: value for key, value in data.items() if key not in cls.retired_keys}


def _valid_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Paris"
        ) from exc
    return value


def _valid_currency(value: str) -> str:
    return normalize_currency(value)


def _valid_cron(value: str) -> str:
    if not croniter.is_valid(value):
        raise ValueError(f"not a valid cron expression: {value!r}")
    return value


TimeZoneName = Annotated[str, BeforeValidator(_valid_timezone)]
CurrencyCode = Annotated[str, BeforeValidator(_valid_currency)]
CronExpression = Annotated[str, BeforeValidator(_valid_cron)]


class ScopeConfig(_Section):
    providers: list[str] = []
    accounts: list[str] = []
    services: list[str] = []
    regions: list[str] = []
    tags: dict[str, list[str]] = {}

    def to_domain(self) -> Scope:
        return Scope(
            providers=frozenset(self.providers),
            accounts=frozenset(self.accounts),
            services=frozenset(self.services),
            regions=frozenset(self.regions),
            tags={k: frozenset(v) for k, v in self.tags.items()},
        )


def _normal_budget_name(value: Any) -> Any:
    return normalize_budget_name(value) if isinstance(value, str) else value


def _budget_name_fits(value: str) -> str:
    problem = budget_name_problem(value)
    if problem:
        raise ValueError(problem)
    return value


BudgetName = Annotated[
    str,
    BeforeValidator(_normal_budget_name),
    AfterValidator(_budget_name_fits),
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="Letters, digits, '-' and '_'; NFKC-normalised, so look-alikes collide",
        json_schema_extra={"maxLength": MAX_BUDGET_NAME_LENGTH},
    ),
]


class BudgetConfig(_Section):
    name: BudgetName
    amount: Annotated[ExactDecimal, Field(gt=0, allow_inf_nan=False)]
    currency: CurrencyCode
    scope: ScopeConfig = ScopeConfig()
    thresholds: list[str | int] = []

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, values: list[str | int]) -> list[str | int]:
        parsed = [Threshold.parse(str(v)) for v in values]
        if len(set(parsed)) != len(parsed):
            raise ValueError("duplicated threshold")
        return values

    @model_validator(mode="after")
    def _amount_fits(self) -> BudgetConfig:
        problem = budget_amount_problem(Money(self.amount, self.currency))
        if problem:
            raise ValueError(problem)
        return self

    def to_domain(self) -> Budget:
        return Budget(
            name=self.name,
            amount=Money(self.amount, self.currency),
            scope=self.scope.to_domain(),
            thresholds=tuple(Threshold.parse(str(v)) for v in self.thresholds),
        )


class SlackConfig(_Section):
    api_url: str | None = Field(
        default=None, description="Web API base URL (the sandbox emulator); default Slack's own"
    )
    summary_channels: list[Channel] = ["#finops"]
    alerts_channel: Channel = "#finance-alerts"
    invoices_channel: Channel = "#billing"


class StripeConfig(_Section):
    api_url: str | None = None
    retired_keys = {
        "invoice_currency": "an invoice is in its customer's currency unless --currency says"
    }

    days_until_due: Annotated[int, Field(ge=0, le=365)] = 30
    max_invoice_amounts: dict[CurrencyCode, Annotated[ExactDecimal, Field(gt=0)]] = Field(
        default={"USD": Decimal(100000), "EUR": Decimal(100000), "GBP": Decimal(100000)},
        description="Largest amount one invoice may ask for, per currency (major units); "
        "other currencies are capped only by Stripe's own limit",
    )
    worker_lease_seconds: Annotated[int, Field(ge=1, le=3600)] = Field(
        default=120,
        description="How long a worker holds an invoice before another may take it over",
    )
    webhook_grace_seconds: Annotated[int, Field(ge=1, le=86400)] = Field(
        default=120,
        description="How long to wait for a webhook before asking Stripe for the truth",
    )


class AwsConfig(_Section):
    enabled: bool = False
    region: str = "us-east-1"
    endpoint_url: str | None = Field(default=None, description="e.g. the sandbox's moto server")
    cost_explorer_metric: Literal["UnblendedCost", "AmortizedCost", "NetUnblendedCost"] = (
        "UnblendedCost"
    )
    cloudwatch_poll_seconds: Annotated[int, Field(ge=60)] = 300


class ProvidersConfig(_Section):
    aws: AwsConfig = AwsConfig()


class BudgeteerConfig(_Section):
    schedule: CronExpression = "0 9 * * MON"
    timezone: TimeZoneName = "UTC"
    forecaster: Literal["linear", "seasonal"] = "seasonal"
    grace_hours: Annotated[int, Field(ge=1, le=72)] = 6

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.grace_hours)


class WatcherScopeConfig(_Section):
    """Margins for the series in one scope (the most specific matching scope wins)."""

    scope: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")], str]
    relative_margin_pct: Annotated[ExactDecimal, Field(gt=0)] = Decimal(30)
    absolute_margin: Annotated[ExactDecimal, Field(ge=0)] = Decimal(25)
    direction: Literal["up", "down", "both"] = "up"


class WatcherConfig(_Section):
    retired_keys = {"baseline_days": "the detector's baseline learns continuously, no window"}

    relative_margin_pct: Annotated[ExactDecimal, Field(gt=0)] = Decimal(30)
    absolute_margin: Annotated[ExactDecimal, Field(ge=0)] = Decimal(25)
    max_alerts_per_minute: Annotated[int, Field(ge=1, le=60)] = 20
    direction: Literal["up", "down", "both"] = "up"
    scopes: list[WatcherScopeConfig] = []
    dimensions: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]] = Field(
        default=[], description="Dimensions beyond provider, account, service and region"
    )
    # About 230 bytes a point: 1,000 fit in api.max_body_bytes (256 KiB); raise both together.
    max_batch_points: Annotated[int, Field(ge=1, le=100_000)] = 1_000
    webhook_url: str | None = Field(
        default=None,
        description="Also send alerts here (signed with FINANCE_WATCHER_WEBHOOK_SECRET)",
    )
    dashboard_url: str | None = None
    inbox_dir: str | None = Field(
        default=None, description="Folder where FOCUS/CUR exports land (relative: to the pack)"
    )


class ApiConfig(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8787
    max_body_bytes: Annotated[
        int,
        Field(
            ge=1024,
            le=64 * 1024 * 1024,
            description="Larger request bodies are refused with 413 before they are read",
        ),
    ] = 256 * 1024


class FinanceConfig(_Section):
    """`finance.yaml`. Secrets are never read from here (see finance_pack.secrets)."""

    config_version: Literal[1] = CONFIG_SCHEMA_VERSION
    timezone: TimeZoneName = "UTC"
    billing_currency: CurrencyCode = "USD"
    cost_metric: Literal["BilledCost", "EffectiveCost"] = "BilledCost"
    fx_rates: dict[FxPair, FxRate | dict[FxMonth, FxRate]] = Field(
        default={},
        description="Units of the second currency per unit of the first: one rate for every "
        'month, or one per month ("2026-11": 1.08). Cost rows in another currency than '
        "billing_currency are converted with the rate of their month, or refused at ingest.",
    )
    stale_after_hours: Annotated[int, Field(ge=1, le=24 * 31)] = Field(
        default=36,
        description="Cost data older than this is stale (Cost Explorer can lag up to a day).",
    )
    slack: SlackConfig = SlackConfig()
    stripe: StripeConfig = StripeConfig()
    providers: ProvidersConfig = ProvidersConfig()
    budgets: list[BudgetConfig] = []
    budgeteer: BudgeteerConfig = BudgeteerConfig()
    watcher: WatcherConfig = WatcherConfig()
    api: ApiConfig = ApiConfig()

    @model_validator(mode="after")
    def _unique_budgets(self) -> FinanceConfig:
        names = [b.name for b in self.budgets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"budget names must be unique: {duplicates}")
        return self

    def domain_budgets(self) -> list[Budget]:
        return [b.to_domain() for b in self.budgets]


def find_inline_secrets(data: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Paths of values that are credentials written into the file."""
    found: list[tuple[str | int, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, str(key))
            secret_key = SECRET_KEY_PATTERN.search(str(key)) and isinstance(value, str) and value
            if secret_key or (isinstance(value, str) and looks_like_secret_value(value)):
                found.append(here)
            else:
                found.extend(find_inline_secrets(value, here))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, str) and looks_like_secret_value(value):
                found.append((*path, index))
            else:
                found.extend(find_inline_secrets(value, (*path, index)))
    return found


def parse_config(data: CommentedMap | CommentedSeq | Any, source: str) -> FinanceConfig:
    secrets = find_inline_secrets(data)
    if secrets:
        lines = [
            f"{source}:{line_of(data, p) or '?'}: {'.'.join(map(str, p))}: secret written inline"
            for p in secrets
        ]
        raise ValidationError(
            "\n".join(lines),
            hint="remove it and set the environment variable (or NAME_FILE) named in pack.yaml",
        )
    with _as_finance_error():
        return validate_data(FinanceConfig, data, source)


def load_config(path: Path) -> FinanceConfig:
    with _as_finance_error():
        data = read_yaml(path)
    return parse_config(data, str(path))


@contextmanager
def _as_finance_error() -> Iterator[None]:
    """brctl's YAML reader raises brctl's error type; finance.yaml problems are ours."""
    try:
        yield
    except BrctlValidationError as exc:
        raise ValidationError(exc.message, hint=exc.hint) from exc


def config_json_schema() -> dict[str, object]:
    schema = FinanceConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
