"""Renderers: the plan's JSON form (`Plan.to_json()`) -> text, Markdown or pretty JSON.

They read only that dict, like Terraform's renderer reads `terraform show -json`, so nothing
can be shown that a saved plan file does not hold. All are pure: no printing, no I/O.
Call `RENDERERS[name](plan)`; `text` also takes `color=`, `markdown` takes `max_chars=` and
`plan_file_hint=`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Mapping

from reconciler.render.markdown import render_markdown, render_markdown_plans
from reconciler.render.text import change_headline, render_text, summary_line
from reconciler.untrusted import UNSAFE_BEYOND_C0

__all__ = ["RENDERERS", "change_headline", "render_json", "render_markdown", "render_markdown_plans",
           "render_text", "summary_line"]


def render_json(plan: Mapping[str, Any]) -> str:
    """The plan dict itself, pretty-printed; `Plan.from_json(json.loads(...))` reads it back.

    Every character a terminal or CI log could act on is written as a JSON `\\uXXXX` escape
    (lone surrogates too, which could not be written otherwise), and `##[` as `#\\u0023[`:
    the same document, but inert wherever it is shown.
    """
    return json_text(json.dumps(plan, sort_keys=False, indent=2, ensure_ascii=False)) + "\n"


def json_text(text: str) -> str:
    """JSON text with unsafe characters escaped the JSON way (surrogate pairs above U+FFFF).

    Outside strings JSON holds only ASCII punctuation, digits, letters and whitespace that
    `json.dumps` writes itself, so every character rewritten here is inside a string."""
    return UNSAFE_BEYOND_C0.sub(_json_escape, text).replace("##[", "#\\u0023[")


def _json_escape(match: "re.Match[str]") -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


RENDERERS: Mapping[str, Callable[..., str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
