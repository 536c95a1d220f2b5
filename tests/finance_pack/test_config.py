from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from finance_pack.config import load_config
from finance_pack.errors import ValidationError

TEMPLATE = (files("finance_pack") / "pack" / "finance.yaml").read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "finance.yaml"
    path.write_text(text)
    return path


def test_shipped_template_is_valid_and_has_a_total_budget(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, TEMPLATE))
    [budget] = config.domain_budgets()
    assert budget.name == "total" and budget.amount.amount == Decimal("10000.00")


def test_unquoted_decimal_amount_stays_exact(tmp_path: Path) -> None:
    text = TEMPLATE.replace('amount: "10000.00"', "amount: 1234.10")
    [budget] = load_config(_write(tmp_path, text)).domain_budgets()
    assert budget.amount.amount == Decimal("1234.1")


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("timezone: UTC\n", "timezone: Mars/Olympus\n", "timezone", "unknown time zone"),
        ("billing_currency: USD", "billing_currency: XYZ", "billing_currency", "unknown currency"),
        ("cost_metric: BilledCost", "cost_metric: Vibes", "cost_metric", "BilledCost"),
        ("  port: 8787", "  port: eighty", "api.port", "valid integer"),
        ('amount: "10000.00"', 'amount: "-5"', "budgets.0.amount", "greater than 0"),
        (
            '["50", "80", "100", "100:forecast"]',
            '["80", "80"]',
            "budgets.0.thresholds",
            "duplicated",
        ),
        ('["50", "80", "100", "100:forecast"]', '["5000"]', "budgets.0.thresholds", "out of range"),
        (
            "  days_until_due: 30",
            "  days_until_due: 30\n  colour: blue",
            "stripe.colour",
            "Extra inputs",
        ),
    ],
)
def test_bad_values_name_file_line_and_field(  # type: ignore[no-untyped-def]
    tmp_path: Path, old, new, field, message
) -> None:
    text = TEMPLATE.replace(old, new, 1)
    assert text != TEMPLATE
    path = _write(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_config(path)
    error = str(info.value)
    assert f"{field}:" in error and message in error
    assert f"{path}:{_line(text, new.strip().splitlines()[-1])}" in error


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "timezone: UTC\nslack: [unclosed\n")
    with pytest.raises(ValidationError, match=r"finance.yaml:\d+: malformed YAML"):
        load_config(path)


@pytest.mark.parametrize(
    "snippet",
    [
        "slack:\n  bot_token: xoxb-123-456\n",
        "stripe:\n  api_url: sk_live_abcdef\n",
        "webhook_secret: whsec_abc\n",
    ],
)
def test_inline_secret_is_refused_without_echoing_it(tmp_path: Path, snippet: str) -> None:
    path = _write(tmp_path, "timezone: UTC\n" + snippet)
    with pytest.raises(ValidationError) as info:
        load_config(path)
    assert "secret written inline" in str(info.value)
    assert "xoxb-123" not in str(info.value) and "sk_live" not in str(info.value)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="empty document"):
        load_config(_write(tmp_path, ""))


def test_fx_rates_may_be_dated_per_month_and_stale_after_is_configurable(tmp_path: Path) -> None:
    from finance_pack.domain.fx import FxTable

    text = TEMPLATE.replace(
        "fx_rates: {}", 'fx_rates: {"EUR/USD": {"2026-10": "1.0790", "2026-11": 1.0812}}'
    ).replace("stale_after_hours: 36", "stale_after_hours: 48")
    config = load_config(_write(tmp_path, text))
    table = FxTable.from_config(config.fx_rates)
    assert table.rate("EUR", "USD", "2026-11") == Decimal("1.0812")
    assert table.rate("EUR", "USD", "2026-12") is None
    assert table.rate("USD", "EUR", "2026-10") == Decimal(1) / Decimal("1.0790")
    assert config.stale_after_hours == 48


@pytest.mark.parametrize(
    "rates", ['{"EUR/USD": {"2026-13": "1.1"}}', '{"EUR/USD": "0"}', '{"EUR/USD": "NaN"}']
)
def test_a_bad_fx_rate_or_month_is_refused_with_its_line(tmp_path: Path, rates: str) -> None:
    path = _write(tmp_path, TEMPLATE.replace("fx_rates: {}", f"fx_rates: {rates}"))
    with pytest.raises(ValidationError, match=r"fx_rates"):
        load_config(path)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "- name: total",
            "- name: " + "n" * 65,
            "budgets.0.name",
            "65 characters long: at most 64",
        ),
        ('amount: "10000.00"', 'amount: "100.555"', "budgets.0", "more precise than USD"),
        ('amount: "10000.00"', 'amount: "1e27"', "budgets.0", "beyond the largest budget"),
        ('amount: "10000.00"', "amount: .nan", "budgets.0.amount", "finite"),
        ('amount: "10000.00"', 'amount: "sNaN"', "budgets.0.amount", "finite"),
        ('["50", "80", "100", "100:forecast"]', '["NaN"]', "budgets.0.thresholds", "finite"),
        ('["50", "80", "100", "100:forecast"]', '["sNaN"]', "budgets.0.thresholds", "finite"),
    ],
)
def test_budget_names_amounts_and_thresholds_are_checked_as_on_write(  # type: ignore[no-untyped-def]
    tmp_path: Path, old, new, field, message
) -> None:
    text = TEMPLATE.replace(old, new, 1)
    assert text != TEMPLATE
    with pytest.raises(ValidationError) as info:
        load_config(_write(tmp_path, text))
    assert f"{field}" in str(info.value) and message in str(info.value)


def test_a_fullwidth_budget_name_collides_with_its_ascii_twin(tmp_path: Path) -> None:
    twin = '  - name: ｔｏｔａｌ\n    amount: "5.00"\n    currency: USD\n'
    text = TEMPLATE.replace("budgets:\n", "budgets:\n" + twin, 1)
    assert text != TEMPLATE
    with pytest.raises(ValidationError, match="budget names must be unique"):
        load_config(_write(tmp_path, text))


def test_keys_an_earlier_template_wrote_still_load_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    earlier = TEMPLATE.replace(
        "  days_until_due: 30\n", "  days_until_due: 30\n  invoice_currency: USD\n"
    )
    earlier = earlier.replace("  absolute_margin:", "  baseline_days: 14\n  absolute_margin:", 1)
    assert "invoice_currency" in earlier and "baseline_days" in earlier
    with caplog.at_level("WARNING", logger="finance_pack.config"):
        config = load_config(_write(tmp_path, earlier))
    assert config.stripe.days_until_due == 30
    warned = " ".join(record.getMessage() for record in caplog.records)
    assert "invoice_currency is ignored" in warned and "baseline_days is ignored" in warned
    unknown = TEMPLATE.replace(
        "  days_until_due: 30\n", "  days_until_due: 30\n  invoice_colour: red\n"
    )
    with pytest.raises(ValidationError, match="invoice_colour"):
        load_config(_write(tmp_path, unknown))  # only the retired keys are let through
