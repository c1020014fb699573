"""Query parameters as numbers, bounded so that no value can overflow SQLite's 64-bit
integers (a 30-digit `since` must be a 400, not a dropped connection)."""

from __future__ import annotations

from typing import Mapping

from reconciler.sandbox.errors import bad_request
from reconciler.sandbox.rules import MAX_ID


def unix_timestamp(query: Mapping[str, str], name: str = "since") -> int:
    """`since=<unix seconds>`; 400 unless an integer within 64 bits."""
    try:
        value = int(query[name])
    except ValueError:
        raise bad_request(f"{name} must be a UNIX timestamp") from None  # our wording
    if abs(value) > MAX_ID:
        raise bad_request(f"{name} must be a UNIX timestamp")  # our wording
    return value


def positive_int(query: Mapping[str, str], name: str, default: int) -> int:
    """A positive integer parameter (page, per_page, ids); `default` when absent or empty."""
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_ID:
        raise bad_request(f"{name} must be a positive integer")  # our wording
    return value
