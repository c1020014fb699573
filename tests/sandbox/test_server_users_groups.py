"""Workspace users (config, CLI flag, demo seed) and the rules of organization groups."""

from __future__ import annotations

import argparse

import pytest
import requests

from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.sandbox.cli_args import add_sandbox_arguments, config_from_args
from reconciler.sandbox.identity import ORGANIZATION_ID, USER_ID
from reconciler.sandbox.seed import DEMO_USERS

GROUPS = f"/organizations/{ORGANIZATION_ID}/groups"
RECORDED_USER_KEYS = {"id", "fullname", "email", "is_active", "is_admin", "inactive"}


def _get(sandbox: Sandbox, path: str) -> requests.Response:
    return requests.get(f"{sandbox.url}/api/v9{path}", auth=(sandbox.token, "api_token"), timeout=10)


def test_configured_users_are_workspace_users_in_the_recorded_shape() -> None:
    with Sandbox(seed_demo=False, users=("ana@acme.test", "Bo.Berg@acme.test")) as sandbox:
        wid = sandbox.store.ensure_workspace("Acme")
        users = _get(sandbox, f"/workspaces/{wid}/users").json()
    assert all(set(user) == RECORDED_USER_KEYS for user in users)
    assert [u["email"] for u in users] == ["sandbox@example.com", "ana@acme.test", "Bo.Berg@acme.test"]
    assert users[0]["id"] == USER_ID and users[0]["is_admin"] is True
    assert [u["is_admin"] for u in users[1:]] == [False, False]
    assert users[2]["fullname"] == "Bo Berg"
    assert len({u["id"] for u in users}) == 3


def test_user_ids_are_stable_across_runs_of_a_kept_database(tmp_path) -> None:
    database = str(tmp_path / "s.db")
    with Sandbox(db=database, seed_demo=False, users=("ana@acme.test",)) as first:
        wid = first.store.ensure_workspace("Acme")
        before = _get(first, f"/workspaces/{wid}/users").json()
    with Sandbox(db=database, seed_demo=False, users=("ANA@acme.test", "bo@acme.test")) as second:
        after = _get(second, f"/workspaces/{wid}/users").json()
    assert after[:2] == before and after[2]["email"] == "bo@acme.test"


def test_the_demo_seed_adds_three_users(demo_sandbox: Sandbox, demo_api) -> None:
    wid = demo_sandbox.store.demo_workspace_id
    emails = [u["email"] for u in demo_api.get(f"/workspaces/{wid}/users").json()]
    assert emails == ["sandbox@example.com", *DEMO_USERS]
    assert demo_api.get("/me/organizations").json()[0]["user_count"] == 4


def test_the_users_flag_reaches_the_config() -> None:
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    config = config_from_args(parser.parse_args(["--users", "ana@acme.test, bo@acme.test", "--no-admin"]))
    assert (config.users, config.admin) == (("ana@acme.test", "bo@acme.test"), False)
    assert config_from_args(parser.parse_args([])).users == ()


@pytest.mark.parametrize("flag", ["nobody", "a@b,a@b", "a b@c", ","])
def test_the_users_flag_refuses_bad_lists(flag: str) -> None:
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--users", flag])


@pytest.mark.parametrize("users", [("nobody",), ("a@b", "A@B"), ("a\nb@c",)])
def test_the_config_refuses_bad_users(users: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        SandboxConfig(users=users)


def test_a_non_admin_is_listed_as_such(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.configure(admin=False)
    (me,) = api.get(f"/workspaces/{wid}/users").json()
    assert me["is_admin"] is False
    assert api.get(f"/workspaces/{wid}/workspace_users").json()[0]["admin"] is False


# ------------------------------------------------------------------ groups


@pytest.fixture
def ana_bo(sandbox: Sandbox) -> list[int]:
    return sandbox.store.add_users(["ana@acme.test", "bo@acme.test"])


def test_group_members_are_workspace_users_with_their_names(api, wid: int, ana_bo: list[int]) -> None:
    created = api.post(GROUPS, {"name": "Designers", "users": ana_bo, "workspaces": [wid]})
    assert created.status_code == 200
    assert [(u["user_id"], u["name"]) for u in created.json()["users"]] == [
        (ana_bo[0], "Ana"), (ana_bo[1], "Bo")]
    listed = api.get(GROUPS).json()
    assert listed == [created.json()]


def test_a_group_member_must_be_a_user_of_the_organization(api, wid: int) -> None:
    answer = api.post(GROUPS, {"name": "G", "users": [USER_ID, 424242], "workspaces": [wid]})
    assert (answer.status_code, answer.json()) == (
        400, f"User 424242 not exists in the organization {ORGANIZATION_ID}")
    assert api.get(GROUPS).json() == []


def test_a_group_workspace_must_be_in_the_organization(api, wid: int) -> None:
    answer = api.post(GROUPS, {"name": "G", "workspaces": [wid, 99]})
    assert (answer.status_code, answer.json()) == (
        400, f"Workspace 99 not exists in the organization {ORGANIZATION_ID}")


@pytest.mark.parametrize(("name", "text"), [
    ("", "Group name must be present"), ("   ", "Group name must be present"),
    ("x" * 201, "Group name too long, maximum length is 200"),
])
def test_group_names_follow_the_documented_rules(api, wid: int, name: str, text: str) -> None:
    answer = api.post(GROUPS, {"name": name, "workspaces": [wid]})
    assert (answer.status_code, answer.json()) == (400, text)
    assert api.post(GROUPS, {"name": "x" * 200, "workspaces": [wid]}).status_code == 200


def test_group_names_are_unique_in_the_organization_case_insensitively(
    sandbox: Sandbox, api, wid: int
) -> None:
    other = sandbox.store.ensure_workspace("Other")
    first = api.post(GROUPS, {"name": "Designers", "workspaces": [wid]}).json()
    again = api.post(GROUPS, {"name": "DESIGNERS", "workspaces": [other]})
    assert (again.status_code, again.json()) == (400, "Name has already been taken")
    second = api.post(GROUPS, {"name": "Devs", "workspaces": [wid]}).json()
    renamed = api.put(f"{GROUPS}/{second['group_id']}", {"name": "designers", "workspaces": [wid]})
    assert renamed.status_code == 400
    assert api.put(f"{GROUPS}/{first['group_id']}", {"name": "designers", "workspaces": [wid]}).status_code == 200


def test_put_replaces_name_users_and_workspaces(sandbox: Sandbox, api, wid: int, ana_bo: list[int]) -> None:
    other = sandbox.store.ensure_workspace("Other")
    group = api.post(GROUPS, {"name": "G", "users": ana_bo, "workspaces": [wid]}).json()["group_id"]
    replaced = api.put(f"{GROUPS}/{group}", {"name": "H", "users": [ana_bo[1]], "workspaces": [other]}).json()
    assert (replaced["name"], [u["user_id"] for u in replaced["users"]], replaced["workspaces"]) == (
        "H", [ana_bo[1]], [other])
    assert api.get(f"/organizations/{ORGANIZATION_ID}/workspaces/{wid}/groups").json() == []


def test_unknown_group_is_404_with_the_documented_text(api) -> None:
    answer = api.put(f"{GROUPS}/7", {"name": "X"})
    assert (answer.status_code, answer.json()) == (404, "Invalid group ID.")


def test_groups_are_402_for_a_free_workspace(api, free_wid: int, wid: int) -> None:
    answer = api.post(GROUPS, {"name": "G", "workspaces": [free_wid]})
    assert (answer.status_code, answer.json()) == (402, "User groups available only for premium plans")
    group = api.post(GROUPS, {"name": "G", "workspaces": [wid]}).json()["group_id"]
    assert api.put(f"{GROUPS}/{group}", {"name": "G", "workspaces": [wid, free_wid]}).status_code == 402
    assert api.post(f"/workspaces/{free_wid}/groups", {"name": "W"}).status_code == 402


def test_groups_are_402_in_a_free_organization() -> None:
    with Sandbox(seed_demo=False, tier="free") as sandbox:
        wid = sandbox.store.ensure_workspace("Only")
        answer = requests.post(f"{sandbox.url}/api/v9{GROUPS}", json={"name": "G", "workspaces": [wid]},
                               auth=(sandbox.token, "api_token"), timeout=10)
        assert answer.status_code == 402


def test_group_writes_need_an_admin(sandbox: Sandbox, api, wid: int) -> None:
    group = api.post(GROUPS, {"name": "G", "workspaces": [wid]}).json()["group_id"]
    sandbox.configure(admin=False)
    assert api.post(GROUPS, {"name": "H", "workspaces": [wid]}).status_code == 403
    assert api.put(f"{GROUPS}/{group}", {"name": "H", "workspaces": [wid]}).status_code == 403
    assert api.patch(f"{GROUPS}/{group}", [{"op": "replace", "path": "/name", "value": "H"}]).status_code == 403
    assert api.delete(f"{GROUPS}/{group}").status_code == 403
    assert api.post(f"/workspaces/{wid}/groups", {"name": "W"}).status_code == 403
    assert [g["name"] for g in api.get(GROUPS).json()] == ["G"]


def test_deleting_a_group_removes_its_project_groups(sandbox: Sandbox, api, wid: int) -> None:
    project = sandbox.store.add_project(wid, "P")
    keep = api.post(GROUPS, {"name": "Keep", "workspaces": [wid]}).json()["group_id"]
    gone = api.post(GROUPS, {"name": "Gone", "workspaces": [wid]}).json()["group_id"]
    for group in (keep, gone):
        assert api.post(f"/workspaces/{wid}/project_groups",
                        {"project_id": project, "group_id": group}).status_code == 200
    assert api.delete(f"{GROUPS}/{gone}").status_code == 200
    assert [pg["group_id"] for pg in api.get(f"/workspaces/{wid}/project_groups").json()] == [keep]


def test_the_documented_list_filters(sandbox: Sandbox, api, wid: int) -> None:
    other = sandbox.store.ensure_workspace("Other")
    sandbox.store.add_group("Designers", [wid])
    sandbox.store.add_group("Developers", [other])
    names = lambda **query: [g["name"] for g in api.get(GROUPS, params=query).json()]  # noqa: E731
    assert names() == ["Designers", "Developers"]
    assert names(name="sign") == ["Designers"]
    assert names(workspace=str(other)) == ["Developers"]
    assert api.get(GROUPS, params={"workspace": "x"}).status_code == 400


def test_time_entries_move_to_a_task_in_bulk(sandbox: Sandbox, api, wid: int) -> None:
    project = sandbox.store.add_project(wid, "P")
    task = sandbox.store.add_task(wid, project, "T")
    entry = sandbox.store.add_time_entry(wid, project, 60)
    outcome = api.patch(f"/workspaces/{wid}/time_entries/{entry}",
                        [{"op": "replace", "path": "/task_id", "value": task}]).json()
    assert outcome["success"] == [entry]
    (shown,) = sandbox.store.time_entries(wid)
    assert shown["task_id"] == task
