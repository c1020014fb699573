from __future__ import annotations

import copy
import json

import pytest

from reconciler.engine.plan import Plan
from reconciler.render import RENDERERS
from reconciler.render.common import duration, escape_unsafe, hours, quote_value

from .fixtures import HOSTILE_NAMES, full_plan, hostile_plan, plan_json


def test_renderer_names() -> None:
    assert sorted(RENDERERS) == ["json", "markdown", "text"]


@pytest.mark.parametrize("plan", [full_plan(), plan_json(), hostile_plan(HOSTILE_NAMES[6])])
def test_json_round_trips_through_plan_from_json(plan: dict) -> None:
    rendered = RENDERERS["json"](plan)
    assert Plan.from_json(json.loads(rendered)) == Plan.from_json(plan)
    assert rendered.startswith('{\n  "format_version": 2,\n  "tool": {')  # indent 2, key order kept


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_renderers_leave_the_plan_untouched(name: str) -> None:
    plan = full_plan()
    before = copy.deepcopy(plan)
    RENDERERS[name](plan)
    assert plan == before


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (60, "1m 0s"), (1200, "20m 0s"), (3600, "1h 0m 0s"), (-5, "0s")],
)
def test_duration(seconds: int, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0.0 h"), (1_125_000, "312.5 h"), (179, "0.0 h"), (181, "0.1 h")]
)
def test_hours_have_one_decimal(seconds: int, text: str) -> None:
    assert hours(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Globex", '"Globex"'),
        (None, "null"),
        (True, "true"),
        (12.5, "12.5"),
        (["a", "b"], '["a", "b"]'),
        ("Zürich", '"Zürich"'),
        ("a\x1bb", '"a\\u001bb"'),
        ("x\u202ey\x9b", '"x\\u202ey\\u009b"'),
    ],
)
def test_quote_value(value: object, text: str) -> None:
    assert quote_value(value) == text


def test_escape_unsafe_keeps_ordinary_unicode() -> None:
    assert escape_unsafe("Café 🚀 東京") == "Café 🚀 東京"
