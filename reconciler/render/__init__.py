"""Renderers: the plan's JSON form (`Plan.to_json()`) -> text, Markdown or pretty JSON.

They read only that dict, like Terraform's renderer reads `terraform show -json`, so nothing
can be shown that a saved plan file does not hold. All are pure: no printing, no I/O.
Call `RENDERERS[name](plan)`; `text` also takes `color=`, `markdown` takes `max_chars=` and
`plan_file_hint=`.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from reconciler.render.markdown import render_markdown
from reconciler.render.text import change_headline, render_text, summary_line

__all__ = ["RENDERERS", "change_headline", "render_json", "render_markdown", "render_text",
           "summary_line"]


def render_json(plan: Mapping[str, Any]) -> str:
    """The plan dict itself, pretty-printed; `Plan.from_json(json.loads(...))` reads it back."""
    return json.dumps(plan, sort_keys=False, indent=2) + "\n"


RENDERERS: Mapping[str, Callable[..., str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
