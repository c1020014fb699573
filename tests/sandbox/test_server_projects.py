"""Projects over HTTP: the archived-on-create quirk, pagination, colours, paid fields,
uniqueness per client, delete modes, `since`, and the bulk JSON-Patch edit."""

from __future__ import annotations

import time

import pytest

from reconciler.sandbox import Sandbox

RECORDED_CREATE_KEYS = {
    "id", "workspace_id", "client_id", "name", "is_private", "active", "at",
    "server_deleted_at", "color", "billable", "template", "auto_estimates", "estimated_hours",
    "estimated_seconds", "rate", "rate_last_updated", "currency", "recurring", "template_id",
    "recurring_parameters", "fixed_fee", "actual_hours", "actual_seconds", "start_date", "wid",
    "cid",
}


def test_created_without_active_true_comes_back_archived(api, wid: int) -> None:
    response = api.post(f"/workspaces/{wid}/projects", {"name": "Created project via API"})
    created = response.json()
    assert response.status_code == 200
    assert (created["active"], created["is_private"], created["color"]) == (
        False, True, "#0b83d9")
    assert created["start_date"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert "created_at" not in created and "status" not in created
    assert RECORDED_CREATE_KEYS <= set(created)
    assert created["actual_seconds"] is None


def test_created_with_active_true_is_active(api, wid: int) -> None:
    created = api.post(f"/workspaces/{wid}/projects", {"name": "P", "active": True}).json()
    assert created["active"] is True
    fetched = api.get(f"/workspaces/{wid}/projects/{created['id']}").json()
    assert (fetched["status"], fetched["at"][-6:]) == ("active", "+00:00")


@pytest.fixture
def many(sandbox: Sandbox, wid: int) -> list[int]:
    rows = [{"name": f"Project {n:03d}", "active": n % 3 != 0} for n in range(450)]
    return sandbox.store.bulk_add_projects(wid, rows)


@pytest.mark.parametrize(
    ("query", "page_size", "count"),
    [
        ({}, 151, 151),
        ({"page": "3"}, 151, 148),
        ({"per_page": "200", "page": "3"}, 200, 50),
        ({"per_page": "1000"}, 200, 200),  # clamped to the documented maximum
        ({"per_page": "50", "page": "10"}, 50, 0),
        ({"active": "true", "per_page": "200", "page": "2"}, 200, 100),
        ({"active": "false", "per_page": "200"}, 200, 150),
    ],
)
def test_pagination(api, wid: int, many: list[int], query: dict, page_size: int,
                    count: int) -> None:
    response = api.get(f"/workspaces/{wid}/projects", params=query)
    assert response.status_code == 200
    assert response.headers["X-Page-Size"] == str(page_size)
    assert response.headers["X-Page"] == query.get("page", "1")
    assert "X-Total-Count" not in response.headers
    assert len(response.json()) == count


def test_pages_are_sorted_by_name_and_disjoint(api, wid: int, many: list[int]) -> None:
    pages = [api.get(f"/workspaces/{wid}/projects", params={"page": str(n)}).json()
             for n in (1, 2, 3)]
    names = [project["name"] for page in pages for project in page]
    assert names == sorted(names) and len(set(names)) == 450


@pytest.mark.parametrize("query", [{"page": "0"}, {"per_page": "-1"}, {"page": "x"},
                                   {"active": "yes"}, {"since": "yesterday"}])
def test_bad_list_parameters_are_400(api, wid: int, query: dict) -> None:
    assert api.get(f"/workspaces/{wid}/projects", params=query).status_code == 400


def test_actual_seconds_sum_time_entries_and_seeded_seconds(
    sandbox: Sandbox, api, wid: int
) -> None:
    project = sandbox.store.add_project(wid, "Tracked", actual_seconds=100)
    sandbox.store.add_time_entry(wid, project, 7200)
    sandbox.store.add_time_entry(wid, project, 50)
    (listed,) = api.get(f"/workspaces/{wid}/projects").json()
    assert (listed["actual_seconds"], listed["actual_hours"]) == (7350, 2)


@pytest.mark.parametrize(
    ("tier", "color", "status"),
    [
        ("premium", "#123abc", 200),
        ("premium", "#FFFFFF", 400),
        ("premium", "red", 400),
        ("premium", "#12345", 400),
        ("free", "#d94182", 200),
        ("free", "#123abc", 402),
        ("free", "#FFFFFF", 402),  # recorded: the palette check comes first
        ("free", "#zzzzzz", 400),
    ],
)
def test_colour_rules(sandbox: Sandbox, api, tier: str, color: str, status: int) -> None:
    workspace = sandbox.store.ensure_workspace(f"W {tier}", tier=tier)
    project = sandbox.store.add_project(workspace, "P")
    response = api.put(f"/workspaces/{workspace}/projects/{project}", {"color": color})
    assert response.status_code == status
    if status == 402:
        assert response.json() == "Custom project colors available only for premium plans"


@pytest.mark.parametrize(
    "field_value",
    [("billable", True), ("rate", 50), ("estimated_hours", 10), ("currency", "EUR"),
     ("auto_estimates", True), ("template", True), ("fixed_fee", 100)],
)
def test_paid_fields_need_a_paid_plan(api, free_wid: int, field_value: tuple) -> None:
    field, value = field_value
    body = {"name": "P", "active": True, field: value}
    assert api.post(f"/workspaces/{free_wid}/projects", body).status_code == 402


def test_paid_fields_on_starter(sandbox: Sandbox, api) -> None:
    workspace = sandbox.store.ensure_workspace("Starter", tier="starter")
    body = {"name": "P", "active": True, "billable": True, "rate": 50.5, "estimated_hours": 3}
    created = api.post(f"/workspaces/{workspace}/projects", body).json()
    assert (created["billable"], created["rate"], created["estimated_seconds"]) == (
        True, 50.5, 10800)


def test_names_are_unique_per_client_archived_included(sandbox: Sandbox, api, wid: int) -> None:
    client = sandbox.store.add_client(wid, "Acme")
    sandbox.store.add_project(wid, "Site", active=False)
    assert api.post(f"/workspaces/{wid}/projects", {"name": "SITE"}).status_code == 400
    other = api.post(f"/workspaces/{wid}/projects", {"name": "Site", "client_id": client})
    assert other.status_code == 200
    moved = api.put(f"/workspaces/{wid}/projects/{other.json()['id']}", {"client_id": None})
    assert (moved.status_code, moved.json()) == (400, "Name has already been taken")


def test_unknown_client_is_400(api, wid: int) -> None:
    response = api.post(f"/workspaces/{wid}/projects", {"name": "P", "client_id": 64999999})
    assert response.status_code == 400


def test_put_is_a_partial_merge(sandbox: Sandbox, api, wid: int) -> None:
    project = sandbox.store.add_project(wid, "Site", color="#d94182", is_private=False)
    updated = api.put(f"/workspaces/{wid}/projects/{project}", {"name": "Updated via PUT"})
    assert (updated.json()["name"], updated.json()["color"]) == ("Updated via PUT", "#d94182")
    assert updated.json()["is_private"] is False
    assert updated.json()["actual_seconds"] is None  # recorded: null outside lists


@pytest.mark.parametrize(("mode", "remaining_entries"), [("unassign", 1), ("delete", 0)])
def test_delete_modes(sandbox: Sandbox, api, wid: int, mode: str, remaining_entries: int) -> None:
    project = sandbox.store.add_project(wid, "Site")
    sandbox.store.add_time_entry(wid, project, 60)
    response = api.delete(f"/workspaces/{wid}/projects/{project}",
                          params={"teDeletionMode": mode})
    assert (response.status_code, response.json()) == (200, project)
    entries = sandbox.store.time_entries(wid)
    assert len(entries) == remaining_entries
    assert all(entry["project_id"] is None for entry in entries)
    assert api.get(f"/workspaces/{wid}/projects/{project}").status_code == 404


def test_delete_without_mode_is_accepted_and_keeps_the_entries(
    sandbox: Sandbox, api, wid: int
) -> None:
    """Recorded (toggl_rb, Apr 2024): 200 and the bare id. The entries are kept, unassigned
    (our documented default: it never loses tracked time)."""
    project = sandbox.store.add_project(wid, "Site")
    sandbox.store.add_time_entry(wid, project, 600)
    response = api.delete(f"/workspaces/{wid}/projects/{project}")
    assert (response.status_code, response.json()) == (200, project)
    entries = sandbox.store.time_entries(wid)
    assert len(entries) == 1 and entries[0]["project_id"] is None


def test_delete_without_mode_follows_the_configured_default(
    sandbox: Sandbox, api, wid: int
) -> None:
    sandbox.configure(default_te_deletion_mode="delete")
    project = sandbox.store.add_project(wid, "Site")
    sandbox.store.add_time_entry(wid, project, 600)
    assert api.delete(f"/workspaces/{wid}/projects/{project}").status_code == 200
    assert sandbox.store.time_entries(wid) == []


def test_delete_without_mode_is_refused_when_required(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.configure(require_te_deletion_mode=True)
    project = sandbox.store.add_project(wid, "Site")
    refused = api.delete(f"/workspaces/{wid}/projects/{project}")
    assert refused.status_code == 400 and "teDeletionMode" in refused.json()
    assert api.delete(f"/workspaces/{wid}/projects/{project}",
                      params={"teDeletionMode": "unassign"}).json() == project


def test_since_lists_changes_including_deleted(sandbox: Sandbox, api, wid: int) -> None:
    kept = sandbox.store.add_project(wid, "Kept")
    gone = sandbox.store.add_project(wid, "Gone")
    since = int(time.time()) - 1
    api.delete(f"/workspaces/{wid}/projects/{gone}", params={"teDeletionMode": "delete"})
    changed = api.get(f"/workspaces/{wid}/projects", params={"since": str(since)}).json()
    by_id = {project["id"]: project for project in changed}
    assert by_id[gone]["server_deleted_at"] is not None
    assert by_id[kept]["server_deleted_at"] is None
    future = api.get(f"/workspaces/{wid}/projects", params={"since": str(since + 3600)})
    assert future.json() == []


def test_bulk_patch_reports_per_id_success_and_failure(sandbox: Sandbox, api, wid: int) -> None:
    first = sandbox.store.add_project(wid, "One")
    second = sandbox.store.add_project(wid, "Two")
    operations = [{"op": "replace", "path": "/active", "value": False},
                  {"op": "replace", "path": "/color", "value": "#000000"}]
    response = api.patch(f"/workspaces/{wid}/projects/{first},{second},201999999", operations)
    assert response.status_code == 200
    assert response.json()["success"] == [first, second]
    assert [failure["id"] for failure in response.json()["failure"]] == [201999999]
    assert {p["color"] for p in sandbox.store.projects(wid)} == {"#000000"}


def test_bulk_patch_invalid_value_fails_only_that_id(sandbox: Sandbox, api, wid: int) -> None:
    client = sandbox.store.add_client(wid, "Acme")
    sandbox.store.add_project(wid, "Same", client_id=client)
    clash = sandbox.store.add_project(wid, "Same")
    fine = sandbox.store.add_project(wid, "Other")
    operations = [{"op": "replace", "path": "/client_id", "value": client}]
    result = api.patch(f"/workspaces/{wid}/projects/{clash},{fine}", operations).json()
    assert result["success"] == [fine]
    assert result["failure"] == [{"id": clash, "message": "Name has already been taken"}]


@pytest.mark.parametrize(
    ("check", "success"), [(True, False), (False, True)]
)
def test_bulk_patch_free_palette_is_configurable(
    sandbox: Sandbox, api, free_wid: int, check: bool, success: bool
) -> None:
    sandbox.configure(bulk_patch_checks_free_palette=check)
    project = sandbox.store.add_project(free_wid, "P")
    operations = [{"op": "replace", "path": "/color", "value": "#000000"}]
    result = api.patch(f"/workspaces/{free_wid}/projects/{project}", operations).json()
    assert (result["success"] == [project]) is success


@pytest.mark.parametrize(
    "operations",
    [[], [{"op": "replace", "path": "/nope", "value": 1}], [{"op": "move", "path": "/active"}],
     {"op": "replace"}, [{"op": "replace", "path": "/active"}]],
)
def test_bulk_patch_malformed_is_400(sandbox: Sandbox, api, wid: int, operations: object) -> None:
    project = sandbox.store.add_project(wid, "P")
    assert api.patch(f"/workspaces/{wid}/projects/{project}", operations).status_code == 400


def test_bulk_patch_allows_at_most_100_ids(api, wid: int) -> None:
    ids = ",".join(str(201000000 + n) for n in range(101))
    operations = [{"op": "replace", "path": "/active", "value": True}]
    assert api.patch(f"/workspaces/{wid}/projects/{ids}", operations).status_code == 400


def test_name_filter_lists_only_matching_projects(sandbox: Sandbox, api, wid: int) -> None:
    """Recorded (toggl_rb): `?name=A project` listed "A project" and not "A Different
    Project". Contains, case-insensitive by default; "exact" when configured."""
    for name in ("A project", "A Different Project", "Another project here"):
        sandbox.store.add_project(wid, name)
    names = [p["name"] for p in api.get(f"/workspaces/{wid}/projects",
                                        params={"name": "a PROJECT"}).json()]
    assert names == ["A project"]
    wider = [p["name"] for p in api.get(f"/workspaces/{wid}/projects",
                                        params={"name": "project"}).json()]
    assert len(wider) == 3
    sandbox.configure(project_name_filter="exact")
    exact = [p["name"] for p in api.get(f"/workspaces/{wid}/projects",
                                        params={"name": "project"}).json()]
    assert exact == []


def test_projects_carry_permissions(sandbox: Sandbox, api, wid: int) -> None:
    project = sandbox.store.add_project(wid, "Site")
    assert api.get(f"/workspaces/{wid}/projects/{project}").json()["permissions"] is None
    assert "permissions" in api.get(f"/workspaces/{wid}/projects").json()[0]
