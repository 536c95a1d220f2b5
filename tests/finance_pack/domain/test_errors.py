from __future__ import annotations

from finance_pack.domain.errors import (
    FinanceError,
    NotFoundError,
    PermissionDeniedError,
    RetryLaterError,
    UnavailableError,
    UsageError,
    ValidationError,
)


def test_an_error_without_a_hint_reads_as_its_message() -> None:
    error = NotFoundError("no budget named 'core'")
    assert str(error) == "no budget named 'core'"
    assert (error.message, error.hint) == ("no budget named 'core'", None)
    assert error.args == ("no budget named 'core'",)


def test_a_hint_goes_on_its_own_indented_line() -> None:
    error = FinanceError("no budget named 'core'", hint="see: brctl finance budgets list")
    assert str(error) == "no budget named 'core'\n  hint: see: brctl finance budgets list"
    assert error.hint == "see: brctl finance budgets list"


def test_an_empty_hint_adds_no_hint_line() -> None:
    assert str(UsageError("bad month", hint="")) == "bad month"


def test_a_validation_error_leads_with_its_location() -> None:
    error = ValidationError("amount is not a number", location="budgets.yaml:7", hint="use 120.00")
    assert error.message == "budgets.yaml:7: amount is not a number"
    assert error.location == "budgets.yaml:7"
    assert str(error) == "budgets.yaml:7: amount is not a number\n  hint: use 120.00"
    assert isinstance(error, UsageError)


def test_a_validation_error_without_a_location_is_the_message_alone() -> None:
    error = ValidationError("amount is not a number")
    assert (str(error), error.location, error.hint) == ("amount is not a number", None, None)


def test_permission_denied_names_subject_permission_and_reason() -> None:
    error = PermissionDeniedError("user:ann@example.com", "budgets:write", "role viewer")
    assert str(error) == "user:ann@example.com lacks permission budgets:write: role viewer"
    assert (error.subject, error.permission, error.hint) == (
        "user:ann@example.com",
        "budgets:write",
        None,
    )


def test_permission_denied_without_a_reason_ends_at_the_permission() -> None:
    error = PermissionDeniedError("service:bot", "costs:write")
    assert str(error) == "service:bot lacks permission costs:write"


def test_retry_later_carries_its_delay_and_hint() -> None:
    error = RetryLaterError("the cost store is busy", retry_after=30, hint="try again shortly")
    assert error.retry_after == 30
    assert str(error) == "the cost store is busy\n  hint: try again shortly"
    assert isinstance(error, UnavailableError)
