"""Stripe's request encoding: form bodies with bracketed keys, and its search query language."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")
_CLAUSE = re.compile(r"""^\s*(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*:\s*['"]([^'"]*)['"]\s*$""")


class FormError(ValueError):
    """A body or query the emulator cannot read; the message names the parameter."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def decode_form(body: str) -> dict[str, Any]:
    """`metadata[a]=1&expand[0]=x` -> `{"metadata": {"a": "1"}, "expand": ["x"]}`."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        path = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
        _assign(result, path, value)
    decoded: dict[str, Any] = _lists(result)
    return decoded


def _assign(target: dict[str, Any], path: list[str], value: str) -> None:
    node = target
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise FormError(f"parameter {part} is both a value and a hash", part)
        node = child
    node[path[-1]] = value


def _lists(node: Any) -> Any:
    """Hashes keyed 0, 1, ... (or by empty brackets) are arrays in Stripe's encoding."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() or k == "" for k in converted):
        return [converted[k] for k in sorted(converted, key=lambda k: int(k or 0))]
    return converted


def parse_search(query: str) -> list[tuple[str, str | None, str]]:
    """Clauses joined by AND: `metadata['k']:'v'` -> ("metadata", "k", "v"); `email:'x'`."""
    clauses = []
    for text in re.split(r"\s+AND\s+", query.strip()):
        match = _CLAUSE.match(text)
        if match is None:
            raise FormError(f"cannot parse search clause {text!r}", "query")
        if match.group(2) is not None:
            clauses.append(("metadata", match.group(2), match.group(3)))
        else:
            clauses.append((match.group(1), None, match.group(3)))
    return clauses


def matches(obj: dict[str, Any], clauses: list[tuple[str, str | None, str]]) -> bool:
    for field, key, value in clauses:
        actual = obj.get("metadata", {}).get(key) if field == "metadata" else obj.get(field)
        if actual is None or str(actual) != value:
            return False
    return True
