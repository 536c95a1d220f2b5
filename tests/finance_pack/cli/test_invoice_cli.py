"""`brctl finance customer|invoice ...`: exit codes, messages, formats, permissions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

Brctl = Callable[..., tuple[int, str, str]]
CATALYST = "user:gina@example.com"
STEWARD = "user:pat@example.com"


@pytest.fixture
def bound(installed_target: Path, brctl: Brctl) -> Brctl:
    assert brctl("roles", "bind", CATALYST, "growth-catalyst")[0] == 0
    assert brctl("roles", "bind", STEWARD, "policy-steward")[0] == 0
    code, _out, err = brctl(
        "finance",
        "customer",
        "add",
        "acme",
        "--name",
        "Acme Corp",
        "--channel",
        "#billing",
        "--as",
        CATALYST,
    )
    assert code == 0, err
    return brctl


def test_create_list_and_show_an_invoice(bound: Brctl) -> None:
    code, out, _ = bound(
        "finance",
        "invoice",
        "create",
        "--customer",
        "acme",
        "--amount",
        "1250.00",
        "--currency",
        "usd",
        "--format",
        "json",
        "--as",
        CATALYST,
    )
    assert code == 0
    created = json.loads(out)[0]
    assert (created["amount"], created["amount_minor"], created["status"]) == (
        "1250.00",
        125000,
        "requested",
    )
    code, out, _ = bound("finance", "invoice", "list", "--format", "csv", "--as", STEWARD)
    assert code == 0 and out.splitlines()[1].startswith(created["id"] + ",acme,1250.00,USD")
    code, out, _ = bound("finance", "invoice", "show", created["id"], "--format", "json")
    assert code == 0 and json.loads(out)[0]["history"][0]["to"] == "requested"


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("0", "usd", "greater than zero"),
        ("12.345", "usd", "refusing to round"),
        ("5.5", "jpy", "no decimals"),
        ("10", "abc", "not a currency Stripe"),
    ],
)
def test_bad_input_exits_2_with_the_field_and_writes_nothing(
    bound: Brctl, amount: str, currency: str, message: str
) -> None:
    code, _out, err = bound(
        "finance",
        "invoice",
        "create",
        "--customer",
        "acme",
        "--amount",
        amount,
        "--currency",
        currency,
        "--as",
        CATALYST,
    )
    assert code == 2 and message in err and "Traceback" not in err
    code, out, _ = bound("finance", "invoice", "list", "--format", "json")
    assert json.loads(out) == []


def test_a_steward_cannot_request_invoices(bound: Brctl) -> None:
    code, _out, err = bound(
        "finance", "invoice", "create", "--customer", "acme", "--amount", "1.00", "--as", STEWARD
    )
    assert code == 3 and "invoices:create" in err


def test_the_same_idempotency_key_makes_no_second_invoice(bound: Brctl) -> None:
    args = (
        "finance",
        "invoice",
        "create",
        "--customer",
        "acme",
        "--amount",
        "7.00",
        "--idempotency-key",
        "k-1",
        "--as",
        CATALYST,
    )
    assert bound(*args)[0] == 0
    code, out, _ = bound(*args)
    assert code == 0 and "already requested" in out
    code, _out, err = bound(*args[:6], "8.00", *args[7:])
    assert code == 2 and "k-1" in err
    assert len(json.loads(bound("finance", "invoice", "list", "--format", "json")[1])) == 1


def test_list_without_invoices_says_how_to_request_one_and_scripts_see_no_rows(
    brctl: Brctl, installed_target: Path
) -> None:
    code, out, err = brctl("finance", "invoice", "list")
    assert code == 0, err
    assert out == (
        "No invoices yet. Request one with: brctl finance invoice create "
        "--customer acme --amount 1250.00 --currency usd --due-days 30\n"
    )
    assert brctl("finance", "invoice", "list", "--customer", "globex")[1] == (
        "No invoices for globex yet. Request one with: brctl finance invoice create "
        "--customer globex --amount 1250.00 --currency usd --due-days 30\n"
    )
    assert brctl("finance", "invoice", "list", "--status", "paid")[1] == "No paid invoices.\n"
    assert brctl("finance", "invoice", "list", "--format", "json")[1] == "[]\n"
    assert brctl("finance", "invoice", "list", "--format", "csv")[1] == (
        "id,customer_id,amount,currency,status,number,requested_at,delivered_at,"
        "latency_seconds,failure\n"
    )


def test_list_without_customers_says_how_to_add_one_and_scripts_see_no_rows(
    brctl: Brctl, installed_target: Path
) -> None:
    code, out, err = brctl("finance", "customer", "list")
    assert code == 0, err
    assert out == (
        'No customers yet. Add one with: brctl finance customer add acme --name "Acme Corp" '
        "--email ap@acme.test --currency USD\n"
    )
    assert brctl("finance", "customer", "list", "--format", "json")[1] == "[]\n"
    assert brctl("finance", "customer", "list", "--format", "csv")[1] == (
        "id,name,email,slack_channel,default_currency,stripe_customer_id\n"
    )


def test_customers_are_listed_shown_and_unknown_ones_exit_2(bound: Brctl) -> None:
    code, out, _ = bound("finance", "customer", "list", "--format", "json")
    assert code == 0 and [c["id"] for c in json.loads(out)] == ["acme"]
    assert bound("finance", "customer", "show", "nobody")[0] == 2
    code, _out, err = bound("finance", "customer", "add", "acme", "--name", "Again")
    assert code == 2 and "already exists" in err
    code, _out, err = bound("finance", "customer", "add", "Bad Id", "--name", "X")
    assert code == 2 and "customer id" in err


def test_show_prints_one_record_alike_for_customers_and_invoices(bound: Brctl) -> None:
    code, out, err = bound(
        "finance", "invoice", "create", "--customer", "acme", "--amount", "12.50", "--as", CATALYST
    )
    assert code == 0, err
    invoice_id = json.loads(bound("finance", "invoice", "list", "--format", "json")[1])[0]["id"]
    for group, record_id in (("customer", "acme"), ("invoice", invoice_id)):
        code, out, err = bound("finance", group, "show", record_id, "--format", "json")
        assert code == 0, err
        assert [record["id"] for record in json.loads(out)] == [record_id]
        code, out, err = bound("finance", group, "show", record_id, "--format", "csv")
        assert code == 0 and out.splitlines()[0].startswith("id,"), out
        code, out, err = bound("finance", group, "show", record_id)
        assert code == 0 and record_id in out
        # Fields without a value are left out of the table: no email, no Stripe id yet.
        assert "email" not in out and "stripe customer id" not in out
        assert "stripe_customer_id" not in out


@pytest.mark.parametrize("group", ["invoice", "customer"])
def test_help_shows_an_example(brctl: Brctl, group: str) -> None:
    code, out, _ = brctl("finance", group, "list", "--help")
    assert code == 0 and "Example" in out
