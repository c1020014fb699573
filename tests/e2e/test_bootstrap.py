"""Bootstrapping a workspace from the agency example, then converging: the product's main job."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.e2e.conftest import EXAMPLES, WORKSPACE, Harness

AGENCY = str(EXAMPLES / "agency.yaml")


def test_bootstrap_agency_then_plan_again_has_no_changes(harness: Harness) -> None:
    applied = harness.cli("apply", AGENCY, "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete: 65 of 65 changes applied" in applied.stdout
    assert len(harness.names("client")) == 10
    assert len(harness.names("project")) == 40
    assert len(harness.names("tag")) == 15

    again = harness.cli("plan", AGENCY, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout


def test_bootstrap_spends_one_write_per_object_and_few_reads(harness: Harness) -> None:
    harness.cli("apply", AGENCY, "--auto-approve")
    assert len(harness.writes()) == 65  # Toggl has no bulk create: one POST per object
    # /me/workspaces (named workspace), clients, tags, one page of projects.
    assert len(harness.reads()) == 4


def test_created_projects_are_active_and_carry_their_fields(harness: Harness) -> None:
    harness.cli("apply", AGENCY, "--auto-approve")
    projects = {p["name"]: p for p in harness.store.projects(harness.wid)}
    clients = {c["id"]: c["name"] for c in harness.store.clients(harness.wid)}
    redesign = projects["Website Redesign"]
    assert redesign["active"] is True
    assert clients[redesign["client_id"]] == "Globex"
    assert redesign["color"] == "#0b83d9"
    assert redesign["is_private"] is False


def test_plan_never_writes(harness: Harness) -> None:
    result = harness.cli("plan", AGENCY, "--detailed-exitcode")
    assert result.code == 2, result.output
    assert harness.writes() == []
    assert harness.names("client") == []


@pytest.mark.parametrize("projects", [0, 150, 199, 200, 401])
def test_plan_by_workspace_id_reads_clients_tags_and_project_pages_only(
    harness: Harness, projects: int
) -> None:
    for index in range(projects):
        harness.store.add_project(harness.wid, f"Project {index:04d}")
    spec = harness.spec("tags: [one]\n", workspace=harness.wid)
    harness.sandbox.reset_requests()
    result = harness.cli("plan", spec)
    assert result.code == 0, result.output
    paths = [r.path for r in harness.sandbox.requests]
    # Pages end on a short page, so a multiple of 200 needs one more (empty) page.
    assert len(paths) == 2 + projects // 200 + 1
    assert len(paths) <= 3 + math.ceil(projects / 200)
    assert not any(path.endswith("/me") or "/me/" in path for path in paths)


def test_plan_by_name_adds_one_workspace_lookup(harness: Harness) -> None:
    spec = harness.spec("tags: [one]\n")
    harness.sandbox.reset_requests()
    harness.cli("plan", spec)
    paths = [r.path for r in harness.sandbox.requests]
    assert paths[0].endswith("/me/workspaces")
    assert len(paths) == 4


def test_json_plan_is_the_contract_and_counts_the_bill(harness: Harness) -> None:
    result = harness.cli("plan", AGENCY, "--format", "json")
    assert result.code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["format_version"] == 2
    assert plan["workspace"]["name"] == WORKSPACE
    assert plan["summary"]["create"] == 65
    assert plan["bill"] == {"reads": 4, "writes": 65, "per_object_reads": 1,
                            "reads_by_kind": {"workspaces": 1, "clients": 1, "tags": 1,
                                              "projects": 1},
                            "writes_by_kind": {"client": 10, "project": 40, "tag": 15},
                            "per_object_writes": 65,
                            "quota": {"remaining": None, "resets_in": None}}


def test_apply_refuses_without_confirmation_when_not_interactive(harness: Harness) -> None:
    result = harness.cli("apply", AGENCY)
    assert result.code == 1
    assert "--auto-approve" in result.stderr
    assert harness.writes() == []


def test_python_dash_m_and_the_script_are_the_same_program(harness: Harness) -> None:
    import subprocess
    import sys

    module = subprocess.run([sys.executable, "-m", "reconciler", "validate", AGENCY],
                            capture_output=True, text=True, timeout=60)
    assert module.returncode == 0, module.stderr
    assert "10 clients, 40 projects, 15 tags" in module.stdout


def test_read_cache_reads_only_changed_projects_and_still_sees_every_change(
    harness: Harness, tmp_path: Path
) -> None:
    for index in range(450):
        harness.store.add_project(harness.wid, f"Project {index:04d}")
    with harness.store.transaction():  # as if changed over the last two hours, not all at once
        harness.store.db.execute("UPDATE projects SET at_ts = at_ts - 7200 + (id % 3) * 1800")
    spec = harness.spec("projects: [{name: Project 0001, color: '#9e5bd9'}]\n",
                        workspace=harness.wid)
    cache = str(tmp_path / "projects-cache.json")
    assert harness.cli("plan", spec, "--read-cache", cache).code == 0
    harness.sandbox.reset_requests()
    cached_plan = harness.cli("plan", spec, "--read-cache", cache, "--format", "json")
    project_reads = [r for r in harness.sandbox.requests if r.path.endswith("/projects")]
    assert len(project_reads) == 1 and "since" in project_reads[0].query
    assert json.loads(cached_plan.stdout)["bill"]["reads"] == 3

    deleted = harness.store.projects(harness.wid)[5]["id"]
    harness.cli("apply", harness.spec("projects: [{name: Project 0002, color: '#d94182'}]\n",
                                      name="other.yaml", workspace=harness.wid), "--auto-approve")
    harness.cli("apply", harness.spec(f"projects: [{{name: {harness.store.projects(harness.wid)[5]['name']}, delete: true}}]\n",
                                      name="delete.yaml", workspace=harness.wid), "--auto-approve")
    after = json.loads(harness.cli("plan", spec, "--read-cache", cache, "--format", "json").stdout)
    full = json.loads(harness.cli("plan", spec, "--format", "json").stdout)
    assert after["changes"] == full["changes"]
    assert after["unmanaged"] == full["unmanaged"]
    assert all(u["id"] != deleted for u in after["unmanaged"])


def test_a_cached_plan_with_nothing_changed_leaves_the_cache_file_alone(
    harness: Harness, tmp_path: Path
) -> None:
    # Rewriting an unchanged cache cost a repeated 10,000-project plan 0.3 s, and moved its saved
    # time past the `since` point it still reads from (the week's limit counts from the latter).
    for index in range(30):
        harness.store.add_project(harness.wid, f"Project {index:04d}")
    with harness.store.transaction():
        harness.store.db.execute("UPDATE projects SET at_ts = at_ts - 7200")
    spec = harness.spec("projects: [{name: Project 0001}]\n", workspace=harness.wid)
    cache = tmp_path / "cache.json"
    assert harness.cli("plan", spec, "--read-cache", str(cache)).code == 0
    written = cache.stat()
    assert harness.cli("plan", spec, "--read-cache", str(cache)).code == 0
    # Not rewritten at all (a rewrite replaces the file: another inode and modification time).
    assert (cache.stat().st_ino, cache.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    harness.store.add_project(harness.wid, "Project new")  # a change: the cache takes it in
    assert harness.cli("plan", spec, "--read-cache", str(cache)).code == 0
    assert b"Project new" in cache.read_bytes()
