"""The documented endpoints third-party clients call: /me listings, PUT /me, /me/logged,
workspace_users, bulk tag delete, clients/data, organization and workspace groups."""

from __future__ import annotations

import time

import pytest

from reconciler.sandbox import Sandbox
from reconciler.sandbox.identity import ORGANIZATION_ID, USER_ID
from tests.sandbox.conftest import Api

RECORDED_PUT_ME_KEYS = {
    "id", "api_token", "email", "fullname", "timezone", "toggl_accounts_id",
    "toggl_accounts_updated_at", "default_workspace_id", "beginning_of_week", "image_url",
    "created_at", "updated_at", "openid_email", "openid_enabled", "country_id", "has_password",
    "at",
}


# ------------------------------------------------------------------ /me listings


def test_me_projects_lists_active_projects_of_every_workspace(sandbox: Sandbox, api, wid: int) -> None:
    other = sandbox.store.ensure_workspace("Other")
    active = sandbox.store.add_project(wid, "Site")
    archived = sandbox.store.add_project(wid, "Old", active=False)
    elsewhere = sandbox.store.add_project(other, "Elsewhere")
    listed = api.get("/me/projects")
    assert listed.status_code == 200
    assert {p["id"] for p in listed.json()} == {active, elsewhere}
    with_archived = api.get("/me/projects", params={"include_archived": "true"}).json()
    assert {p["id"] for p in with_archived} == {active, archived, elsewhere}
    assert "permissions" in with_archived[0] and "workspace_id" in with_archived[0]


def test_me_projects_refuses_a_bad_include_archived_with_the_documented_text(api) -> None:
    response = api.get("/me/projects", params={"include_archived": "maybe"})
    assert (response.status_code, response.json()) == (400, "Invalid include_archived")


def test_me_projects_paginated_resumes_from_start_project_id(sandbox: Sandbox, api, wid: int) -> None:
    ids = [sandbox.store.add_project(wid, f"P{n}") for n in range(5)]
    first = api.get("/me/projects/paginated", params={"per_page": "2"}).json()
    assert [p["id"] for p in first] == ids[:2]
    rest = api.get("/me/projects/paginated",
                   params={"per_page": "10", "start_project_id": str(ids[2])}).json()
    assert [p["id"] for p in rest] == ids[2:]


def test_me_clients_and_tags_list_every_workspace_and_since_shows_deleted(
    sandbox: Sandbox, api, wid: int
) -> None:
    client = sandbox.store.add_client(wid, "Acme", archived=True)
    tag = sandbox.store.add_tag(wid, "urgent")
    since = int(time.time()) - 1
    assert [c["id"] for c in api.get("/me/clients").json()] == [client]
    assert api.get("/me/tags").json()[0]["id"] == tag
    api.delete(f"/workspaces/{wid}/tags/{tag}")
    assert api.get("/me/tags").json() == []
    changed = api.get("/me/tags", params={"since": str(since)}).json()
    assert changed[0]["id"] == tag and changed[0]["deleted_at"].endswith("Z")


def test_me_logged_answers_200_with_nothing(api) -> None:
    response = api.get("/me/logged")
    assert (response.status_code, response.content) == (200, b"")


def test_me_organizations_lists_the_organization(api) -> None:
    organizations = api.get("/me/organizations").json()
    assert [o["id"] for o in organizations] == [ORGANIZATION_ID]


# ------------------------------------------------------------------ PUT /me


def test_put_me_changes_the_fields_sent_with_the_recorded_answer(api, wid: int) -> None:
    body = {"beginning_of_week": 0, "country_id": 40, "fullname": "Ada L", "timezone": "Europe/London"}
    response = api.put("/me", body)
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == RECORDED_PUT_ME_KEYS
    assert {key: answer[key] for key in body} == body
    me = api.get("/me").json()
    assert (me["fullname"], me["timezone"], me["beginning_of_week"]) == ("Ada L", "Europe/London", 0)


def test_put_me_sets_the_default_workspace(sandbox: Sandbox, api, wid: int) -> None:
    other = sandbox.store.ensure_workspace("Second")
    api.put("/me", {"default_workspace_id": other})
    assert api.get("/me").json()["default_workspace_id"] == other


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"beginning_of_week": 7}, "Invalid beginning_of_week"),
        ({"timezone": "Mars/Olympus"}, "Invalid timezone"),
        ({"email": "not-an-email"}, "Invalid email"),
        ({"fullname": "  "}, "Invalid fullname"),
        ({"default_workspace_id": 1}, "Invalid default_workspace_id"),
        ({"country_id": "x"}, "Invalid country_id"),
        ({"password": "secret123"}, "Current password must be present to change password"),
        ({"password": "abc", "current_password": "x"}, "Password should be at least 6 characters"),
    ],
)
def test_put_me_refuses_bad_fields_with_the_documented_texts(api, body: dict, message: str) -> None:
    response = api.put("/me", body)
    assert (response.status_code, response.json()) == (400, message)
    assert api.get("/me").json()["fullname"] == "Sandbox User"  # nothing changed


# ------------------------------------------------------------------ workspace users


def test_workspace_users_have_the_recorded_keys(api, wid: int) -> None:
    users = api.get(f"/workspaces/{wid}/users").json()
    assert users == [{"id": USER_ID, "fullname": "Sandbox User", "email": "sandbox@example.com",
                      "is_active": True, "is_admin": True, "inactive": False}]


def test_workspace_users_memberships_name_user_workspace_and_groups(sandbox: Sandbox, api, wid: int) -> None:
    group = api.post(f"/organizations/{ORGANIZATION_ID}/groups",
                     {"name": "Team", "users": [USER_ID], "workspaces": [wid]}).json()
    memberships = api.get(f"/workspaces/{wid}/workspace_users").json()
    assert len(memberships) == 1
    membership = memberships[0]
    assert (membership["user_id"], membership["workspace_id"], membership["admin"]) == (USER_ID, wid, True)
    assert membership["group_ids"] == [group["group_id"]]


# ------------------------------------------------------------------ bulk tag delete, clients/data


def test_bulk_tag_delete_deletes_every_tag_named(sandbox: Sandbox, api, wid: int) -> None:
    ids = [sandbox.store.add_tag(wid, name) for name in ("a", "b", "c")]
    response = api.patch(f"/workspaces/{wid}/tags", ids[:2])
    assert response.status_code == 200 and isinstance(response.json(), str)
    assert [t["id"] for t in api.get(f"/workspaces/{wid}/tags").json()] == [ids[2]]


def test_bulk_tag_delete_is_all_or_nothing_with_the_documented_text(sandbox: Sandbox, api, wid: int) -> None:
    other = sandbox.store.ensure_workspace("Other")
    mine = sandbox.store.add_tag(wid, "mine")
    theirs = sandbox.store.add_tag(other, "theirs")
    response = api.patch(f"/workspaces/{wid}/tags", {"ids": [mine, theirs]})
    assert (response.status_code, response.json()) == (400, "Some tag IDs do not belong to workspace.")
    assert [t["id"] for t in api.get(f"/workspaces/{wid}/tags").json()] == [mine]


def test_clients_data_answers_the_clients_asked_for(sandbox: Sandbox, api, wid: int) -> None:
    acme = sandbox.store.add_client(wid, "Acme", archived=True)
    sandbox.store.add_client(wid, "Globex")
    answer = api.post(f"/workspaces/{wid}/clients/data", [acme, 99999999])
    assert answer.status_code == 200
    assert [(c["id"], c["archived"]) for c in answer.json()] == [(acme, True)]
    assert api.post(f"/workspaces/{wid}/clients/data", {"ids": [acme]}).status_code == 400


# ------------------------------------------------------------------ groups


def test_organization_groups_crud(api, wid: int) -> None:
    base = f"/organizations/{ORGANIZATION_ID}/groups"
    created = api.post(base, {"name": "Cool Kids", "users": [USER_ID], "workspaces": [wid]}).json()
    assert set(created) == {"group_id", "name", "at", "workspaces", "users"}
    assert created["users"] == [{"user_id": USER_ID, "name": "Sandbox User", "avatar_url": "", "joined": True}]
    assert api.post(base, {"name": "cool kids"}).json() == "Name has already been taken"  # documented
    group = created["group_id"]
    renamed = api.put(f"{base}/{group}", {"name": "Crew", "workspaces": [wid]}).json()
    assert (renamed["name"], renamed["users"]) == ("Crew", [])
    patched = api.patch(f"{base}/{group}", [{"op": "add", "path": "/users", "value": [USER_ID]}]).json()
    assert [u["user_id"] for u in patched["users"]] == [USER_ID]
    in_workspace = api.get(f"/organizations/{ORGANIZATION_ID}/workspaces/{wid}/groups").json()
    assert [g["group_id"] for g in in_workspace] == [group]
    assert api.delete(f"{base}/{group}").status_code == 200
    assert api.get(base).json() == []


def test_groups_of_another_organization_are_forbidden(api) -> None:
    assert api.get("/organizations/1/groups").status_code == 403


def test_workspace_groups_crud(sandbox: Sandbox, api, wid: int) -> None:
    other = sandbox.store.ensure_workspace("Other")
    created = api.post(f"/workspaces/{wid}/groups", {"name": "Designers"}).json()
    assert set(created) == {"id", "wid", "name", "at"} and created["wid"] == wid
    renamed = api.put(f"/workspaces/{wid}/groups/{created['id']}", {"name": "Design"}).json()
    assert renamed["name"] == "Design"
    assert [g["name"] for g in api.get(f"/workspaces/{wid}/groups").json()] == ["Design"]
    assert api.get(f"/workspaces/{other}/groups").json() == []
    assert api.put(f"/workspaces/{other}/groups/{created['id']}", {"name": "X"}).status_code == 404
    assert api.delete(f"/workspaces/{wid}/groups/{created['id']}").status_code == 200
    assert api.get(f"/workspaces/{wid}/groups").json() == []


@pytest.mark.parametrize(
    "body_of",
    [lambda ids: ids, lambda ids: {"tag_ids": ids},
     lambda ids: [{"op": "remove", "path": f"/{i}"} for i in ids],
     lambda ids: [{"op": "delete", "path": "/tags", "value": ids}]],
)
def test_bulk_tag_delete_takes_every_body_form_a_client_may_send(
    sandbox: Sandbox, api, wid: int, body_of
) -> None:
    ids = [sandbox.store.add_tag(wid, name) for name in ("a", "b")]
    assert api.patch(f"/workspaces/{wid}/tags", body_of(ids)).status_code == 200
    assert api.get(f"/workspaces/{wid}/tags").json() == []


def test_bulk_tag_delete_refuses_a_body_without_ids(api, wid: int) -> None:
    assert api.patch(f"/workspaces/{wid}/tags", [{"op": "remove", "path": "/tags"}]).status_code == 400


def test_creating_a_workspace_in_a_paid_organization(sandbox: Sandbox, api, wid: int) -> None:
    created = api.post(f"/organizations/{ORGANIZATION_ID}/workspaces", {"name": "Second"})
    assert created.status_code == 200
    assert created.json()["name"] == "Second" and created.json()["organization_id"] == ORGANIZATION_ID
    assert "Second" in [w["name"] for w in api.get("/me/workspaces").json()]
    again = api.post(f"/organizations/{ORGANIZATION_ID}/workspaces", {"name": "Second"})
    assert again.status_code == 400


def test_creating_a_workspace_is_refused_in_a_free_or_foreign_organization() -> None:
    """Recorded (go-api-libs): 403 in a free organization (is_multi_workspace_enabled false)."""
    with Sandbox(seed_demo=False, tier="free") as sandbox:
        api = Api(sandbox)
        refused = api.post(f"/organizations/{ORGANIZATION_ID}/workspaces", {"name": "Second"})
        organization = api.get(f"/organizations/{ORGANIZATION_ID}").json()
    assert (refused.status_code, refused.json()) == (403, "User does not have access to this resource")
    assert organization["is_multi_workspace_enabled"] is False
