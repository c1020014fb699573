"""Toggl's timestamp styles, and a lenient RFC 3339 parser that works on Python 3.10.

Toggl writes UTC in several styles (observed): projects, clients and workspaces use
`2024-04-14T17:54:22+00:00`; tags, users and time entries' `at` use microseconds with `Z`
(trailing zeros trimmed: `2024-12-15T23:18:30.62207Z`); dates are `2024-04-14`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|z|[+-]\d{2}:?\d{2})?)?$"
)


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


# Listings format two timestamps per project and most repeat (`at` equals `created_at` until a
# change; bulk loads share one), so remembering recent answers halves a cold listing's cost.
@lru_cache(maxsize=16_384)
def seconds_style(timestamp: float) -> str:
    return _utc(timestamp).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def micro_z_style(timestamp: float) -> str:
    moment = _utc(timestamp)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def date_style(timestamp: float) -> str:
    return _utc(timestamp).strftime("%Y-%m-%d")


def parse_timestamp(text: str) -> float:
    """Epoch seconds of an RFC 3339 timestamp or a bare date (UTC); ValueError otherwise."""
    match = _RFC3339.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        int((fraction or "0").ljust(6, "0")[:6]), tzinfo=timezone.utc,
    )
    return (moment - _zone_offset(zone)).timestamp()


def _zone_offset(zone: str | None) -> timedelta:
    if zone is None or zone in ("Z", "z"):
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
