"""Which values of a budget scope match nothing in the cost data, and the closest that do:
a scope that silently matches no spend reads "ok" forever."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping

from finance_pack.domain.budgets import Scope
from finance_pack.domain.services import canonical_service, service_spellings

#: Scope filter -> the column values (tags: "key=value") present in the cost data.
ExistingValues = Mapping[str, Collection[str]]


def unmatched_values(scope: Scope, existing: ExistingValues) -> dict[str, dict[str, list[str]]]:
    """Per filter, each value that matches nothing, with up to three closest existing values."""
    wanted: dict[str, set[str]] = {
        "providers": set(scope.providers),
        "accounts": set(scope.accounts),
        "services": set(scope.services),
        "regions": set(scope.regions),
        "tags": {f"{k}={v}" for k, values in scope.tags.items() for v in values},
    }
    found: dict[str, dict[str, list[str]]] = {}
    for name, values in wanted.items():
        present = set(existing.get(name, ()))
        for value in sorted(values):
            if _matches(name, value, present):
                continue
            found.setdefault(name, {})[value] = _closest(name, value, present)
    return found


def _matches(name: str, value: str, present: set[str]) -> bool:
    if name == "services":
        return bool(service_spellings([value]) & present)
    return value in present


def _closest(name: str, value: str, present: set[str]) -> list[str]:
    """Close spellings, compared case-insensitively (and by canonical service name)."""
    if name == "services":
        by_key = {canonical_service(p).casefold(): canonical_service(p) for p in present}
        by_key |= {p.casefold(): p for p in present}
        key = canonical_service(value).casefold()
    else:
        by_key = {p.casefold(): p for p in present}
        key = value.casefold()
    close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.4)
    seen: list[str] = []
    for match in close:
        if by_key[match] not in seen:
            seen.append(by_key[match])
    return seen
