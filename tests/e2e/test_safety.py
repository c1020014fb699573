"""Never lose a workspace: thresholds, protection, and applying exactly the reviewed plan."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import Harness


def seed_projects(harness: Harness, count: int, seconds: int = 3600) -> None:
    for index in range(count):
        harness.store.add_project(harness.wid, f"P{index:02d}", actual_seconds=seconds)


def test_removing_too_much_is_refused_with_numbers_and_remedy(harness: Harness) -> None:
    seed_projects(harness, 20)
    keep = ", ".join(f"{{name: P{i:02d}}}" for i in range(10))
    spec = harness.spec(f"unmanaged: {{projects: archive}}\nprojects: [{keep}]\n")
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 3, result.output
    assert "50.0% is over 30%" in result.stderr
    assert "(10 of 20 live projects)" in result.stderr
    assert "--force" in result.stderr
    assert harness.writes() == []
    forced = harness.cli("apply", spec, "--auto-approve", "--force")
    assert forced.code == 0, forced.output
    assert sum(1 for p in harness.store.projects(harness.wid) if not p["active"]) == 10


def test_thresholds_can_be_set_in_the_spec(harness: Harness) -> None:
    seed_projects(harness, 20)
    keep = ", ".join(f"{{name: P{i:02d}}}" for i in range(10))
    spec = harness.spec(f"""
        unmanaged: {{projects: archive}}
        safety: {{max_removal_percent: 60}}
        projects: [{keep}]
    """)
    assert harness.cli("apply", spec, "--auto-approve").code == 0


def test_plan_shows_the_blast_radius_of_removals(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "Globex")
    harness.store.add_project(harness.wid, "Website", client_id=cid, actual_seconds=7200)
    harness.store.add_project(harness.wid, "Shop", client_id=cid, actual_seconds=1800)
    result = harness.cli("plan", harness.spec("unmanaged: {clients: archive}\n"))
    assert "2 projects" in result.stdout
    assert "2.5 h" in result.stdout


def test_protected_objects_survive_even_without_a_spec_entry(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "Payroll")
    harness.store.add_project(harness.wid, "Scratch")
    spec = harness.spec("""
        unmanaged: {projects: delete}
        protected: {projects: ["Pay*"]}
    """)
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 0, result.output
    assert harness.names("project") == ["Payroll"]
    assert "protected" in result.stdout


def test_a_saved_plan_is_applied_exactly(harness: Harness, tmp_path: Path) -> None:
    spec = harness.spec("tags: [a, b]\n")
    plan_file = str(tmp_path / "plan.json")
    assert harness.cli("plan", spec, "--out", plan_file).code == 0
    harness.sandbox.reset_requests()
    result = harness.cli("apply", "--plan", plan_file)
    assert result.code == 0, result.output
    assert harness.names("tag") == ["a", "b"]
    assert len(harness.writes()) == 2


def test_a_stale_saved_plan_is_refused_naming_what_changed(harness: Harness, tmp_path: Path) -> None:
    pid = harness.store.add_project(harness.wid, "Website")
    spec = harness.spec("projects: [{name: Website, color: '#9e5bd9'}]\n")
    plan_file = str(tmp_path / "plan.json")
    harness.cli("plan", spec, "--out", plan_file)
    harness.cli("apply", harness.spec("projects: [{name: Website, color: '#d94182'}]\n",
                                      name="other.yaml"), "--auto-approve")
    harness.sandbox.reset_requests()
    result = harness.cli("apply", "--plan", plan_file)
    assert result.code == 3, result.output
    assert f"project 'Website' (id {pid}) changed" in result.stderr
    assert harness.writes() == []


def test_a_saved_plan_whose_name_is_now_taken_is_refused(harness: Harness, tmp_path: Path) -> None:
    plan_file = str(tmp_path / "plan.json")
    harness.cli("plan", harness.spec("tags: [new]\n"), "--out", plan_file)
    harness.store.add_tag(harness.wid, "new")
    result = harness.cli("apply", "--plan", plan_file)
    assert result.code == 3
    assert "tag 'new' now exists" in result.stderr


def test_an_edited_plan_file_is_refused(harness: Harness, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    harness.cli("plan", harness.spec("tags: [new]\n"), "--out", str(plan_path))
    document = json.loads(plan_path.read_text())
    document["changes"][0]["name"] = "evil"
    plan_path.write_text(json.dumps(document))
    result = harness.cli("apply", "--plan", str(plan_path))
    assert result.code == 1
    assert "signature" in result.stderr
    assert harness.writes() == []


def test_a_corrupt_plan_file_is_refused(harness: Harness, tmp_path: Path) -> None:
    plan_path = tmp_path / "plan.json"
    plan_path.write_text('{"format_version": 1, "chan')
    result = harness.cli("apply", "--plan", str(plan_path))
    assert result.code == 1
    assert "not a readable JSON plan" in result.stderr
    assert "Traceback" not in result.output


def test_a_project_delete_destroys_time_entries_only_when_asked(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "Keep Hours")
    harness.store.add_project(harness.wid, "Drop Hours")
    spec = harness.spec("""
        projects:
          - {name: Keep Hours, delete: true}
          - {name: Drop Hours, delete: true, delete_time_entries: true}
    """)
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 0, result.output
    modes = sorted(w.query.get("teDeletionMode") for w in harness.writes() if w.method == "DELETE")
    assert modes == ["delete", "unassign"]


def test_a_refused_plan_is_not_saved_for_apply(harness: Harness, tmp_path: Path) -> None:
    seed_projects(harness, 20)
    spec = harness.spec("unmanaged: {projects: delete}\n")
    plan_file = tmp_path / "plan.json"
    refused = harness.cli("plan", spec, "--out", str(plan_file))
    assert refused.code == 3
    assert not plan_file.exists()
    forced = harness.cli("plan", spec, "--out", str(plan_file), "--force")
    assert forced.code == 0 and plan_file.exists()
