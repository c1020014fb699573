"""The workspace kinds (issue 12) end to end: settings, groups, project members, tasks and a
new workspace, through the real CLI over real HTTP against the sandbox.

Out-of-band changes ("someone edited it in Toggl since") go through the sandbox's HTTP API,
as a Toggl user's would, so these tests hold against any faithful server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from reconciler.sandbox import Sandbox, SandboxConfig
from tests.e2e.conftest import TOKEN, WORKSPACE, CliResult, Harness

USERS = ("ana@acme.test", "bo@acme.test", "cy@acme.test")


class KindsHarness(Harness):
    def api(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.sandbox.url}/api/v9{path}", json=body,
                                    auth=(TOKEN, "api_token"), timeout=10)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json() if response.content else None

    @property
    def organization_id(self) -> int:
        return int(self.api("GET", f"/workspaces/{self.wid}")["organization_id"])

    def users(self) -> dict[str, int]:
        return {user["email"]: user["id"] for user in self.api("GET", f"/workspaces/{self.wid}/users")}

    def groups(self) -> dict[str, dict[str, Any]]:
        return {group["name"]: group
                for group in self.api("GET", f"/organizations/{self.organization_id}/groups") or []}

    def project_id(self, name: str) -> int:
        [found] = [p["id"] for p in self.store.projects(self.wid) if p["name"] == name]
        return int(found)

    def tasks(self) -> dict[str, dict[str, Any]]:
        listed = self.api("GET", f"/workspaces/{self.wid}/tasks?active=both&per_page=200")
        rows = listed["data"] if isinstance(listed, dict) else listed
        return {task["name"]: task for task in rows}

    def project_users(self) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/workspaces/{self.wid}/project_users") or [])

    def project_groups(self) -> list[dict[str, Any]]:
        return list(self.api("GET", f"/workspaces/{self.wid}/project_groups") or [])

    def settings(self) -> dict[str, Any]:
        return dict(self.api("GET", f"/workspaces/{self.wid}"))

    def apply(self, path: str, *flags: str) -> CliResult:
        return self.cli("apply", path, "--auto-approve", *flags)

    def plan_json(self, path: str) -> dict[str, Any]:
        return self.plan_json_with(path)

    def plan_json_with(self, path: str, *flags: str) -> dict[str, Any]:
        result = self.cli("plan", path, "--format", "json", *flags)
        assert result.code == 0, result.output
        document = json.loads(result.stdout)
        return document[0] if isinstance(document, list) else document


@pytest.fixture
def kinds(tmp_path: Path) -> Iterator[KindsHarness]:
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, users=USERS))
    sandbox.start()
    try:
        yield KindsHarness(sandbox, tmp_path)
    finally:
        sandbox.stop()


def _converged(kinds: KindsHarness, path: str) -> None:
    again = kinds.cli("plan", path, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes" in again.output


FULL = """\
settings:
  default_currency: EUR
  rounding: 1
  rounding_minutes: 15
  only_admins_may_create_projects: true
groups:
  - name: Designers
    members: [ana@acme.test, bo@acme.test]
clients:
  - name: Globex
projects:
  - name: Website Redesign
    client: Globex
    members:
      - user: ana@acme.test
        manager: true
        rate: 120
      - group: Designers
    tasks:
      - name: Wireframes
        estimated_hours: 10
        assignee: ana@acme.test
      - Design review
"""


# ---------------------------------------------------------------- no new keys: nothing new read


def test_a_spec_without_the_new_keys_reads_exactly_what_it_did(kinds: KindsHarness) -> None:
    path = kinds.spec("clients:\n  - name: Globex\nprojects:\n  - name: Site\n    client: Globex\n")
    assert kinds.apply(path).code == 0
    before = len(kinds.sandbox.requests)
    assert kinds.cli("plan", path).code == 0
    paths = sorted(r.path.split("?")[0] for r in kinds.sandbox.requests[before:])
    assert paths == sorted(["/api/v9/me/workspaces", f"/api/v9/workspaces/{kinds.wid}/clients",
                            f"/api/v9/workspaces/{kinds.wid}/tags",
                            f"/api/v9/workspaces/{kinds.wid}/projects"]), paths


# ---------------------------------------------------------------- everything at once


def test_the_full_example_applies_and_converges(kinds: KindsHarness) -> None:
    path = kinds.spec(FULL)
    result = kinds.apply(path)
    assert result.code == 0, result.output
    settings = kinds.settings()
    assert (settings["default_currency"], settings["rounding"], settings["rounding_minutes"]) == \
        ("EUR", 1, 15)
    users = kinds.users()
    assert sorted(kinds.groups()["Designers"]["users"][i]["user_id"]
                  for i in range(2)) == sorted([users["ana@acme.test"], users["bo@acme.test"]])
    tasks = kinds.tasks()
    assert tasks["Wireframes"]["estimated_seconds"] == 36_000
    assert tasks["Wireframes"]["user_id"] == users["ana@acme.test"]
    assert "Design review" in tasks
    [ana] = [m for m in kinds.project_users() if m["user_id"] == users["ana@acme.test"]]
    assert ana["manager"] is True and ana["rate"] == 120
    assert len(kinds.project_groups()) == 1
    _converged(kinds, path)


def test_reads_stay_one_list_call_per_kind(kinds: KindsHarness) -> None:
    path = kinds.spec(FULL)
    assert kinds.apply(path).code == 0
    before = len(kinds.sandbox.requests)
    assert kinds.cli("plan", path).code == 0
    reads = [r.path.split("?")[0] for r in kinds.sandbox.requests[before:]]
    assert all(r.method == "GET" for r in kinds.sandbox.requests[before:])
    assert len(reads) == len(set(reads)), reads  # no path read twice: no per-project reads
    assert len(reads) <= 11, reads


# ---------------------------------------------------------------- settings


def test_settings_send_only_the_keys_the_spec_writes(kinds: KindsHarness) -> None:
    before = kinds.settings()
    path = kinds.spec("settings:\n  rounding_minutes: 30\n")
    [change] = kinds.plan_json(path)["changes"]
    assert (change["kind"], [f["field"] for f in change["fields"]]) == \
        ("settings", ["rounding_minutes"])
    result = kinds.apply(path)
    assert result.code == 0, result.output
    assert [r.method for r in kinds.writes()] == ["PUT"]
    after = kinds.settings()
    assert after["rounding_minutes"] == 30
    assert {k: v for k, v in after.items() if k not in ("rounding_minutes", "at")} == \
        {k: v for k, v in before.items() if k not in ("rounding_minutes", "at")}
    _converged(kinds, path)


def test_a_paid_setting_on_a_free_workspace_is_a_plan_error_with_no_write(kinds: KindsHarness) -> None:
    kinds.store.set_tier(kinds.wid, "free")
    path = kinds.spec("settings:\n  only_admins_may_create_tags: true\n  default_hourly_rate: 90\n")
    result = kinds.cli("plan", path)
    assert result.code == 1, result.output
    assert "default_hourly_rate" in result.output and "Starter" in result.output
    assert "spec.yaml:" in result.output
    assert "Traceback" not in result.output
    assert kinds.writes() == []


# ---------------------------------------------------------------- groups


def test_a_group_is_created_renamed_and_its_members_changed(kinds: KindsHarness) -> None:
    path = kinds.spec("groups:\n  - name: Designers\n    members: [ana@acme.test]\n")
    assert kinds.apply(path).code == 0
    group_id = kinds.groups()["Designers"]["group_id"]
    path = kinds.spec("groups:\n  - name: Design\n    previous_names: [Designers]\n"
                      "    members: [ana@acme.test, cy@acme.test]\n")
    plan = kinds.plan_json(path)
    [change] = [c for c in plan["changes"] if c["kind"] == "group"]
    assert change["action"] == "rename" and change["live_id"] == group_id
    assert kinds.apply(path).code == 0
    design = kinds.groups()["Design"]
    assert design["group_id"] == group_id
    users = kinds.users()
    assert sorted(u["user_id"] for u in design["users"]) == sorted(
        [users["ana@acme.test"], users["cy@acme.test"]])
    _converged(kinds, path)


def test_an_unknown_email_is_a_plan_error_at_its_line(kinds: KindsHarness) -> None:
    path = kinds.spec("groups:\n  - name: Designers\n    members: [ana@acme.test, nobody@acme.test]\n")
    result = kinds.cli("plan", path)
    assert result.code == 1, result.output
    assert "nobody@acme.test" in result.output and "spec.yaml:5" in result.output
    assert "Traceback" not in result.output
    assert kinds.writes() == []


def test_unmanaged_groups_are_deleted_or_detached_as_the_plan_says(kinds: KindsHarness) -> None:
    org = kinds.organization_id
    other = kinds.store.ensure_workspace("Other Team")
    kinds.api("POST", f"/organizations/{org}/groups",
              {"name": "Only Here", "workspaces": [kinds.wid], "users": []})
    kinds.api("POST", f"/organizations/{org}/groups",
              {"name": "Shared", "workspaces": [kinds.wid, other], "users": []})
    path = kinds.spec("groups:\n  - name: Kept\nunmanaged:\n  groups: delete\n")
    plan = kinds.plan_json(path)
    removals = {c["name"]: c["options"].get("group_removal") for c in plan["changes"]
                if c["kind"] == "group" and c["action"] == "delete"}
    assert removals == {"Only Here": "delete", "Shared": "detach"}
    text = kinds.cli("plan", path).output
    assert "detach" in text.lower()
    assert kinds.apply(path).code == 0
    groups = kinds.groups()
    assert "Only Here" not in groups
    assert groups["Shared"]["workspaces"] == [other]
    _converged(kinds, path)


def test_unmanaged_groups_are_left_alone_by_default(kinds: KindsHarness) -> None:
    kinds.api("POST", f"/organizations/{kinds.organization_id}/groups",
              {"name": "Theirs", "workspaces": [kinds.wid], "users": []})
    path = kinds.spec("groups:\n  - name: Ours\n")
    assert kinds.apply(path).code == 0
    assert {"Theirs", "Ours"} <= set(kinds.groups())


def test_a_protected_group_is_not_deleted(kinds: KindsHarness) -> None:
    kinds.api("POST", f"/organizations/{kinds.organization_id}/groups",
              {"name": "Admins", "workspaces": [kinds.wid], "users": []})
    path = kinds.spec("groups: []\nunmanaged:\n  groups: delete\nprotected:\n  groups: [Admins]\n")
    result = kinds.apply(path)
    assert result.code == 0, result.output
    assert "protected" in result.output
    assert "Admins" in kinds.groups()


# ---------------------------------------------------------------- members


MEMBERS = """\
groups:
  - name: Designers
    members: [bo@acme.test]
projects:
  - name: Site
    members:
      - user: ana@acme.test
        manager: true
      - group: Designers
"""


def test_members_are_added_updated_and_removed_under_remove(kinds: KindsHarness) -> None:
    path = kinds.spec(MEMBERS)
    assert kinds.apply(path).code == 0, kinds.cli("plan", path).output
    users = kinds.users()
    site = kinds.project_id("Site")
    kinds.api("POST", f"/workspaces/{kinds.wid}/project_users",
              {"project_id": site, "user_id": users["cy@acme.test"]})
    path = kinds.spec(MEMBERS.replace("manager: true", "manager: false")
                      + "unmanaged:\n  members: remove\n")
    plan = kinds.plan_json(path)
    members = {(c["action"], c["name"]) for c in plan["changes"] if c["kind"] == "member"}
    assert members == {("update", "ana@acme.test"), ("delete", "cy@acme.test")}
    [removal] = [c for c in plan["changes"] if c["kind"] == "member" and c["action"] == "delete"]
    assert removal["blast"]["people"] == 1
    assert kinds.apply(path).code == 0
    listed = {m["user_id"]: m for m in kinds.project_users() if m["project_id"] == site}
    assert users["cy@acme.test"] not in listed
    assert listed[users["ana@acme.test"]]["manager"] is False
    _converged(kinds, path)


def test_unlisted_members_stay_under_ignore(kinds: KindsHarness) -> None:
    path = kinds.spec(MEMBERS)
    assert kinds.apply(path).code == 0
    site = kinds.project_id("Site")
    kinds.api("POST", f"/workspaces/{kinds.wid}/project_users",
              {"project_id": site, "user_id": kinds.users()["cy@acme.test"]})
    _converged(kinds, path)


def test_an_unknown_group_on_a_project_is_a_plan_error(kinds: KindsHarness) -> None:
    path = kinds.spec("projects:\n  - name: Site\n    members:\n      - group: Ghosts\n")
    result = kinds.cli("plan", path)
    assert result.code == 1, result.output
    assert "Ghosts" in result.output and "spec.yaml:6" in result.output
    assert kinds.writes() == []


def test_a_member_rate_on_a_free_workspace_is_a_plan_error(kinds: KindsHarness) -> None:
    kinds.store.set_tier(kinds.wid, "free")
    path = kinds.spec("projects:\n  - name: Site\n    members:\n      - user: ana@acme.test\n"
                      "        rate: 50\n")
    result = kinds.cli("plan", path)
    assert result.code == 1, result.output
    assert "rate" in result.output and "Starter" in result.output
    assert kinds.writes() == []


# ---------------------------------------------------------------- tasks


TASKS = """\
projects:
  - name: Site
    tasks:
      - name: Wireframes
        estimated_hours: 10
      - Design review
      - Copy
"""


def test_tasks_are_created_renamed_updated_and_archived(kinds: KindsHarness) -> None:
    path = kinds.spec(TASKS)
    assert kinds.apply(path).code == 0
    wireframes = kinds.tasks()["Wireframes"]["id"]
    path = kinds.spec("""\
projects:
  - name: Site
    tasks:
      - name: Mockups
        previous_names: [Wireframes]
        estimated_hours: 12
        assignee: bo@acme.test
      - name: Design review
        active: false
      - Copy
""")
    plan = kinds.plan_json(path)
    actions = {(c["action"], c["name"]) for c in plan["changes"] if c["kind"] == "task"}
    assert actions == {("rename", "Mockups"), ("archive", "Design review")}
    assert kinds.apply(path).code == 0
    tasks = kinds.tasks()
    assert tasks["Mockups"]["id"] == wireframes
    assert tasks["Mockups"]["estimated_seconds"] == 12 * 3600
    assert tasks["Design review"]["active"] is False
    _converged(kinds, path)


@pytest.mark.parametrize("policy, expected", [("ignore", True), ("archive", False),
                                              ("delete", None)])
def test_unlisted_tasks_follow_the_unmanaged_policy(kinds: KindsHarness, policy: str,
                                                    expected: bool | None) -> None:
    assert kinds.apply(kinds.spec(TASKS)).code == 0
    path = kinds.spec(TASKS.replace("      - Copy\n", "") + f"unmanaged:\n  tasks: {policy}\n")
    result = kinds.apply(path)
    assert result.code == 0, result.output
    copy = kinds.tasks().get("Copy")
    assert (None if copy is None else copy["active"]) is expected
    _converged(kinds, path)


def test_a_task_delete_shows_the_hours_it_takes_along(kinds: KindsHarness) -> None:
    assert kinds.apply(kinds.spec(TASKS)).code == 0
    task = kinds.tasks()["Copy"]
    kinds.api("POST", f"/workspaces/{kinds.wid}/time_entries",
              {"workspace_id": kinds.wid, "project_id": task["project_id"], "task_id": task["id"],
               "start": "2026-11-30T09:00:00Z", "duration": 7200, "created_with": "test"})
    path = kinds.spec(TASKS.replace("      - Copy\n", "      - name: Copy\n        delete: true\n"))
    text = kinds.cli("plan", path).output
    assert "2.0 h" in text or "2 h" in text, text


def test_a_protected_task_is_not_removed(kinds: KindsHarness) -> None:
    assert kinds.apply(kinds.spec(TASKS)).code == 0
    path = kinds.spec("projects:\n  - name: Site\n    tasks: []\nunmanaged:\n  tasks: delete\n"
                      "protected:\n  tasks: ['Site/Copy']\n")
    assert kinds.apply(path).code == 0
    assert set(kinds.tasks()) == {"Copy"}


def test_removing_many_tasks_is_refused_by_the_thresholds(kinds: KindsHarness) -> None:
    many = "".join(f"      - T{i:02}\n" for i in range(30))
    assert kinds.apply(kinds.spec(f"projects:\n  - name: Site\n    tasks:\n{many}")).code == 0
    path = kinds.spec("projects:\n  - name: Site\n    tasks: []\nunmanaged:\n  tasks: delete\n")
    result = kinds.apply(path)
    assert result.code == 3, result.output
    assert len(kinds.tasks()) == 30


def test_tasks_on_a_free_workspace_are_a_plan_error(kinds: KindsHarness) -> None:
    kinds.store.set_tier(kinds.wid, "free")
    result = kinds.cli("plan", kinds.spec(TASKS))
    assert result.code == 1, result.output
    assert "tasks" in result.output and "Starter" in result.output
    assert kinds.writes() == []


def test_tasks_of_a_project_created_in_the_same_apply_land_on_it(kinds: KindsHarness) -> None:
    path = kinds.spec("clients:\n  - name: Globex\n" + TASKS.replace("- name: Site\n",
                                                                     "- name: Site\n    client: Globex\n"))
    assert kinds.apply(path).code == 0
    site = kinds.project_id("Site")
    assert {t["project_id"] for t in kinds.tasks().values()} == {site}


# ---------------------------------------------------------------- saved plans


def test_a_saved_task_delete_is_stale_once_time_was_tracked_on_it(kinds: KindsHarness,
                                                                   tmp_path: Path) -> None:
    assert kinds.apply(kinds.spec(TASKS)).code == 0
    path = kinds.spec(TASKS.replace("      - Copy\n", "") + "unmanaged:\n  tasks: delete\n")
    plan_file = str(tmp_path / "plan.json")
    assert kinds.cli("plan", path, "--out", plan_file).code == 0
    task = kinds.tasks()["Copy"]
    kinds.api("POST", f"/workspaces/{kinds.wid}/time_entries",
              {"workspace_id": kinds.wid, "project_id": task["project_id"], "task_id": task["id"],
               "start": "2026-11-30T09:00:00Z", "duration": 3600, "created_with": "test"})
    writes = len(kinds.writes())
    result = kinds.cli("apply", "--plan", plan_file)
    assert result.code == 3, result.output
    assert len(kinds.writes()) == writes
    assert "Copy" in kinds.tasks()


def test_a_saved_group_removal_is_stale_once_its_members_changed(kinds: KindsHarness,
                                                                  tmp_path: Path) -> None:
    org = kinds.organization_id
    group = kinds.api("POST", f"/organizations/{org}/groups",
                      {"name": "Temp", "workspaces": [kinds.wid], "users": []})
    path = kinds.spec("groups: []\nunmanaged:\n  groups: delete\n")
    plan_file = str(tmp_path / "plan.json")
    assert kinds.cli("plan", path, "--out", plan_file).code == 0
    group_id = group["group_id"] if isinstance(group, dict) and "group_id" in group else \
        kinds.groups()["Temp"]["group_id"]
    kinds.api("PUT", f"/organizations/{org}/groups/{group_id}",
              {"name": "Temp", "workspaces": [kinds.wid],
               "users": [kinds.users()["ana@acme.test"]]})
    result = kinds.cli("apply", "--plan", plan_file)
    assert result.code == 3, result.output
    assert "Temp" in kinds.groups()


# ---------------------------------------------------------------- export round trip


def test_export_round_trips_every_kind(kinds: KindsHarness, tmp_path: Path) -> None:
    assert kinds.apply(kinds.spec(FULL)).code == 0
    exported = tmp_path / "exported.yaml"
    result = kinds.cli("export", "--workspace", WORKSPACE, "-o", str(exported))
    assert result.code == 0, result.output
    text = exported.read_text(encoding="utf-8")
    for word in ("settings:", "groups:", "members:", "tasks:", "ana@acme.test", "Designers",
                 "Wireframes"):
        assert word in text, word
    assert kinds.cli("validate", str(exported)).code == 0
    _converged(kinds, str(exported))


def test_an_export_applied_to_an_empty_workspace_reproduces_it(kinds: KindsHarness,
                                                               tmp_path: Path) -> None:
    assert kinds.apply(kinds.spec(FULL)).code == 0
    exported = tmp_path / "exported.yaml"
    assert kinds.cli("export", "--workspace", WORKSPACE, "-o", str(exported)).code == 0
    copy = exported.read_text(encoding="utf-8").replace(f"workspace: {WORKSPACE}",
                                                        "workspace: Copy Team")
    copy = copy.replace(f"workspace: '{WORKSPACE}'", "workspace: Copy Team")
    assert "Copy Team" in copy
    target = tmp_path / "copy.yaml"
    target.write_text(copy, encoding="utf-8")
    copy_wid = kinds.store.ensure_workspace("Copy Team")
    result = kinds.apply(str(target))
    assert result.code == 0, result.output
    _converged(kinds, str(target))
    assert kinds.api("GET", f"/workspaces/{copy_wid}")["rounding_minutes"] == 15


# ---------------------------------------------------------------- a new workspace


def test_apply_creates_a_missing_workspace_under_its_organization(kinds: KindsHarness) -> None:
    org = kinds.api("GET", "/me/organizations")[0]
    path = kinds.spec(f"organization: {org['name']!r}\nclients:\n  - name: Globex\n"
                      "settings:\n  rounding_minutes: 15\n", workspace="Brand New")
    plan = kinds.cli("plan", path)
    assert plan.code == 0, plan.output
    assert "Brand New" in plan.output
    assert kinds.writes() == []
    result = kinds.apply(path)
    assert result.code == 0, result.output
    [created] = [w for w in kinds.api("GET", "/me/workspaces") if w["name"] == "Brand New"]
    assert [c["name"] for c in kinds.api("GET", f"/workspaces/{created['id']}/clients")] == \
        ["Globex"]
    _converged(kinds, path)


# ---------------------------------------------------------------- the read cache


def test_a_cached_plan_reads_tasks_with_one_since_call_and_sees_changes(kinds: KindsHarness,
                                                                          tmp_path: Path) -> None:
    many = "".join(f"      - T{i:03}\n" for i in range(450))  # 3 pages of 200
    path = kinds.spec(f"projects:\n  - name: Site\n    tasks:\n{many}")
    assert kinds.apply(path).code == 0
    with kinds.store.transaction() as db:  # made an hour ago, but for one a minute ago
        db.execute("UPDATE tasks SET at_ts = at_ts - 3600")
        db.execute("UPDATE tasks SET at_ts = at_ts + 3540 WHERE name = 'T449'")
        db.execute("UPDATE projects SET at_ts = at_ts - 3600")
    cache = str(tmp_path / "cache.json")
    first = kinds.plan_json_with(path, "--read-cache", cache)
    assert first["bill"]["reads_by_kind"]["tasks"] == 3
    # Someone renames one task and deletes another in Toggl since.
    tasks = kinds.tasks()
    site = kinds.project_id("Site")
    kinds.api("PUT", f"/workspaces/{kinds.wid}/projects/{site}/tasks/{tasks['T001']['id']}",
              {"name": "Renamed"})
    kinds.api("DELETE", f"/workspaces/{kinds.wid}/projects/{site}/tasks/{tasks['T002']['id']}")
    second = kinds.plan_json_with(path, "--read-cache", cache)
    assert second["bill"]["reads_by_kind"]["tasks"] == 1
    changes = {(c["action"], c["name"]) for c in second["changes"]}
    assert ("create", "T001") in changes and ("create", "T002") in changes, changes


# ---------------------------------------------------------------- ambiguous writes


def test_ambiguous_task_creates_are_settled_with_one_since_read_each(kinds: KindsHarness) -> None:
    """With 450 tasks live (3 pages), a task create answered 500 after committing is found
    again with one `since=` read, not by listing every task, and never made twice."""
    many = "".join(f"      - T{i:03}\n" for i in range(450))
    assert kinds.apply(kinds.spec(f"projects:\n  - name: Site\n    tasks:\n{many}")).code == 0
    with kinds.store.transaction() as db:  # made an hour ago
        db.execute("UPDATE tasks SET at_ts = at_ts - 3600")
    path = kinds.spec(f"projects:\n  - name: Site\n    tasks:\n{many}      - New one\n"
                      "      - New two\n")
    kinds.sandbox.configure(fail_after=1.0)  # every write committed, then answered 500
    before = len(kinds.sandbox.requests)
    result = kinds.cli("apply", path, "--auto-approve",
                       env={**kinds.env, "TOGGL_RECONCILER_RETRY_BASE": "0.01"})
    kinds.sandbox.configure(fail_after=0.0)
    assert result.code == 0, result.output
    assert "2 extra reads to settle 2 ambiguous writes" in result.stdout, result.stdout
    task_reads = [r for r in kinds.sandbox.requests[before:]
                  if r.method == "GET" and r.path.endswith("/tasks")]
    assert len(task_reads) == 3 + 2, task_reads  # the plan's 3 pages, then 1 per create
    assert sorted(t for t in kinds.tasks() if t.startswith("New")) == ["New one", "New two"]
    listed = kinds.api("GET", f"/workspaces/{kinds.wid}/tasks?active=both&per_page=200&page=3")
    assert listed["total_count"] == 452


# ---------------------------------------------------------------- more of each kind's guarantees


def test_groups_on_a_free_workspace_are_a_plan_error(kinds: KindsHarness) -> None:
    kinds.store.set_tier(kinds.wid, "free")
    result = kinds.cli("plan", kinds.spec("groups:\n  - name: Designers\n"))
    assert result.code == 1, result.output
    assert "groups" in result.output and "Starter" in result.output
    assert kinds.writes() == []


def test_a_saved_settings_change_is_stale_once_someone_changed_that_setting(
        kinds: KindsHarness, tmp_path: Path) -> None:
    path = kinds.spec("settings:\n  rounding_minutes: 15\n")
    plan_file = str(tmp_path / "plan.json")
    assert kinds.cli("plan", path, "--out", plan_file).code == 0
    kinds.api("PUT", f"/workspaces/{kinds.wid}", {"rounding_minutes": 30})
    result = kinds.cli("apply", "--plan", plan_file)
    assert result.code == 3, result.output
    assert kinds.settings()["rounding_minutes"] == 30


def test_a_saved_member_removal_is_stale_once_the_member_was_changed(
        kinds: KindsHarness, tmp_path: Path) -> None:
    assert kinds.apply(kinds.spec(MEMBERS)).code == 0
    path = kinds.spec("projects:\n  - name: Site\n    members: []\nunmanaged:\n  members: remove\n")
    plan_file = str(tmp_path / "plan.json")
    assert kinds.cli("plan", path, "--out", plan_file).code == 0
    [ana] = [m for m in kinds.project_users() if m["user_id"] == kinds.users()["ana@acme.test"]]
    kinds.api("PUT", f"/workspaces/{kinds.wid}/project_users/{ana['id']}", {"manager": False})
    writes = len(kinds.writes())
    result = kinds.cli("apply", "--plan", plan_file)
    assert result.code == 3, result.output
    assert len(kinds.writes()) == writes


def test_a_protected_member_is_not_removed(kinds: KindsHarness) -> None:
    assert kinds.apply(kinds.spec(MEMBERS)).code == 0
    path = kinds.spec("projects:\n  - name: Site\n    members: []\nunmanaged:\n  members: remove\n"
                      "protected:\n  members: ['Site/user:ana@acme.test']\n")
    result = kinds.apply(path)
    assert result.code == 0, result.output
    assert "protected" in result.output
    users = kinds.users()
    assert [m["user_id"] for m in kinds.project_users()] == [users["ana@acme.test"]]
    assert kinds.project_groups() == []


def test_removing_many_members_is_refused_by_the_thresholds(kinds: KindsHarness) -> None:
    emails = tuple(f"user{i:02d}@acme.test" for i in range(12))
    kinds.store.add_users(emails)
    listed = "".join(f"      - user: {email}\n" for email in emails)
    assert kinds.apply(kinds.spec(f"projects:\n  - name: Site\n    members:\n{listed}")).code == 0
    path = kinds.spec("projects:\n  - name: Site\n    members: []\nunmanaged:\n  members: remove\n")
    result = kinds.apply(path)
    assert result.code == 3, result.output
    assert len(kinds.project_users()) == 12
    assert kinds.apply(path, "--force").code == 0
    assert kinds.project_users() == []


def test_a_saved_workspace_create_is_stale_once_the_workspace_exists(
        kinds: KindsHarness, tmp_path: Path) -> None:
    org = kinds.api("GET", "/me/organizations")[0]
    path = kinds.spec(f"organization: {org['id']}\ntags: [one]\n", workspace="Brand New")
    plan_file = str(tmp_path / "plan.json")
    assert kinds.cli("plan", path, "--out", plan_file).code == 0
    kinds.api("POST", f"/organizations/{org['id']}/workspaces", {"name": "Brand New"})
    writes = len(kinds.writes())
    result = kinds.cli("apply", "--plan", plan_file)
    assert result.code == 3, result.output
    assert "exists now; the plan was to create it" in result.output
    assert len(kinds.writes()) == writes
    assert [w["name"] for w in kinds.api("GET", "/me/workspaces")].count("Brand New") == 1


def test_a_workspace_a_free_organization_cannot_have_is_a_plan_error(tmp_path: Path) -> None:
    """Recorded: a Free organization says `is_multi_workspace_enabled: false` and answers a
    workspace create 403; the plan says so up front instead of apply failing half way."""
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, tier="free"))
    sandbox.start()
    try:
        harness = KindsHarness(sandbox, tmp_path)
        org = harness.api("GET", "/me/organizations")[0]
        path = harness.spec(f"organization: {org['id']}\ntags: [one]\n", workspace="Second")
        for command in (("plan", path), ("apply", path, "--auto-approve")):
            result = harness.cli(*command)
            assert result.code == 1, result.output
            assert "cannot be created" in result.output and "spec.yaml:3" in result.output
            assert "Traceback" not in result.output
        assert harness.writes() == []
    finally:
        sandbox.stop()


def test_validate_counts_the_workspace_kinds_it_read(kinds: KindsHarness) -> None:
    result = kinds.cli("validate", kinds.spec(FULL))
    assert result.code == 0, result.output
    assert "1 client, 1 project, 0 tags, 4 settings, 1 group, 2 members, 2 tasks" in result.stdout
    assert kinds.sandbox.requests == []


def test_odd_names_and_an_e_mail_in_capitals_converge_in_one_apply(kinds: KindsHarness) -> None:
    """README: e-mails compare ignoring case; names may hold `/`, `\\`, quotes and accents."""
    path = kinds.spec('''\
groups:
  - name: "Design / UX \\\\ Café"
    members: [ANA@ACME.TEST]
projects:
  - name: "Ops/Payroll"
    members:
      - user: Bo@Acme.Test
        manager: true
      - group: "design / ux \\\\ café"
    tasks:
      - name: "Q1/Q2 \\"review\\""
        assignee: CY@acme.TEST
      - Café
''')
    first = kinds.apply(path)
    assert first.code == 0, first.output
    _converged(kinds, path)
    users = kinds.users()
    [group] = kinds.groups().values()
    assert group["name"] == "Design / UX \\ Café"
    assert [u["user_id"] for u in group["users"]] == [users["ana@acme.test"]]
    tasks = kinds.tasks()
    assert set(tasks) == {'Q1/Q2 "review"', "Café"}
    assert tasks['Q1/Q2 "review"']["user_id"] == users["cy@acme.test"]
    assert [m["user_id"] for m in kinds.project_users()] == [users["bo@acme.test"]]
    assert len(kinds.project_groups()) == 1


# ---------------------------------------------------------------- a creator Toggl makes a member


@pytest.fixture
def joining(tmp_path: Path) -> Iterator[KindsHarness]:
    """A sandbox that makes a private project's creator its manager, as Toggl's web app does."""
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, users=USERS,
                                    creator_joins_new_projects=True))
    sandbox.start()
    try:
        yield KindsHarness(sandbox, tmp_path)
    finally:
        sandbox.stop()


PRIVATE_WITH_ANA = """\
projects:
  - name: Secret
    is_private: true
    members:
      - user: ana@acme.test
unmanaged:
  members: {policy}
"""


def _members_of(kinds: KindsHarness, project: str) -> dict[str, bool]:
    emails = {uid: email for email, uid in kinds.users().items()}
    pid = kinds.project_id(project)
    return {emails[m["user_id"]]: bool(m["manager"]) for m in kinds.project_users()
            if m["project_id"] == pid}


def test_a_membership_toggl_gives_the_creator_is_removed_in_the_same_apply(
        joining: KindsHarness) -> None:
    path = joining.spec(PRIVATE_WITH_ANA.format(policy="remove"))
    applied = joining.apply(path)
    assert applied.code == 0, applied.output
    assert _members_of(joining, "Secret") == {"ana@acme.test": False}
    assert "removed the membership Toggl gave" in applied.output
    _converged(joining, path)


def test_under_ignore_the_creator_s_membership_stays_and_the_plan_converges(
        joining: KindsHarness) -> None:
    path = joining.spec(PRIVATE_WITH_ANA.format(policy="ignore"))
    assert joining.apply(path).code == 0
    members = _members_of(joining, "Secret")
    assert members["ana@acme.test"] is False and len(members) == 2  # ana and the creator
    _converged(joining, path)


def test_a_listed_creator_is_found_and_set_as_listed_not_added_twice(
        joining: KindsHarness) -> None:
    creator = next(email for email in joining.users() if email not in USERS)
    path = joining.spec(f"""\
projects:
  - name: Secret
    is_private: true
    members:
      - user: {creator}
        manager: false
      - user: ana@acme.test
unmanaged:
  members: remove
""")
    applied = joining.apply(path)
    assert applied.code == 0, applied.output
    assert _members_of(joining, "Secret") == {creator: False, "ana@acme.test": False}
    _converged(joining, path)


def test_a_server_that_adds_nobody_costs_one_read_per_apply_not_one_per_project(
        kinds: KindsHarness) -> None:
    path = kinds.spec("".join(f"""\
  - name: Secret {n}
    is_private: true
    members:
      - user: ana@acme.test
""" for n in range(3)).join(["projects:\n", "unmanaged:\n  members: remove\n"]))
    applied = kinds.apply(path, "--verbose")
    assert applied.code == 0, applied.output
    member_reads = [line for line in applied.output.splitlines()
                    if "GET " in line and "/project_users" in line]
    assert len(member_reads) == 1 + 1, applied.output  # the plan's listing, then one check
    _converged(kinds, path)


# ---------------------------------------------------------------- --target with the new kinds


TARGETED = """\
settings:
  rounding: -1
groups:
  - name: Designers
clients:
  - name: Globex
projects:
  - name: Site
    client: Globex
    members:
      - group: Designers
    tasks:
      - Wireframes
"""


def test_a_targeted_member_brings_its_new_group_and_project_and_nothing_else(
        kinds: KindsHarness) -> None:
    path = kinds.spec(TARGETED)
    applied = kinds.apply(path, "--target", "member:globex/site/group:designers")
    assert applied.code == 0, applied.output
    assert set(kinds.groups()) == {"Designers"}
    assert [p["name"] for p in kinds.store.projects(kinds.wid)] == ["Site"]
    assert len(kinds.project_groups()) == 1
    assert kinds.tasks() == {} and kinds.settings()["rounding"] != -1  # left for later
    rest = kinds.plan_json(path)
    assert sorted((c["kind"], c["address"]) for c in rest["changes"]) == [
        ("settings", "settings"), ("task", "Globex/Site/Wireframes")]


def test_settings_and_tasks_are_targeted_by_the_addresses_the_plan_prints(
        kinds: KindsHarness) -> None:
    path = kinds.spec(TARGETED)
    settings_only = kinds.plan_json_with(path, "--target", "settings:settings")
    assert [c["kind"] for c in settings_only["changes"]] == ["settings"]
    tasks = kinds.plan_json_with(path, "--target", "task:Globex/Site/*")
    assert sorted(c["kind"] for c in tasks["changes"]) == ["client", "project", "task"]
    excluded = kinds.plan_json_with(path, "--exclude", "group:*")
    # Without its group the group member cannot be made: it is dropped, and says why.
    assert "member" not in {c["kind"] for c in excluded["changes"]}
    assert [d["kind"] for d in excluded["targeting"]["dropped"]] == ["member"]


def test_a_public_project_created_first_does_not_hide_a_private_one_s_creator(
        joining: KindsHarness) -> None:
    # The sandbox (like the web app) adds the creator to private projects only: what a public
    # project shows says nothing about a private one.
    path = joining.spec("""\
projects:
  - name: Open
    is_private: false
    members: []
  - name: Secret
    is_private: true
    members: []
unmanaged:
  members: remove
""")
    applied = joining.apply(path)
    assert applied.code == 0, applied.output
    assert _members_of(joining, "Secret") == {} and _members_of(joining, "Open") == {}
    _converged(joining, path)


def test_a_removal_shows_only_the_people_who_lose_access(kinds: KindsHarness) -> None:
    # README: not those who keep access through a member that stays; nobody on a public project.
    setup = kinds.spec("""\
groups:
  - name: Designers
    members: [ana@acme.test, bo@acme.test]
projects:
  - name: Secret
    is_private: true
    members: [{user: ana@acme.test}, {user: cy@acme.test}, {group: Designers}]
  - name: Open
    is_private: false
    members: [{user: ana@acme.test}]
""")
    assert kinds.apply(setup).code == 0
    path = kinds.spec("""\
groups:
  - name: Designers
    members: [ana@acme.test, bo@acme.test]
projects:
  - name: Secret
    is_private: true
    members: [{group: Designers}]
  - name: Open
    is_private: false
    members: []
unmanaged:
  members: remove
""", name="removals.yaml")
    plan = kinds.plan_json(path)
    people = {c["address"]: c["blast"]["people"] for c in plan["changes"] if c["kind"] == "member"}
    assert people == {"Secret/user:ana@acme.test": 0,  # still a Designer
                      "Secret/user:cy@acme.test": 1,
                      "Open/user:ana@acme.test": 0}  # a public project: everyone tracks on it
    text = kinds.cli("plan", path).output
    assert "1 person loses access" in text and "0 people lose access" in text
