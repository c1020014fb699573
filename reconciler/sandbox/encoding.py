"""How every JSON answer is encoded, in one place, so that a list assembled from separately
encoded items is byte for byte the list `json.dumps` would have written."""

from __future__ import annotations

import json
from typing import Any, Iterable


# One encoder for all answers: `json.dumps` with options builds a new one per call, which is
# measurable when a listing encodes its projects one by one.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_json(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def json_array(encoded_items: Iterable[bytes]) -> bytes:
    """`encode_json([a, b])` from `encode_json(a)` and `encode_json(b)` (no spaces: compact)."""
    return b"[" + b",".join(encoded_items) + b"]"
