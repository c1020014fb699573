"""The escapes every output channel uses for untrusted names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.untrusted import quoted, safe_line, shown


@pytest.mark.parametrize(("name", "expected"), [
    ("a\nb", "a\\u000ab"), ("a\rb", "a\\u000db"), ("\x1b[2J", "\\u001b[2J"),
    ("Q1\x85Q2", "Q1\\u0085Q2"), ("x\u2028y", "x\\u2028y"), ("\u202eabc", "\\u202eabc"),
    ("zero\u200bwidth", "zero\\u200bwidth"), ("lone \ud800", "lone \\ud800"),
    ("##[group]x", "#\\u0023[group]x"), ("::error::x", "\\u003a:error::x"),
    ("  ::warning::x", "  \\u003a:warning::x"), ("a::b", "a::b"), ("Café/Ops #1", "Café/Ops #1"),
    ("\U000e0041tag", "\\U000e0041tag"),
])
def test_shown_names_are_visible_single_line_and_inert(name: str, expected: str) -> None:
    assert shown(name) == expected


def test_a_line_keeps_zero_width_characters_the_markdown_renderer_adds() -> None:
    assert safe_line("@\u200borg") == "@\u200borg"


def test_a_name_in_quotes_is_still_one_line() -> None:
    assert quoted("a\r\nb") == "'a\\u000d\\u000ab'"


def test_only_the_tools_colours_survive_a_line_with_colour_kept() -> None:
    line = "\x1b[31m-\x1b[0m \x1b[8mhidden\x1b[0m"
    assert safe_line(line, keep_colour=True) == "\x1b[31m-\x1b[0m \\u001b[8mhidden\x1b[0m"
    assert "\x1b" not in safe_line(line)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_any_shown_text_is_one_inert_line(text: str) -> None:
    from tests.hostile import assert_log_safe, assert_terminal_safe

    escaped = shown(text)
    assert "\n" not in escaped
    assert_terminal_safe(escaped)
    assert_log_safe(escaped)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_any_name_survives_the_json_plan_exactly(text: str) -> None:
    import json

    from reconciler.render import render_json

    plan = {"workspace": {"name": text}, "changes": [{"name": text, "address": text + "/" + text}]}
    rendered = render_json(plan)
    assert json.loads(rendered) == plan
    assert "##[" not in rendered and "\r" not in rendered
