"""Keeping credentials out of messages and logs (pure).

A real token or key is a long random string, so anywhere it appears in a message it is replaced
whole. A shorter, word-like value (users do set placeholders such as "sandboxtoken") is replaced
only where it stands as a word of its own: replacing it inside other words would turn
"Max retries exceeded" into "Ma[redacted] retries e[redacted]ceeded". Data documents (the JSON
plan, an exported spec) are never passed through here: scrubbing them would rename objects.
"""

from __future__ import annotations

import re
from typing import Iterable

REDACTED = "[redacted]"
# At this length and with a digit in it, a value is random enough to be replaced anywhere.
_RANDOM_ENOUGH = 16


def redact(text: str, secrets: Iterable[str], replacement: str = REDACTED) -> str:
    for secret in secrets:
        if not secret:
            continue
        if _looks_random(secret):
            text = text.replace(secret, replacement)
        else:
            text = _as_word(secret).sub(replacement, text)
    return text


def _looks_random(secret: str) -> bool:
    return len(secret) >= _RANDOM_ENOUGH and any(char.isdigit() for char in secret)


def _as_word(secret: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])")
