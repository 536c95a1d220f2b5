"""Parsing the points the Cost Watcher receives, and the series keys they belong to."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from finance_pack.domain.anomaly.points import (
    PointError,
    StreamPoint,
    group_key,
    in_scope,
    parse_key,
    parse_point,
    parse_points,
    series_key,
)


def _raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "dimensions": {"provider": "aws", "account": "111", "service": "EC2"},
        "start": "2026-11-30T10:00:00Z",
        "end": "2026-11-30T11:00:00Z",
        "cost": "12.34",
        "currency": "usd",
    }
    raw.update(changes)
    return raw


def test_a_point_parses_to_utc_times_exact_cost_and_sorted_dimensions() -> None:
    point = parse_point(_raw(start="2026-11-30T12:00:00+02:00"), "[0]")
    assert point == StreamPoint(
        (("account", "111"), ("provider", "aws"), ("service", "EC2")),
        datetime(2026, 11, 30, 10, tzinfo=UTC),
        datetime(2026, 11, 30, 11, tzinfo=UTC),
        Decimal("12.34"),
        "USD",
    )
    assert point.start.tzinfo is UTC
    assert point.series_key == "provider=aws|account=111|service=EC2"
    assert point.group_key == "provider=aws|account=111"
    assert point.interval_seconds == 3600


def test_series_keys_put_core_dimensions_first_then_the_others_sorted() -> None:
    dimensions = {"team": "core", "region": "eu", "env": "prod", "service": "S3", "provider": "aws"}
    assert series_key(dimensions) == "provider=aws|service=S3|region=eu|env=prod|team=core"
    assert group_key(dimensions) == "provider=aws"
    assert (
        group_key({"account": "9", "provider": "gcp", "service": "x"}) == "provider=gcp|account=9"
    )


def test_keys_parse_back_and_scopes_match_on_every_named_dimension() -> None:
    key = "provider=aws|account=111|service=EC2|team=a=b"
    assert parse_key(key) == {"provider": "aws", "account": "111", "service": "EC2", "team": "a=b"}
    assert parse_key("provider=aws|junk") == {"provider": "aws"}
    assert in_scope(key, "provider=aws|service=EC2")
    assert in_scope(key, "")
    assert not in_scope(key, "provider=aws|service=S3")
    assert not in_scope(key, "region=eu")


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        (7, Decimal(7)),
        ("-3.5", Decimal("-3.5")),
        (Decimal("0.000001"), Decimal("0.000001")),
        ("999999999.99", Decimal("999999999.99")),
    ],
)
def test_costs_are_taken_exactly(cost: object, expected: Decimal) -> None:
    assert parse_point(_raw(cost=cost), "[0]").cost == expected


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        (True, 'expected a decimal string such as "12.34"'),
        (1.5, 'expected a decimal string such as "12.34"'),
        (None, 'expected a decimal string such as "12.34"'),
        ("abc", "not a number: 'abc'"),
        ("NaN", "'NaN' is not a finite amount"),
        ("-Infinity", "'-Infinity' is not a finite amount"),
        ("1000000000", "1000000000 is not a plausible cost for one interval"),
        ("-1000000000", "-1000000000 is not a plausible cost for one interval"),
    ],
)
def test_a_bad_cost_is_refused_at_its_field(cost: object, message: str) -> None:
    with pytest.raises(PointError) as caught:
        parse_point(_raw(cost=cost), "[4]")
    assert (caught.value.location, caught.value.message) == ("[4].cost", message)
    assert str(caught.value) == f"[4].cost: {message}"


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (1764496800, "expected an ISO 8601 time as a string"),
        ("yesterday", "not an ISO 8601 time: 'yesterday'"),
        ("2026-11-30T10:00:00", "'2026-11-30T10:00:00' has no UTC offset; add Z or +00:00"),
    ],
)
def test_a_bad_time_is_refused_at_its_field(start: object, message: str) -> None:
    with pytest.raises(PointError) as caught:
        parse_point(_raw(start=start), "[0]")
    assert (caught.value.location, caught.value.message) == ("[0].start", message)


def test_an_end_not_after_the_start_is_refused() -> None:
    with pytest.raises(PointError) as caught:
        parse_point(_raw(end="2026-11-30T10:00:00Z"), "[0]")
    assert (caught.value.location, caught.value.message) == ("[0].end", "must be after start")


@pytest.mark.parametrize(
    ("dimensions", "location", "message"),
    [
        (None, "[0].dimensions", "expected an object of dimension names to values"),
        ({}, "[0].dimensions", "expected an object of dimension names to values"),
        (
            {"provider": "aws", "colour": "red"},
            "[0].dimensions.colour",
            "unknown dimension (known: account, provider, region, service)",
        ),
        ({"provider": ""}, "[0].dimensions.provider", "expected a non-empty string without | or ="),
        ({"provider": 3}, "[0].dimensions.provider", "expected a non-empty string without | or ="),
        (
            {"provider": "a|b"},
            "[0].dimensions.provider",
            "expected a non-empty string without | or =",
        ),
        (
            {"provider": "a=b"},
            "[0].dimensions.provider",
            "expected a non-empty string without | or =",
        ),
        ({"account": "111"}, "[0].dimensions.provider", "required"),
    ],
)
def test_bad_dimensions_are_refused_by_name(
    dimensions: object, location: str, message: str
) -> None:
    with pytest.raises(PointError) as caught:
        parse_point(_raw(dimensions=dimensions), "[0]")
    assert (caught.value.location, caught.value.message) == (location, message)


def test_configured_extra_dimensions_are_accepted_and_named_in_the_known_list() -> None:
    point = parse_point(_raw(dimensions={"provider": "aws", "team": "core"}), "[0]", ["team"])
    assert point.series_key == "provider=aws|team=core"
    with pytest.raises(PointError, match=r"known: account, env, provider, region, service\)"):
        parse_point(_raw(dimensions={"provider": "aws", "team": "core"}), "[0]", ["env"])


@pytest.mark.parametrize(
    ("raw", "location", "message"),
    [
        ([1, 2], "[0]", "expected a JSON object"),
        (_raw(zeta=1, colour="red"), "[0].colour", "unknown field"),
        (_raw(currency="XYZ"), "[0].currency", "unknown currency 'XYZ'"),
        (
            {k: v for k, v in _raw().items() if k != "currency"},
            "[0].currency",
            "unknown currency ''",
        ),
    ],
)
def test_a_bad_point_is_refused_at_its_field(raw: object, location: str, message: str) -> None:
    with pytest.raises(PointError) as caught:
        parse_point(raw, "[0]")
    assert caught.value.location == location
    assert caught.value.message.startswith(message)


def test_points_are_located_by_their_index() -> None:
    with pytest.raises(PointError) as caught:
        parse_points([_raw(), _raw(cost="x")])
    assert caught.value.location == "[1].cost"
    team = {"provider": "aws", "team": "core"}
    [first, second] = parse_points([_raw(), _raw(dimensions=team)], extra_dimensions=iter(["team"]))
    assert (first.cost, second.series_key) == (Decimal("12.34"), "provider=aws|team=core")
