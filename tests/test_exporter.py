from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reconciler.exporter import export_document, export_spec
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
