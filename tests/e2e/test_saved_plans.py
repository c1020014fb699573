"""Saved plans under attack and under drift (issue 9, items 4 and 6), through the real CLI.

A saved plan is signed with a key derived from the credential, records where it was made and
what each change depends on, and every workspace it covers is checked before the first write.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from reconciler.engine.plan import plan_file_document
from reconciler.sandbox import Sandbox, SandboxConfig
from tests.e2e.conftest import TOKEN, WORKSPACE, Harness


def save_plan(harness: Harness, *specs: str, name: str = "plan.json") -> Path:
    path = harness.tmp_path / name
    result = harness.cli("plan", *specs, "--out", str(path))
    assert result.code == 0, result.output
    return path


def soft_delete(harness: Harness, table: str, object_id: int) -> None:
    with harness.store.transaction() as db:
        db.execute(f"UPDATE {table} SET deleted_ts = ?, at_ts = ? WHERE id = ?",
                   (harness.store.now(), harness.store.now(), object_id))


# ---------------------------------------------------------------- (a) the plan is bound to its maker


def test_an_edited_plan_with_a_recomputed_checksum_and_a_forged_signature_is_refused(
        harness: Harness) -> None:
    pid = harness.store.add_project(harness.wid, "Billing", actual_seconds=36_000)
    spec = harness.spec("projects: [{name: Billing, color: '#9e5bd9'}]\n")
    plan_path = save_plan(harness, spec)
    document = json.loads(plan_path.read_text())
    [change] = document["changes"]
    assert change["action"] == "update" and change["live_id"] == pid
    # The attack of issue 9 item 6a: the reviewed update becomes a delete of its time entries.
    change.update(action="delete", fields=[], options={"te_deletion_mode": "delete"})
    body = {k: v for k, v in document.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    document["checksum"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    forged = plan_file_document([document], key=b"what a forger could guess")
    plan_path.write_text(json.dumps(forged))
    harness.sandbox.reset_requests()
    result = harness.cli("apply", "--plan", str(plan_path), spec)
    # Exit 1, not 3: the file is not one this credential's `plan --out` wrote (bad input, like
    # a corrupt file); 3 means the plan is genuine but the workspace or spec moved on.
    assert result.code == 1, result.output
    assert "signature does not match" in result.stderr
    assert harness.sandbox.requests == []  # refused before any request
    assert harness.names("project") == ["Billing"]


def test_a_plan_made_with_another_credential_is_refused(harness: Harness) -> None:
    plan_path = save_plan(harness, harness.spec("tags: [new]\n"))
    other = {**harness.env, "TOGGL_API_TOKEN": "another-token-0123456789abcdef"}
    harness.sandbox.configure(token=None)  # the sandbox would accept it: the plan must not
    result = harness.cli("apply", "--plan", str(plan_path), env=other)
    assert result.code == 1, result.output
    assert "another Toggl credential" in result.stderr
    assert harness.writes() == []


def test_the_plan_file_holds_no_secret(harness: Harness) -> None:
    plan_path = save_plan(harness, harness.spec("tags: [new]\n"))
    text = plan_path.read_text()
    assert TOKEN not in text
    assert json.loads(text)["signature"].startswith("hmac-sha256:")


def test_an_old_unsigned_plan_file_is_refused_with_a_clear_message(harness: Harness) -> None:
    plan_path = save_plan(harness, harness.spec("tags: [new]\n"))
    document = json.loads(plan_path.read_text())
    document["format_version"] = 1
    plan_path.write_text(json.dumps(document))
    result = harness.cli("apply", "--plan", str(plan_path))
    assert result.code == 1
    assert "format_version 1" in result.stderr and "plan --out" in result.stderr
    assert harness.writes() == []


def test_a_genuine_plan_of_another_spec_is_refused_against_the_spec(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "Old Site")
    removing = harness.spec("projects: [{name: Old Site, delete: true}]\n", name="pr.yaml")
    plan_path = save_plan(harness, removing)
    keeping = harness.spec("projects: [{name: Old Site}]\n", name="main.yaml")
    result = harness.cli("apply", "--plan", str(plan_path), keeping)
    assert result.code == 3, result.output
    assert "does not ask for" in result.stderr and "delete project 'Old Site'" in result.stderr
    assert harness.writes() == []


def test_after_two_merges_the_second_reviewed_plan_still_applies_and_only_it(
        harness: Harness) -> None:
    """PR 1 and PR 2 are planned from the same main; PR 1 merges and applies first."""
    harness.store.add_project(harness.wid, "Website")
    pr1 = save_plan(harness, harness.spec("projects: [{name: Website}]\ntags: [alpha]\n", name="pr1.yaml"),
                    name="pr1.json")
    pr2 = save_plan(harness, harness.spec("projects: [{name: Website}]\ntags: [beta]\n", name="pr2.yaml"),
                    name="pr2.json")
    main_after_1 = harness.spec("projects: [{name: Website}]\ntags: [alpha]\n", name="main.yaml")
    assert harness.cli("apply", "--plan", str(pr1), main_after_1).code == 0
    main_after_2 = harness.spec("projects: [{name: Website}]\ntags: [alpha, beta, gamma]\n", name="main.yaml")
    result = harness.cli("apply", "--plan", str(pr2), main_after_2)
    assert result.code == 0, result.output
    assert harness.names("tag") == ["alpha", "beta"]  # gamma was never reviewed: left for a plan
    assert "1 other change(s) it asks for will show in the next plan" in result.stderr


# ---------------------------------------------------------------- (b) what a removal takes along


def test_a_client_archive_is_stale_when_a_protected_project_moved_under_it(harness: Harness) -> None:
    acme = harness.store.add_client(harness.wid, "Acme")
    payroll = harness.store.add_project(harness.wid, "Payroll")
    spec = harness.spec("""
        protected: {projects: [Payroll]}
        clients: [{name: Acme, archived: true}]
        projects: [{name: Payroll}]
    """)
    plan_path = save_plan(harness, spec)
    with harness.store.transaction() as db:  # after the review: Payroll moved under Acme
        db.execute("UPDATE projects SET client_id = ? WHERE id = ?", (acme, payroll))
    harness.sandbox.reset_requests()
    result = harness.cli("apply", "--plan", str(plan_path))
    assert result.code == 3, result.output
    assert "client 'Acme' would now archive 1 project(s)" in result.stderr
    assert harness.writes() == []
    assert all(p["active"] for p in harness.store.projects(harness.wid))


def test_a_project_delete_is_stale_when_time_was_tracked_on_it_since(harness: Harness) -> None:
    pid = harness.store.add_project(harness.wid, "Retired")
    plan_path = save_plan(harness, harness.spec(
        "projects: [{name: Retired, delete: true, delete_time_entries: true}]\n"))
    harness.store.add_time_entry(harness.wid, pid, 7200)
    result = harness.cli("apply", "--plan", str(plan_path))
    assert result.code == 3, result.output
    assert "tracked now" in result.stderr
    assert harness.writes() == []


# ---------------------------------------------------------------- (c) the API it was made against


def test_a_plan_made_against_one_api_root_is_refused_at_another(harness: Harness) -> None:
    plan_path = save_plan(harness, harness.spec("tags: [new]\n"))
    other = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN))
    other.start()
    try:
        assert other.store.ensure_workspace(WORKSPACE) == harness.wid  # same workspace id
        env = {**harness.env, "TOGGL_API_URL": other.url}
        result = harness.cli("apply", "--plan", str(plan_path), env=env)
        assert result.code == 3, result.output
        assert f"made against direct at {harness.sandbox.url}" in result.stderr
        assert other.requests == []
    finally:
        other.stop()


def test_an_embedded_sandbox_plan_applies_only_to_its_own_database(harness: Harness,
                                                                   tmp_path: Path) -> None:
    spec = harness.spec("tags: [new]\n")
    plan_path = str(tmp_path / "plan.json")
    first, second = str(tmp_path / "first.db"), str(tmp_path / "second.db")
    assert harness.cli("plan", spec, "--sandbox", "--sandbox-db", first, "--out", plan_path).code == 0
    assert harness.cli("plan", spec, "--sandbox", "--sandbox-db", second).code == 0  # same ids
    elsewhere = harness.cli("apply", "--plan", plan_path, "--sandbox", "--sandbox-db", second)
    assert elsewhere.code == 3, elsewhere.output
    assert "embedded sandbox" in elsewhere.stderr
    home = harness.cli("apply", "--plan", plan_path, "--sandbox", "--sandbox-db", first)
    assert home.code == 0, home.output


# ---------------------------------------------------------------- (d) a client a create needs


def test_a_create_whose_client_was_deleted_since_is_stale_and_writes_nothing(harness: Harness) -> None:
    acme = harness.store.add_client(harness.wid, "Acme")
    plan_path = save_plan(harness, harness.spec("""
        clients: [{name: Acme}]
        tags: [first]
        projects: [{name: Site, client: Acme}]
    """))
    soft_delete(harness, "clients", acme)
    harness.sandbox.reset_requests()
    result = harness.cli("apply", "--plan", str(plan_path))
    assert result.code == 3, result.output
    assert "needs client 'Acme', which no longer exists" in result.stderr
    assert harness.writes() == []


# ---------------------------------------------------------------- (e) every workspace before any write


def test_a_two_workspace_plan_checks_both_before_the_first_write(harness: Harness) -> None:
    folder = harness.tmp_path / "workspaces"
    folder.mkdir()
    team_b = harness.store.ensure_workspace("Team B")
    (folder / "a.yaml").write_text(f"version: 1\nworkspace: {WORKSPACE}\ntags: [alpha]\n")
    (folder / "b.yaml").write_text("version: 1\nworkspace: Team B\ntags: [beta]\n")
    plan_path = save_plan(harness, str(folder))
    harness.store.add_tag(team_b, "beta")  # B is stale; A is not
    harness.sandbox.reset_requests()
    result = harness.cli("apply", "--plan", str(plan_path), str(folder))
    assert result.code == 3, result.output
    assert "Team B" in result.stderr and "Nothing was applied" in result.stderr
    assert harness.writes() == []
    assert harness.names("tag") == []


# ---------------------------------------------------------------- (f) --workspace with --plan


def test_apply_plan_with_another_workspace_is_refused_before_any_request(harness: Harness) -> None:
    harness.store.ensure_workspace("Team B")
    plan_path = save_plan(harness, harness.spec("tags: [new]\n"))
    harness.sandbox.reset_requests()
    result = harness.cli("apply", "--plan", str(plan_path), "--workspace", "Team B")
    assert result.code == 1, result.output
    assert "--workspace Team B does not name the workspace" in result.stderr
    assert harness.sandbox.requests == []
    same = harness.cli("apply", "--plan", str(plan_path), "--workspace", str(harness.wid))
    assert same.code == 0, same.output


# ---------------------------------------------------------------- item 4: one workspace, named two ways


def test_one_workspace_named_by_id_and_by_name_is_planned_once(harness: Harness) -> None:
    harness.spec("unmanaged: {clients: delete}\nclients: [{name: Globex}]\n", name="by-id.yaml",
                 workspace=harness.wid)
    harness.spec("unmanaged: {clients: delete}\ntags: [urgent]\n", name="by-name.yaml")
    harness.spec("unmanaged: {clients: delete}\ntags: [later]\n", name="by-upper-name.yaml",
                 workspace=WORKSPACE.upper())
    folder = str(harness.tmp_path)
    first = harness.cli("apply", folder, "--auto-approve")
    assert first.code == 0, first.output
    assert "=== Workspace" not in first.stdout
    assert f"name the same workspace (id {harness.wid})" in first.stderr
    assert harness.names("client") == ["Globex"] and harness.names("tag") == ["later", "urgent"]
    again = harness.cli("apply", folder, "--auto-approve")
    assert again.code == 0 and "No changes" in again.stdout, again.output
    assert not [w for w in harness.writes() if w.method == "DELETE"]


def test_one_workspace_named_two_ways_with_clashing_entries_is_refused(harness: Harness) -> None:
    harness.spec("clients: [{name: Globex, notes: A}]\n", name="by-id.yaml", workspace=harness.wid)
    harness.spec("clients: [{name: Globex, notes: B}]\n", name="by-name.yaml")
    result = harness.cli("plan", str(harness.tmp_path))
    assert result.code == 1, result.output
    assert "name the same workspace" in result.stderr and "Globex" in result.stderr
    assert harness.writes() == []


def test_a_hostile_plan_file_is_refused_without_a_traceback(harness: Harness) -> None:
    plan_path = harness.tmp_path / "plan.json"
    for content in ("[" * 100_000, '{"format_version": 2, "plans": "xx", "signature": 1}',
                    '{"format_version": 2, "target": [], "changes": {}}', "null"):
        plan_path.write_text(content)
        result = harness.cli("apply", "--plan", str(plan_path))
        assert result.code == 1, (content[:40], result.output)
        assert "internal error" not in result.output and "Traceback" not in result.output
    assert harness.sandbox.requests == []
