"""Project users and project groups over real HTTP."""

from __future__ import annotations

import pytest

from reconciler.sandbox import Sandbox
from reconciler.sandbox.identity import USER_ID

DOCUMENTED_KEYS = {"at", "gid", "group_id", "id", "labor_cost", "labor_cost_last_updated",
                   "manager", "project_id", "rate", "rate_last_updated", "user_id", "workspace_id"}


@pytest.fixture
def pid(sandbox: Sandbox, wid: int) -> int:
    return sandbox.store.add_project(wid, "Website")


@pytest.fixture
def ana(sandbox: Sandbox) -> int:
    return sandbox.store.add_users(["ana@acme.test"])[0]


def _members(wid: int) -> str:
    return f"/workspaces/{wid}/project_users"


def test_create_and_list_in_the_documented_shape(api, wid: int, pid: int, ana: int) -> None:
    created = api.post(_members(wid), {"project_id": pid, "user_id": ana, "manager": True, "rate": 120})
    assert created.status_code == 200
    member = created.json()
    assert set(member) == DOCUMENTED_KEYS
    assert (member["project_id"], member["user_id"], member["workspace_id"]) == (pid, ana, wid)
    assert (member["manager"], member["rate"], member["group_id"]) == (True, 120, None)
    assert member["rate_last_updated"] is not None
    listed = api.get(_members(wid)).json()
    assert listed == [member]


def test_one_list_call_holds_every_project(sandbox: Sandbox, api, wid: int, pid: int, ana: int) -> None:
    other = sandbox.store.add_project(wid, "Other")
    for project in (pid, other):
        for user in (USER_ID, ana):
            assert api.post(_members(wid), {"project_id": project, "user_id": user}).status_code == 200
    listed = api.get(_members(wid)).json()
    assert sorted((m["project_id"], m["user_id"]) for m in listed) == sorted(
        [(pid, USER_ID), (pid, ana), (other, USER_ID), (other, ana)])
    assert [m["manager"] for m in listed] == [False] * 4


def test_list_filters(sandbox: Sandbox, api, wid: int, pid: int, ana: int) -> None:
    other = sandbox.store.add_project(wid, "Other")
    sandbox.store.add_project_user(wid, pid, ana)
    sandbox.store.add_project_user(wid, other, USER_ID)
    by_project = api.get(_members(wid), params={"project_ids": f"{pid}"}).json()
    assert [m["project_id"] for m in by_project] == [pid]
    by_user = api.get(_members(wid), params={"user_id": str(USER_ID)}).json()
    assert [m["project_id"] for m in by_user] == [other]
    too_many = ",".join(str(n) for n in range(1, 202))
    answer = api.get(_members(wid), params={"project_ids": too_many})
    assert (answer.status_code, answer.json()) == (400, "project_ids cannot exceed 200 elements.")
    assert api.get(_members(wid), params={"user_id": "ana"}).status_code == 400
    assert api.get(_members(wid), params={"with_group_members": "true"}).status_code == 200


@pytest.mark.parametrize(("body_of", "text"), [
    (lambda pid, ana: {"project_id": 5, "user_id": ana}, "Invalid project_id"),
    (lambda pid, ana: {"user_id": ana}, "Invalid project_id"),
    (lambda pid, ana: {"project_id": pid, "user_id": 424242}, "Invalid user_id"),
    (lambda pid, ana: {"project_id": pid}, "Invalid user_id"),
    (lambda pid, ana: {"project_id": pid, "user_id": ana, "manager": "yes"}, "/manager expects a boolean"),
    (lambda pid, ana: {"project_id": pid, "user_id": ana, "rate": "5"}, "/rate expects an float64 or null"),
    (lambda pid, ana: {"project_id": pid, "user_id": ana, "rate": -5}, "rate must be a non-negative number"),
])
def test_bad_bodies_are_400(api, wid: int, pid: int, ana: int, body_of, text: str) -> None:
    answer = api.post(_members(wid), body_of(pid, ana))
    assert (answer.status_code, answer.json()) == (400, text)
    assert api.get(_members(wid)).json() == []


def test_a_user_is_a_member_of_a_project_once(api, wid: int, pid: int, ana: int) -> None:
    assert api.post(_members(wid), {"project_id": pid, "user_id": ana}).status_code == 200
    again = api.post(_members(wid), {"project_id": pid, "user_id": ana})
    assert (again.status_code, again.json()) == (400, "User is already a member of this project")


def test_put_merges_manager_and_rate(api, wid: int, pid: int, ana: int) -> None:
    member = api.post(_members(wid), {"project_id": pid, "user_id": ana, "rate": 50}).json()
    managed = api.put(f"{_members(wid)}/{member['id']}", {"manager": True}).json()
    assert (managed["manager"], managed["rate"]) == (True, 50)
    cleared = api.put(f"{_members(wid)}/{member['id']}", {"rate": None}).json()
    assert (cleared["manager"], cleared["rate"], cleared["rate_last_updated"]) == (True, None, None)
    assert api.put(f"{_members(wid)}/999", {"manager": True}).status_code == 404


def test_delete_removes_the_membership(api, wid: int, pid: int, ana: int) -> None:
    member = api.post(_members(wid), {"project_id": pid, "user_id": ana}).json()
    answer = api.delete(f"{_members(wid)}/{member['id']}")
    assert (answer.status_code, answer.content) == (200, b"")
    assert api.get(_members(wid)).json() == []
    assert api.delete(f"{_members(wid)}/{member['id']}").status_code == 404
    assert api.post(_members(wid), {"project_id": pid, "user_id": ana}).status_code == 200


def test_a_member_of_another_workspace_is_not_found(sandbox: Sandbox, api, wid: int, pid: int, ana: int) -> None:
    other = sandbox.store.ensure_workspace("Other")
    member = sandbox.store.add_project_user(wid, pid, ana)
    assert api.put(f"{_members(other)}/{member}", {"manager": True}).status_code == 404
    assert api.delete(f"{_members(other)}/{member}").status_code == 404


def test_bulk_patch_answers_per_id(sandbox: Sandbox, api, wid: int, pid: int, ana: int) -> None:
    ids = [sandbox.store.add_project_user(wid, pid, user) for user in (USER_ID, ana)]
    answer = api.patch(f"{_members(wid)}/{ids[0]},{ids[1]},999",
                       [{"op": "replace", "path": "/manager", "value": True},
                        {"op": "replace", "path": "/rate", "value": 75}])
    assert answer.status_code == 200
    assert answer.json()["success"] == ids
    assert [f["id"] for f in answer.json()["failure"]] == [999]
    assert [(m["manager"], m["rate"]) for m in api.get(_members(wid)).json()] == [(True, 75)] * 2


@pytest.mark.parametrize(("body", "text"), [
    ([], "No patchable fields defined"),
    ([{"op": "add", "path": "/rate", "value": 1}], "Operation not supported (add /rate)"),
    ([{"op": "move", "path": "/rate"}], "Invalid op: move"),
    ([{"op": "replace", "path": "/user_id", "value": 1}], "Path not found: /user_id"),
])
def test_bulk_patch_documented_errors(sandbox: Sandbox, api, wid: int, pid: int, body, text: str) -> None:
    member = sandbox.store.add_project_user(wid, pid, USER_ID)
    answer = api.patch(f"{_members(wid)}/{member}", body)
    assert (answer.status_code, answer.json()) == (400, text)


def test_bulk_patch_is_limited_to_100_ids(api, wid: int) -> None:
    ids = ",".join(str(n) for n in range(1, 102))
    answer = api.patch(f"{_members(wid)}/{ids}", [{"op": "replace", "path": "/manager", "value": True}])
    assert (answer.status_code, answer.json()) == (400, "PATCH request is limited to 100 entries at once")


def test_a_member_rate_is_402_on_a_free_workspace(sandbox: Sandbox, api, free_wid: int, ana: int) -> None:
    project = sandbox.store.add_project(free_wid, "P")
    answer = api.post(_members(free_wid), {"project_id": project, "user_id": ana, "rate": 10})
    assert (answer.status_code, answer.json()) == (402, "Project user rates available only for premium plans")
    member = api.post(_members(free_wid), {"project_id": project, "user_id": ana, "manager": True, "rate": None})
    assert member.status_code == 200
    assert api.put(f"{_members(free_wid)}/{member.json()['id']}", {"rate": 10}).status_code == 402
    patched = api.patch(f"{_members(free_wid)}/{member.json()['id']}",
                        [{"op": "replace", "path": "/rate", "value": 10}]).json()
    assert patched["failure"][0]["message"] == "Project user rates available only for premium plans"


def test_member_writes_need_an_admin(sandbox: Sandbox, api, wid: int, pid: int, ana: int) -> None:
    member = sandbox.store.add_project_user(wid, pid, ana)
    group = sandbox.store.add_group("G", [wid])
    project_group = sandbox.store.add_project_group(wid, pid, group)
    sandbox.configure(admin=False)
    assert api.post(_members(wid), {"project_id": pid, "user_id": USER_ID}).status_code == 403
    assert api.put(f"{_members(wid)}/{member}", {"manager": True}).status_code == 403
    assert api.patch(f"{_members(wid)}/{member}", [{"op": "replace", "path": "/manager", "value": True}]).status_code == 403
    assert api.delete(f"{_members(wid)}/{member}").status_code == 403
    assert api.post(f"/workspaces/{wid}/project_groups", {"project_id": pid, "group_id": group}).status_code == 403
    assert api.delete(f"/workspaces/{wid}/project_groups/{project_group}").status_code == 403
    assert len(api.get(_members(wid)).json()) == 1  # reads stay open


def test_deleting_a_project_deletes_its_members(sandbox: Sandbox, api, wid: int, pid: int, ana: int) -> None:
    keep = sandbox.store.add_project(wid, "Keep")
    sandbox.store.add_project_user(wid, pid, ana)
    kept = sandbox.store.add_project_user(wid, keep, ana)
    group = sandbox.store.add_group("G", [wid])
    sandbox.store.add_project_group(wid, pid, group)
    api.delete(f"/workspaces/{wid}/projects/{pid}", params={"teDeletionMode": "delete"})
    assert [m["id"] for m in api.get(_members(wid)).json()] == [kept]
    assert api.get(f"/workspaces/{wid}/project_groups").json() == []


# ------------------------------------------------------------------ project groups


def test_project_groups_create_list_delete(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    group = sandbox.store.add_group("Designers", [wid])
    created = api.post(f"/workspaces/{wid}/project_groups", {"project_id": pid, "group_id": group})
    assert created.status_code == 200
    shown = created.json()
    assert set(shown) == {"id", "project_id", "group_id", "workspace_id", "at"}
    assert (shown["project_id"], shown["group_id"], shown["workspace_id"]) == (pid, group, wid)
    assert api.get(f"/workspaces/{wid}/project_groups").json() == [shown]
    assert api.get(f"/workspaces/{wid}/project_groups", params={"project_ids": "1"}).json() == []
    again = api.post(f"/workspaces/{wid}/project_groups", {"project_id": pid, "group_id": group})
    assert (again.status_code, again.json()) == (400, "Group is already a member of this project")
    answer = api.delete(f"/workspaces/{wid}/project_groups/{shown['id']}")
    assert (answer.status_code, answer.content) == (200, b"")
    assert api.get(f"/workspaces/{wid}/project_groups").json() == []
    assert api.delete(f"/workspaces/{wid}/project_groups/{shown['id']}").status_code == 404


def test_a_project_group_needs_a_group_of_this_workspace(sandbox: Sandbox, api, wid: int, pid: int) -> None:
    other = sandbox.store.ensure_workspace("Other")
    elsewhere = sandbox.store.add_group("Elsewhere", [other])
    for group in (elsewhere, 424242, "x"):
        answer = api.post(f"/workspaces/{wid}/project_groups", {"project_id": pid, "group_id": group})
        assert (answer.status_code, answer.json()) == (400, "Invalid group_id")
    mine = sandbox.store.add_group("Mine", [wid])
    answer = api.post(f"/workspaces/{wid}/project_groups", {"project_id": 5, "group_id": mine})
    assert (answer.status_code, answer.json()) == (400, "Invalid project_id")
