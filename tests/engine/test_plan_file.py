"""The signed plan file: any change to what was signed is refused, its formatting is not."""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest

from reconciler.engine.plan import (
    Action,
    Change,
    FieldChange,
    Plan,
    plan_file_document,
    verify_plan_file,
)
from reconciler.errors import PlanFileError

KEY = b"k" * 32


def plan_json(workspace_id: int, *names: str) -> dict[str, Any]:
    changes = tuple(Change(Action.CREATE, "tag", name, name, fields=(FieldChange("name", None, name),))
                    for name in names)
    return Plan(workspace_id=workspace_id, changes=changes,
                target={"transport": "direct", "api_root": "https://api.track.toggl.com"}).to_json()


def test_a_signed_file_verifies_after_being_reformatted() -> None:
    signed = plan_file_document([plan_json(1, "a")], KEY)
    reformatted = json.loads(json.dumps(signed, indent=None, sort_keys=True))
    [document] = verify_plan_file(reformatted, KEY)
    assert Plan.from_json(document).changes[0].name == "a"


def _drop_second_plan(bundle: dict[str, Any]) -> None:
    bundle["plans"].pop()


def _reorder(bundle: dict[str, Any]) -> None:
    bundle["plans"].reverse()


def _retarget(bundle: dict[str, Any]) -> None:
    bundle["plans"][0]["target"]["api_root"] = "https://evil.example"


def _add_change(bundle: dict[str, Any]) -> None:
    bundle["plans"][1]["changes"].append(copy.deepcopy(bundle["plans"][1]["changes"][0]))


@pytest.mark.parametrize("tamper", [_drop_second_plan, _reorder, _retarget, _add_change])
def test_any_edit_of_a_bundle_is_refused(tamper: Callable[[dict[str, Any]], None]) -> None:
    bundle = plan_file_document([plan_json(1, "a"), plan_json(2, "b")], KEY)
    tamper(bundle)
    with pytest.raises(PlanFileError, match="signature does not match"):
        verify_plan_file(bundle, KEY)


def test_another_key_or_no_signature_is_refused() -> None:
    signed = plan_file_document([plan_json(1, "a")], KEY)
    with pytest.raises(PlanFileError, match="signature"):
        verify_plan_file(signed, b"another key")
    del signed["signature"]
    with pytest.raises(PlanFileError, match="signature"):
        verify_plan_file(signed, KEY)


@pytest.mark.parametrize("version", [1, 3, None, "2"])
def test_other_format_versions_are_refused_before_the_signature(version: Any) -> None:
    signed = plan_file_document([plan_json(1, "a")], KEY)
    signed["format_version"] = version
    with pytest.raises(PlanFileError, match="format_version"):
        verify_plan_file(signed, KEY)
