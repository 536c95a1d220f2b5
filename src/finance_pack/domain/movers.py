"""The biggest movers week over week (services or accounts), for the weekly summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Mover:
    """Spend of `key` this week against last week; `change_pct` is None when last week was 0."""

    key: str
    previous: Decimal
    current: Decimal

    @property
    def change(self) -> Decimal:
        return self.current - self.previous

    @property
    def change_pct(self) -> Decimal | None:
        if self.previous == 0:
            return None
        return self.change / abs(self.previous) * 100


def biggest_movers(
    current: Mapping[str, Decimal], previous: Mapping[str, Decimal], top: int = 5
) -> list[Mover]:
    """The `top` keys by absolute change, largest first; ties break by key for stable output.

    A key missing from one week counts as 0 there (a new service, or one that stopped).
    Keys that did not change are left out: they did not move.
    """
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    movers = [
        Mover(key, previous.get(key, Decimal(0)), current.get(key, Decimal(0)))
        for key in current.keys() | previous.keys()
    ]
    moved = [mover for mover in movers if mover.change != 0]
    moved.sort(key=lambda mover: (-abs(mover.change), mover.key))
    return moved[:top]
