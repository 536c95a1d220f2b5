"""YAML files validated by pydantic models, with errors that name file, line and field."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from brctl.errors import ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


def round_trip_yaml() -> YAML:
    """A loader/dumper that keeps comments and key order, for files operators edit."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error names `source:line`."""
    try:
        return round_trip_yaml().load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ValidationError(
            f"malformed YAML: {exc.problem or exc.context}", location=line
        ) from exc


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ValidationError(f"file not found: {path}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationError("not UTF-8 text", location=str(path)) from exc
    return parse_yaml(text, str(path))


def line_of(data: Any, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node of `loc` that exists in the parsed document."""
    line: int | None = None
    node = data
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(data, CommentedMap | CommentedSeq):
        line = data.lc.line + 1
    return line


def describe_errors(exc: PydanticValidationError, data: Any, source: str) -> list[str]:
    messages = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if isinstance(part, str | int)]
        field = ".".join(str(part) for part in loc) or "(document)"
        line = line_of(data, loc)
        where = f"{source}:{line}" if line else source
        got = ""
        if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
            got = f" (got {error['input']!r})"
        messages.append(f"{where}: {field}: {error['msg']}{got}")
    return messages


def validate_data(model: type[ModelT], data: Any, source: str) -> ModelT:
    if data is None:
        raise ValidationError("empty document", location=source)
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        messages = describe_errors(exc, data, source)
        raise ValidationError("\n".join(messages)) from exc


def load_model(model: type[ModelT], path: Path) -> ModelT:
    """Read `path` and validate it as `model`; every problem names file, line and field."""
    return validate_data(model, read_yaml(path), str(path))


def dump_yaml(data: Any) -> str:
    buffer = io.StringIO()
    round_trip_yaml().dump(data, buffer)
    return buffer.getvalue()
