"""Durations written by people on the command line: `90d`, `12h`, `4w`, `30m`."""

from __future__ import annotations

import re
from datetime import timedelta

from finance_pack.errors import UsageError

_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """A positive duration such as `90d`; raises UsageError for anything else."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise UsageError(
            f"not a duration: {text!r}", hint="use a number and a unit: 30m, 12h, 90d, 4w"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
