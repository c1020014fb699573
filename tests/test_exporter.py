from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from reconciler.exporter import export, export_document, export_spec
from reconciler.model import LiveClient, LiveProject, LiveState, LiveTag
from reconciler.spec import load_specs


def live_state(tier: str | None = "premium") -> LiveState:
    return LiveState(
        workspace_id=7,
        workspace_name="Acme",
        tier=tier,  # type: ignore[arg-type]
        clients=(LiveClient(2, "initech", archived=True), LiveClient(1, "Globex", notes="Key")),
        projects=(
            LiveProject(10, "Web", client_id=1, fields={"color": "#0b83d9", "is_private": False,
                                                        "billable": False, "rate": 90.0}),
            LiveProject(11, "Old", client_id=2, active=False, fields={"color": "#9e5bd9"}),
            LiveProject(12, "admin", fields={"color": "#d94182", "is_private": True,
                                             "billable": None, "template": True}),
        ),
        tags=(LiveTag(1, "urgent"), LiveTag(2, "Design")),
    )


def test_export_writes_managed_fields_in_a_stable_order() -> None:
    document = export_document(live_state(), include_archived=False)
    assert document == {
        "version": 1,
        "workspace": "Acme",
        "clients": [{"name": "Globex", "notes": "Key"}],
        "projects": [
            {"name": "admin", "color": "#d94182", "is_private": True, "template": True},
            {"name": "Web", "client": "Globex", "color": "#0b83d9", "is_private": False,
             "billable": False, "rate": 90.0},
        ],
        "tags": ["Design", "urgent"],
    }


def test_archived_objects_are_exported_on_request() -> None:
    document = export_document(live_state(), include_archived=True)
    assert {"name": "initech", "archived": True} in document["clients"]
    assert {"name": "Old", "client": "initech", "color": "#9e5bd9", "active": False} in document["projects"]


@pytest.mark.parametrize(("tier", "exported"), [("free", False), ("premium", True), (None, True)])
def test_billable_false_is_left_out_on_the_free_plan(tier: str | None, exported: bool) -> None:
    web = export_document(live_state(tier), include_archived=False)["projects"][1]
    assert ("billable" in web) is exported


def test_the_exported_file_is_a_valid_spec_with_a_header(tmp_path: Path) -> None:
    text = export_spec(live_state(), include_archived=True, source="https://api.track.toggl.com",
                       now="2026-11-28T00:00:00Z")
    assert text.startswith("# Schema:")
    assert "from workspace 'Acme' (id 7) at https://api.track.toggl.com" in text
    path = tmp_path / "exported.yaml"
    path.write_text(text)
    [desired] = load_specs([str(path)])
    assert (len(desired.clients), len(desired.projects), len(desired.tags)) == (2, 3, 2)
    assert yaml.safe_load(text)["workspace"] == "Acme"


# ---------------------------------------------------------------- hostile names


def hostile_live(workspace_name: str = "Acme") -> LiveState:
    from tests.hostile import HOSTILE

    return LiveState(
        workspace_id=7, workspace_name=workspace_name, tier="premium",
        clients=tuple(LiveClient(i, name, notes=name) for i, name in enumerate(HOSTILE.values(), 1)),
        projects=tuple(LiveProject(100 + i, name, client_id=i, fields={})
                       for i, name in enumerate(HOSTILE.values(), 1)),
        tags=tuple(LiveTag(i, name) for i, name in enumerate(HOSTILE.values(), 1)),
    )


def test_every_exported_string_reads_back_exactly_and_the_rest_is_reported(tmp_path: Path) -> None:
    from tests.hostile import HOSTILE, NEVER_HOLDABLE, assert_log_safe, assert_terminal_safe

    result = export(hostile_live(), include_archived=True, source="s", now="n")
    assert_terminal_safe(result.text)
    assert_log_safe(result.text)
    document = yaml.safe_load(result.text)
    kept = set(document["tags"])
    assert kept.isdisjoint(HOSTILE[key] for key in NEVER_HOLDABLE)
    assert {HOSTILE["group"], HOSTILE["marker"], HOSTILE["issue"]} <= kept
    assert HOSTILE["nel"] not in kept  # a line break (U+0085) no spec name may hold
    assert {c["name"] for c in document["clients"]} == kept == {c["notes"] for c in document["clients"]}
    assert {p["client"] for p in document["projects"]} == kept
    # Each left-out object is named once, and a left-out client takes its project along.
    left_out = len(HOSTILE) - len(kept)
    assert len(result.left_out) == 3 * left_out
    assert sum("left out with its client" in line for line in result.left_out) == left_out
    path = tmp_path / "exported.yaml"
    path.write_text(result.text, encoding="utf-8")
    [desired] = load_specs([str(path)])
    assert {tag.name for tag in desired.tags} == kept


def test_the_header_comment_holds_no_raw_user_text() -> None:
    evil = "Acme\runmanaged: {clients: delete}\u2028safety: {max_removals: 100000}\x85#"
    text = export_spec(hostile_live(evil), include_archived=True, source="http://x\r\nevil: 1",
                       now="n")
    header = text.split("version: 1")[0]
    assert all(line.startswith("#") for line in header.splitlines())
    assert not re.search("[\r\x85\u2028\u2029]", header)
    assert yaml.safe_load(text)["workspace"] == 7  # no spec can hold its line breaks: the id


def test_a_workspace_name_no_spec_can_hold_is_written_as_the_id() -> None:
    result = export(hostile_live("bad\nname"), include_archived=True, source="s", now="n")
    assert yaml.safe_load(result.text)["workspace"] == 7
    assert any(line.startswith("workspace name 'bad\\u000aname' written as the workspace id")
               for line in result.left_out)
