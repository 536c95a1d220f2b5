from __future__ import annotations

from decimal import Decimal

import pytest

from finance_pack.domain.movers import biggest_movers


def test_movers_are_ranked_by_absolute_change_with_percent() -> None:
    current = {"ec2": Decimal("1500"), "s3": Decimal("90"), "rds": Decimal("400")}
    previous = {"ec2": Decimal("1000"), "s3": Decimal("100"), "rds": Decimal("1100")}
    movers = biggest_movers(current, previous, top=2)
    assert [(m.key, m.change, m.change_pct) for m in movers] == [
        ("rds", Decimal("-700"), Decimal("-700") / Decimal("1100") * 100),
        ("ec2", Decimal("500"), Decimal("50")),
    ]


def test_new_key_has_no_percent_and_vanished_key_drops_100_percent() -> None:
    movers = biggest_movers({"lambda": Decimal("30")}, {"glue": Decimal("20")}, top=5)
    by_key = {m.key: m for m in movers}
    assert by_key["lambda"].change_pct is None
    assert by_key["glue"].change_pct == Decimal(-100)


def test_unchanged_keys_are_not_movers_and_ties_break_by_key() -> None:
    movers = biggest_movers(
        {"a": Decimal(5), "b": Decimal(15), "c": Decimal(15)},
        {"a": Decimal(5), "b": Decimal(5), "c": Decimal(5)},
    )
    assert [m.key for m in movers] == ["b", "c"]


def test_negative_top_is_refused() -> None:
    with pytest.raises(ValueError, match="top"):
        biggest_movers({}, {}, top=-1)


def test_five_movers_by_default_and_none_for_a_top_of_zero() -> None:
    current = {f"s{n}": Decimal(n) for n in range(1, 8)}
    assert [m.key for m in biggest_movers(current, {})] == ["s7", "s6", "s5", "s4", "s3"]
    assert biggest_movers(current, {}, top=0) == []
