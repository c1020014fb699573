"""Never lose a workspace: thresholds, protection, and applying exactly the reviewed plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from reconciler.sandbox import Sandbox, SandboxConfig
from tests.e2e.conftest import TOKEN, Harness


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


# ---------------------------------------------------------------- protection never lapses (#9.1)


def _acme_corp(harness: Harness) -> list[int]:
    cid = harness.store.add_client(harness.wid, "Acme Corp")
    return [harness.store.add_project(harness.wid, name, client_id=cid, actual_seconds=3600)
            for name in ("Site", "App", "Ops")]


def test_deleting_a_client_keeps_it_while_its_projects_are_protected_by_its_address(
    harness: Harness,
) -> None:
    pids = _acme_corp(harness)
    spec = harness.spec("""
        unmanaged: {clients: delete, projects: delete}
        protected: {projects: ["Acme Corp/*"]}
    """)
    for _ in range(2):  # the second apply is where the projects used to go
        result = harness.cli("apply", spec, "--auto-approve")
        assert result.code == 0, result.output
    assert "client 'Acme Corp' is not deleted" in result.output
    projects = {p["id"]: p for p in harness.store.projects(harness.wid)}
    assert sorted(projects) == sorted(pids)
    assert all(p["client_id"] is not None and p["active"] for p in projects.values())
    assert harness.names("client") == ["Acme Corp"]


def test_a_client_rename_that_would_unprotect_its_projects_is_refused(harness: Harness) -> None:
    _acme_corp(harness)
    spec = harness.spec("""
        unmanaged: {projects: delete}
        protected: {projects: ["Acme Corp/*"]}
        clients: [{name: Acme Inc, previous_names: [Acme Corp]}]
    """)
    harness.sandbox.reset_requests()
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 1, result.output
    assert "would be 'Acme Inc/Site', which no pattern covers" in result.stderr
    assert harness.writes() == []


def test_a_name_with_glob_characters_is_protected_by_itself(harness: Harness) -> None:
    harness.store.add_client(harness.wid, "[Internal] Ops")
    harness.store.add_client(harness.wid, "Internal Ops")
    spec = harness.spec("""
        unmanaged: {clients: delete}
        protected: {clients: ["[Internal] Ops"]}
    """)
    assert harness.cli("apply", spec, "--auto-approve").code == 0
    assert harness.names("client") == ["[Internal] Ops"]


def test_a_protected_client_protects_its_projects(harness: Harness) -> None:
    _acme_corp(harness)
    harness.store.add_project(harness.wid, "Loose")
    spec = harness.spec("""
        unmanaged: {projects: delete}
        protected: {clients: ["Acme Corp"]}
    """)
    assert harness.cli("apply", spec, "--auto-approve").code == 0
    assert harness.names("project") == ["App", "Ops", "Site"]


# ---------------------------------------------------------------- identity (#9.2, #9.3)


@pytest.fixture
def twins(tmp_path: Path) -> Iterator[Harness]:
    """A sandbox whose names are unique only as spelled, like the reports say Toggl's are."""
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, case_insensitive_names=False))
    sandbox.start()
    try:
        yield Harness(sandbox, tmp_path)
    finally:
        sandbox.stop()


def test_a_delete_takes_the_exact_name_never_a_casefold_twin(twins: Harness) -> None:
    kept = twins.store.add_client(twins.wid, "Stra\u00dfe")
    twins.store.add_client(twins.wid, "STRASSE")
    spec = twins.spec("clients: [{name: STRASSE, delete: true}]\n")
    assert twins.cli("apply", spec, "--auto-approve").code == 0
    assert [c["id"] for c in twins.store.clients(twins.wid)] == [kept]


def test_two_case_variants_refuse_the_plan_naming_both(twins: Harness) -> None:
    first = twins.store.add_client(twins.wid, "Acme")
    second = twins.store.add_client(twins.wid, "ACME")
    result = twins.cli("plan", twins.spec("clients: [{name: acme, notes: key account}]\n"))
    assert result.code == 1, result.output
    assert f"'Acme' (id {first}), 'ACME' (id {second})" in result.stderr


def test_an_nfd_spec_name_is_its_nfc_live_spelling(harness: Harness) -> None:
    harness.store.add_tag(harness.wid, "Caf\u00e9")
    spec = harness.spec("tags: [\"Cafe\u0301\"]\nunmanaged: {tags: delete}\n")
    result = harness.cli("plan", spec, "--detailed-exitcode")
    assert result.code == 0, result.output  # no create + delete of one visible name


# ---------------------------------------------------------------- no silent takeover (#9.5)


def _globex_support(harness: Harness) -> int:
    globex = harness.store.add_client(harness.wid, "Globex")
    harness.store.add_client(harness.wid, "Initech")
    return harness.store.add_project(harness.wid, "Support", client_id=globex,
                                     actual_seconds=36_000)


def test_a_new_project_never_takes_over_an_unmanaged_namesake(harness: Harness) -> None:
    pid = _globex_support(harness)
    before = next(p for p in harness.store.projects(harness.wid) if p["id"] == pid)
    spec = harness.spec("clients: [{name: Initech}]\n"
                        "projects: [{name: Support, client: Initech}]\n")
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 0, result.output
    assert "'Globex/Support' (10.0 h tracked) has the same name and is not taken over" in \
        result.output
    after = next(p for p in harness.store.projects(harness.wid) if p["id"] == pid)
    assert after == before
    assert harness.names("project") == ["Support", "Support"]


def test_move_from_moves_and_shows_the_hours_it_takes_along(harness: Harness) -> None:
    pid = _globex_support(harness)
    spec = harness.spec(
        "clients: [{name: Initech}]\n"
        "projects: [{name: Support, client: Initech, move_from: Globex/Support}]\n")
    plan = harness.cli("plan", spec)
    assert "move_from in the spec; 10.0 h tracked" in plan.stdout, plan.output
    assert harness.cli("apply", spec, "--auto-approve").code == 0
    moved = next(p for p in harness.store.projects(harness.wid) if p["id"] == pid)
    initech = next(c["id"] for c in harness.store.clients(harness.wid) if c["name"] == "Initech")
    assert moved["client_id"] == initech


# ---------------------------------------------------------------- addresses (#15.12)


def test_a_slash_inside_a_name_gives_distinct_addresses(harness: Harness) -> None:
    spec = harness.spec("""
        clients: [{name: Acme}, {name: Acme/Ops}]
        projects:
          - {name: Ops/Payroll, client: Acme}
          - {name: Payroll, client: Acme/Ops}
    """)
    plan = json.loads(harness.cli("plan", spec, "--format", "json").stdout)
    addresses = [c["address"] for c in plan["changes"] if c["kind"] == "project"]
    assert addresses == ["Acme/Ops\\/Payroll", "Acme\\/Ops/Payroll"]
    text = harness.cli("plan", spec).stdout
    rendered = [line for line in text.splitlines() if "Payroll" in line and "project" in line]
    assert len(rendered) == len(set(rendered)) == 2, rendered  # the renderer quotes as it will


@pytest.mark.parametrize("chosen", ["Acme", "ACME"])
def test_a_project_created_under_one_of_two_case_twin_clients_lands_under_that_one(
    twins: Harness, chosen: str,
) -> None:
    ids = {name: twins.store.add_client(twins.wid, name) for name in ("Acme", "ACME")}
    spec = twins.spec(f"clients: [{{name: {chosen}}}]\n"
                      f"projects: [{{name: Site, client: {chosen}}}]\n")
    result = twins.cli("apply", spec, "--auto-approve")
    assert result.code == 0, result.output
    (site,) = twins.store.projects(twins.wid)
    assert site["client_id"] == ids[chosen]
