"""Export: plan on the exported file shows no changes, and applying it clones the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reconciler.sandbox import Sandbox, SandboxConfig
from tests.contract.recordings import load_interactions
from tests.e2e.conftest import EXAMPLES, TOKEN, Harness

MANAGED_PROJECT_FIELDS = ("name", "active", "color", "is_private", "billable")


def snapshot(harness_store: Any, wid: int) -> dict[str, Any]:
    clients = {c["id"]: c for c in harness_store.clients(wid)}

    def project_view(p: dict[str, Any]) -> tuple:
        client = clients.get(p.get("client_id"), {}).get("name")
        return (client,) + tuple(p.get(field) for field in MANAGED_PROJECT_FIELDS)

    return {
        "clients": sorted((c["name"], bool(c["archived"]), c.get("notes") or None)
                          for c in clients.values()),
        "projects": sorted((project_view(p) for p in harness_store.projects(wid)), key=repr),
        "tags": sorted(t["name"] for t in harness_store.tags(wid)),
    }


def export_and_clone(harness: Harness, tmp_path: Path, source: str) -> None:
    exported = tmp_path / "exported.yaml"
    result = harness.cli("export", "--workspace", source, "-o", str(exported), "--include-archived")
    assert result.code == 0, result.output
    assert harness.cli("validate", str(exported)).code == 0
    replan = harness.cli("plan", str(exported), "--detailed-exitcode")
    assert replan.code == 0, replan.output

    target = harness.store.ensure_workspace("Clone Target")
    clone = harness.cli("apply", str(exported), "--workspace", "Clone Target", "--auto-approve")
    assert clone.code == 0, clone.output
    source_id = harness.store.ensure_workspace(source)
    assert snapshot(harness.store, target) == snapshot(harness.store, source_id)


def test_export_round_trip_on_the_agency_example(harness: Harness, tmp_path: Path) -> None:
    assert harness.cli("apply", str(EXAMPLES / "agency.yaml"), "--auto-approve").code == 0
    export_and_clone(harness, tmp_path, "Acme Agency")


def test_export_round_trip_on_the_sandbox_demo_data(tmp_path: Path) -> None:
    sandbox = Sandbox(SandboxConfig(seed_demo=True, token=TOKEN))
    sandbox.start()
    try:
        harness = Harness(sandbox, tmp_path)
        demo = [w for w in _workspace_names(harness) if w != "Acme Agency"][0]
        export_and_clone(harness, tmp_path, demo)
    finally:
        sandbox.stop()


def test_export_round_trip_on_a_workspace_built_from_recorded_traffic(
    harness: Harness, tmp_path: Path
) -> None:
    related = _recorded_related_data()
    wid = harness.store.ensure_workspace("Recorded")
    client_ids = {c["id"]: harness.store.add_client(wid, c["name"], archived=c["archived"])
                  for c in related["clients"]}
    for project in related["projects"]:
        harness.store.add_project(
            wid, project["name"], client_id=client_ids.get(project["client_id"]),
            active=project["active"], color=project["color"], is_private=project["is_private"],
            actual_seconds=project.get("actual_seconds") or 0,
        )
    for tag in related["tags"]:
        harness.store.add_tag(wid, tag["name"])
    export_and_clone(harness, tmp_path, "Recorded")


def test_export_without_archived_objects_still_plans_clean(harness: Harness, tmp_path: Path) -> None:
    cid = harness.store.add_client(harness.wid, "Old Client", archived=True)
    harness.store.add_project(harness.wid, "Old", client_id=cid, active=False)
    harness.store.add_project(harness.wid, "Current")
    exported = tmp_path / "exported.yaml"
    assert harness.cli("export", "--workspace", "Acme Agency", "-o", str(exported)).code == 0
    document = yaml.safe_load(exported.read_text())
    assert [p["name"] for p in document["projects"]] == ["Current"]
    assert harness.cli("plan", str(exported), "--detailed-exitcode").code == 0


def _workspace_names(harness: Harness) -> list[str]:
    import requests

    response = requests.get(f"{harness.sandbox.url}/api/v9/me/workspaces",
                            auth=(TOKEN, "api_token"), timeout=10)
    return [w["name"] for w in response.json()]


def _recorded_related_data() -> dict[str, Any]:
    import json

    for interaction in load_interactions():
        if "with_related_data" in interaction.url and "go-api-libs" in interaction.source_file:
            return json.loads(interaction.response_body)
    raise AssertionError("no recorded /me?with_related_data=true")
