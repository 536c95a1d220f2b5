"""Parameter types the routes share."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


def _iso_time_only(value: Any) -> Any:
    # pydantic reads a bare number as seconds since 1970: `since=0.5` would mean 1970-01-01.
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("expected an ISO 8601 time such as 2026-11-01T00:00:00Z, not a number")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_time_only)]
"""An ISO 8601 time (a naive one: `domain.instants.as_utc`); a bare number is refused."""
