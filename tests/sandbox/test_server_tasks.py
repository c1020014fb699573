"""Tasks over real HTTP: the paged workspace list, per-project CRUD, bulk PATCH and the rules."""

from __future__ import annotations

import pytest
import requests

from reconciler.sandbox import Sandbox
from reconciler.sandbox.identity import USER_ID


@pytest.fixture
def pid(sandbox: Sandbox, wid: int) -> int:
    return sandbox.store.add_project(wid, "Website")


def _tasks(wid: int, pid: int) -> str:
    return f"/workspaces/{wid}/projects/{pid}/tasks"


def test_create_answers_the_documented_fields(api, wid: int, pid: int) -> None:
    created = api.post(_tasks(wid, pid), {"name": "Wireframes", "estimated_seconds": 36000})
    assert created.status_code == 200
    task = created.json()
    assert {"id", "name", "workspace_id", "project_id", "user_id", "active", "estimated_seconds",
            "tracked_seconds", "at", "server_deleted_at", "project_name", "client_name"} <= set(task)
    assert (task["name"], task["workspace_id"], task["project_id"], task["active"]) == (
        "Wireframes", wid, pid, True)
    assert (task["estimated_seconds"], task["tracked_seconds"], task["user_id"]) == (36000, 0, None)
    assert task["project_name"] == "Website"
    assert api.get(f"{_tasks(wid, pid)}/{task['id']}").json() == task


def test_the_workspace_list_is_a_documented_page_object(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    for name in ("b", "a", "c"):
        sandbox.store.add_task(wid, pid, name)
    page = api.get(f"/workspaces/{wid}/tasks").json()
    assert set(page) == {"data", "page", "per_page", "sort_field", "sort_order", "total_count"}
    assert (page["page"], page["per_page"], page["sort_field"], page["sort_order"], page["total_count"]) == (
        1, 50, "name", "ASC", 3)
    assert [t["name"] for t in page["data"]] == ["a", "b", "c"]


def test_pages_of_the_workspace_list(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    other = sandbox.store.add_project(wid, "Other")
    sandbox.store.bulk_add_tasks(wid, [{"project_id": pid if n % 2 else other, "name": f"t{n:03}"}
                                       for n in range(120)])
    seen: list[str] = []
    page = 1
    while True:
        answer = api.get(f"/workspaces/{wid}/tasks", params={"page": page, "per_page": 50}).json()
        assert answer["total_count"] == 120
        seen += [t["name"] for t in answer["data"]]
        if len(answer["data"]) < 50:
            break
        page += 1
    assert seen == [f"t{n:03}" for n in range(120)] and page == 3


def test_per_page_is_clamped_to_200(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    sandbox.store.bulk_add_tasks(wid, [{"project_id": pid, "name": f"t{n}"} for n in range(250)])
    answer = api.get(f"/workspaces/{wid}/tasks", params={"per_page": 1000}).json()
    assert (answer["per_page"], len(answer["data"]), answer["total_count"]) == (200, 200, 250)


def test_only_active_tasks_unless_asked(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    sandbox.store.add_task(wid, pid, "open")
    sandbox.store.add_task(wid, pid, "done", active=False)

    def names(**query: str) -> list[str]:
        return [t["name"] for t in api.get(f"/workspaces/{wid}/tasks", params=query).json()["data"]]

    assert names() == ["open"]
    assert names(active="false") == ["done"]
    assert names(active="both") == ["done", "open"]
    assert api.get(f"/workspaces/{wid}/tasks", params={"active": "maybe"}).status_code == 400


def test_filters_sorting_and_since(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    other = sandbox.store.add_project(wid, "Other")
    first = sandbox.store.add_task(wid, pid, "zeta")
    sandbox.store.add_task(wid, other, "alpha")
    by_pid = api.get(f"/workspaces/{wid}/tasks", params={"pid": pid}).json()["data"]
    assert [t["id"] for t in by_pid] == [first]
    desc = api.get(f"/workspaces/{wid}/tasks", params={"sort_order": "desc"}).json()
    assert [t["name"] for t in desc["data"]] == ["zeta", "alpha"] and desc["sort_order"] == "DESC"
    created = api.get(f"/workspaces/{wid}/tasks", params={"sort_field": "created_at"}).json()
    assert [t["name"] for t in created["data"]] == ["zeta", "alpha"]
    assert api.get(f"/workspaces/{wid}/tasks", params={"sort_field": "size"}).status_code == 400
    api.delete(f"{_tasks(wid, pid)}/{first}")
    since = api.get(f"/workspaces/{wid}/tasks", params={"since": 0, "active": "both"}).json()["data"]
    gone = [t for t in since if t["id"] == first]
    assert gone and gone[0]["server_deleted_at"] is not None
    assert first not in [t["id"] for t in api.get(f"/workspaces/{wid}/tasks").json()["data"]]


def test_the_project_list_is_a_bare_array_with_done_tasks(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    sandbox.store.add_task(wid, pid, "open")
    sandbox.store.add_task(wid, pid, "done", active=False)
    listed = api.get(_tasks(wid, pid)).json()
    assert isinstance(listed, list) and [t["name"] for t in listed] == ["done", "open"]
    assert api.get(_tasks(wid, 123)).status_code == 400


def test_names_are_unique_in_the_project_case_insensitively(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    other = sandbox.store.add_project(wid, "Other")
    assert api.post(_tasks(wid, pid), {"name": "Review"}).status_code == 200
    again = api.post(_tasks(wid, pid), {"name": "REVIEW"})
    assert (again.status_code, again.json()) == (400, "Name has already been taken")
    assert api.post(_tasks(wid, other), {"name": "Review"}).status_code == 200
    done = api.post(_tasks(wid, pid), {"name": "Old", "active": False}).json()
    assert api.post(_tasks(wid, pid), {"name": "old"}).status_code == 400  # done ones count
    assert api.put(f"{_tasks(wid, pid)}/{done['id']}", {"name": "review"}).status_code == 400


@pytest.mark.parametrize(("body", "text"), [
    ({}, "Task name can't be blank"), ({"name": " "}, "Task name can't be blank"),
    ({"name": "x" * 256}, "Task name maximum length is 255"),
    ({"name": "T", "active": "yes"}, "active must be a boolean"),
    ({"name": "T", "estimated_seconds": -1}, "estimated_seconds must be a whole number"),
    ({"name": "T", "estimated_seconds": 1.5}, "estimated_seconds must be a whole number"),
    ({"name": "T", "user_id": 424242}, "Invalid user_id"),
])
def test_bad_task_bodies_are_400(api, wid: int, pid: int, body: dict, text: str) -> None:
    answer = api.post(_tasks(wid, pid), body)
    assert answer.status_code == 400 and text in answer.json()
    assert api.get(_tasks(wid, pid)).json() == []


def test_assignees_are_workspace_users(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    (ana,) = sandbox.store.add_users(["ana@acme.test"])
    task = api.post(_tasks(wid, pid), {"name": "T", "user_id": ana}).json()
    assert task["user_id"] == ana
    cleared = api.put(f"{_tasks(wid, pid)}/{task['id']}", {"user_id": None}).json()
    assert cleared["user_id"] is None


def test_the_requester_default_assignee_is_configurable(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    sandbox.configure(task_default_assignee="requester")
    assert api.post(_tasks(wid, pid), {"name": "T"}).json()["user_id"] == USER_ID


def test_put_merges_only_the_fields_sent(api, wid: int, pid: int) -> None:
    task = api.post(_tasks(wid, pid), {"name": "T", "estimated_seconds": 60}).json()
    updated = api.put(f"{_tasks(wid, pid)}/{task['id']}", {"active": False}).json()
    assert (updated["name"], updated["estimated_seconds"], updated["active"]) == ("T", 60, False)
    renamed = api.put(f"{_tasks(wid, pid)}/{task['id']}", {"name": "U"}).json()
    assert (renamed["name"], renamed["active"]) == ("U", False)
    assert api.put(f"{_tasks(wid, pid)}/999", {"name": "V"}).status_code == 404


def test_a_task_is_reached_only_through_its_own_project(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    other = sandbox.store.add_project(wid, "Other")
    task = sandbox.store.add_task(wid, pid, "T")
    assert api.get(f"{_tasks(wid, other)}/{task}").status_code == 404
    assert api.delete(f"{_tasks(wid, other)}/{task}").status_code == 404
    assert len(api.get(_tasks(wid, pid)).json()) == 1


def test_delete_keeps_the_tracked_time_without_the_task(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    task = sandbox.store.add_task(wid, pid, "T")
    entry = sandbox.store.add_task_time(wid, task, 600)
    answer = api.delete(f"{_tasks(wid, pid)}/{task}")
    assert (answer.status_code, answer.content) == (200, b"")
    assert api.get(_tasks(wid, pid)).json() == []
    (kept,) = [e for e in sandbox.store.time_entries(wid) if e["id"] == entry]
    assert (kept["task_id"], kept["project_id"], kept["duration"]) == (None, pid, 600)


def test_tracked_seconds_come_in_milliseconds_as_documented(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    task = sandbox.store.add_task(wid, pid, "T")
    sandbox.store.add_task_time(wid, task, 600)
    sandbox.store.add_task_time(wid, task, 60)
    sandbox.store.add_time_entry(wid, pid, 999)  # on the project, not the task
    assert api.get(f"{_tasks(wid, pid)}/{task}").json()["tracked_seconds"] == 660_000
    sandbox.configure(task_tracked_unit="seconds")
    listed = api.get(f"/workspaces/{wid}/tasks").json()["data"]
    assert listed[0]["tracked_seconds"] == 660


def test_time_entries_carry_a_task(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    task = sandbox.store.add_task(wid, pid, "T")
    body = {"created_with": "test", "workspace_id": wid, "start": "2024-01-01T10:00:00Z",
            "duration": 120, "task_id": task}
    created = api.post(f"/workspaces/{wid}/time_entries", body).json()
    assert (created["task_id"], created["project_id"]) == (task, pid)  # the task's project
    other = sandbox.store.add_project(wid, "Other")
    wrong = api.post(f"/workspaces/{wid}/time_entries", {**body, "project_id": other})
    assert wrong.status_code == 400
    assert api.post(f"/workspaces/{wid}/time_entries", {**body, "task_id": 5}).status_code == 400
    moved = api.put(f"/workspaces/{wid}/time_entries/{created['id']}", {"project_id": other}).json()
    assert (moved["task_id"], moved["project_id"]) == (None, other)
    back = api.put(f"/workspaces/{wid}/time_entries/{created['id']}", {"task_id": task}).json()
    assert (back["task_id"], back["project_id"]) == (task, pid)
    assert api.get(f"{_tasks(wid, pid)}/{task}").json()["tracked_seconds"] == 120_000


def test_bulk_patch_answers_success_and_failure_per_id(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    ids = [sandbox.store.add_task(wid, pid, name) for name in ("a", "b")]
    other = sandbox.store.add_project(wid, "Other")
    stranger = sandbox.store.add_task(wid, other, "c")
    answer = api.patch(f"{_tasks(wid, pid)}/{ids[0]},{ids[1]},{stranger}",
                       [{"op": "replace", "path": "/active", "value": False},
                        {"op": "replace", "path": "/estimated_seconds", "value": 7200}])
    assert answer.status_code == 200
    outcome = answer.json()
    assert outcome["success"] == ids
    assert [f["id"] for f in outcome["failure"]] == [stranger]
    listed = api.get(_tasks(wid, pid)).json()
    assert [(t["active"], t["estimated_seconds"]) for t in listed] == [(False, 7200)] * 2
    assert api.get(_tasks(wid, other)).json()[0]["active"] is True


def test_bulk_patch_refuses_unknown_paths_and_add(api, wid: int, pid: int, sandbox: Sandbox) -> None:
    task = sandbox.store.add_task(wid, pid, "a")
    for body in ([{"op": "replace", "path": "/color", "value": 1}],
                 [{"op": "add", "path": "/active", "value": False}], []):
        assert api.patch(f"{_tasks(wid, pid)}/{task}", body).status_code == 400


def test_bulk_patch_rename_to_a_taken_name_fails_that_id(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    first = sandbox.store.add_task(wid, pid, "a")
    second = sandbox.store.add_task(wid, pid, "b")
    outcome = api.patch(f"{_tasks(wid, pid)}/{first},{second}",
                        [{"op": "replace", "path": "/name", "value": "c"}]).json()
    assert outcome["success"] == [first]
    assert outcome["failure"] == [{"id": second, "message": "Name has already been taken"}]


def test_every_task_endpoint_is_402_on_a_free_workspace(sandbox: Sandbox, api, free_wid: int) -> None:
    project = sandbox.store.add_project(free_wid, "P")
    task = sandbox.store.add_task(free_wid, project, "T")
    calls = [api.get(f"/workspaces/{free_wid}/tasks"), api.get(_tasks(free_wid, project)),
             api.get(f"{_tasks(free_wid, project)}/{task}"),
             api.post(_tasks(free_wid, project), {"name": "U"}),
             api.put(f"{_tasks(free_wid, project)}/{task}", {"name": "U"}),
             api.patch(f"{_tasks(free_wid, project)}/{task}",
                       [{"op": "replace", "path": "/active", "value": False}]),
             api.delete(f"{_tasks(free_wid, project)}/{task}")]
    assert [c.status_code for c in calls] == [402] * 7
    assert calls[3].json() == "Tasks available only for premium plans"
    assert [t["name"] for t in sandbox.store.tasks(free_wid)] == ["T"]


def test_task_writes_need_an_admin(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    task = sandbox.store.add_task(wid, pid, "T")
    sandbox.configure(admin=False)
    assert api.post(_tasks(wid, pid), {"name": "U"}).status_code == 403
    assert api.put(f"{_tasks(wid, pid)}/{task}", {"name": "U"}).status_code == 403
    assert api.delete(f"{_tasks(wid, pid)}/{task}").status_code == 403
    assert api.get(f"/workspaces/{wid}/tasks").status_code == 200  # reads stay open


def test_deleting_a_project_deletes_its_tasks(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    sandbox.store.add_task(wid, pid, "T")
    keep = sandbox.store.add_project(wid, "Keep")
    sandbox.store.add_task(wid, keep, "K")
    assert api.delete(f"/workspaces/{wid}/projects/{pid}", params={"teDeletionMode": "unassign"}).status_code == 200
    assert [t["name"] for t in api.get(f"/workspaces/{wid}/tasks").json()["data"]] == ["K"]


def test_each_task_request_counts_against_the_quota() -> None:
    with Sandbox(seed_demo=False, hourly_quota=3, quota_window_seconds=60) as sandbox:
        wid = sandbox.store.ensure_workspace("Acme", tier="premium")
        auth = (sandbox.token, "api_token")
        statuses = [requests.get(f"{sandbox.url}/api/v9/workspaces/{wid}/tasks", auth=auth,
                                 timeout=10).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 402]


def test_me_with_related_data_lists_the_paid_workspaces_tasks(
    sandbox: Sandbox, api, wid: int, pid: int, free_wid: int
) -> None:
    assert "tasks" not in api.get("/me", params={"with_related_data": "true"}).json()
    task = sandbox.store.add_task(wid, pid, "T")
    sandbox.store.add_task(free_wid, sandbox.store.add_project(free_wid, "F"), "hidden")
    related = api.get("/me", params={"with_related_data": "true"}).json()
    assert [t["id"] for t in related["tasks"]] == [task]


@pytest.mark.parametrize("active", ["true", "false", "both"])
def test_a_kept_listing_answers_what_the_query_does_and_follows_writes(
        sandbox: Sandbox, api, wid: int, pid: int, active: str) -> None:
    from reconciler.sandbox.encoding import encode_json
    from reconciler.sandbox.tasks import list_workspace_tasks, workspace_tasks_page

    for index in range(7):
        sandbox.store.add_task(wid, pid, f"T{6 - index}", active=index % 3 != 0)
    store = sandbox.store

    def pages() -> list[tuple[bytes, bytes]]:
        with store.transaction():
            return [(workspace_tasks_page(store, wid, query),
                     encode_json(list_workspace_tasks(store, wid, query)))
                    for query in ({"active": active, "per_page": "3", "page": str(page)}
                                  for page in range(1, 5))]

    assert all(kept == queried for kept, queried in pages())
    first = api.get(f"/workspaces/{wid}/tasks", params={"active": "both"}).json()["data"][0]
    assert api.put(f"{_tasks(wid, pid)}/{first['id']}", {"name": "Z renamed"}).status_code == 200
    after = pages()
    assert all(kept == queried for kept, queried in after)
    assert (b"Z renamed" in b"".join(kept for kept, _ in after)) is (
        active == "both" or (active == "true") is first["active"])
