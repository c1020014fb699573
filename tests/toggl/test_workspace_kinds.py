"""The client's calls for the workspace kinds (settings, users, groups, members, tasks,
organizations): paths, bodies, answer shapes and the narrow error paths, over `responses`."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
import requests
import responses
from responses import matchers

from reconciler.toggl import (
    AmbiguousWriteError,
    AuthError,
    BulkResult,
    PaidPlanRequiredError,
    TogglClient,
)
from reconciler.toggl.errors import AnswerTooLargeError, ListingTooSlowError, UnexpectedResponseError
from .fakes import API, TOKEN

WS = f"{API}/workspaces/1"
ORG = f"{API}/organizations/7"
Mock = responses.RequestsMock


def sent_json(mock: Mock, index: int = -1) -> Any:
    return json.loads(mock.calls[index].request.body)


def query(mock: Mock, index: int = -1) -> dict[str, str]:
    return dict(mock.calls[index].request.params)


# ---------------------------------------------------------------- workspace and organizations


def test_workspace_settings_are_the_managed_keys_present(mocked: Mock, client: TogglClient) -> None:
    mocked.get(WS, json={"id": 1, "name": "A", "organization_id": 7, "rounding": 1,
                         "default_currency": "EUR", "api_token": "not-a-setting", "logo_url": None})
    workspace = client.get_workspace(1)
    assert workspace.settings == {"rounding": 1, "default_currency": "EUR"}
    assert workspace.organization_id == 7


def test_update_workspace_settings_sends_only_the_given_keys(mocked: Mock, client: TogglClient) -> None:
    mocked.put(WS, json={"id": 1, "name": "A", "rounding_minutes": 15})
    assert client.update_workspace_settings(1, {"rounding_minutes": 15}).settings == {"rounding_minutes": 15}
    assert sent_json(mocked) == {"rounding_minutes": 15}
    client.update_workspace_settings(1, {"rounding": -1}, name="A")
    assert sent_json(mocked) == {"name": "A", "rounding": -1}


def test_update_workspace_settings_402_names_the_plan_error(mocked: Mock, client: TogglClient) -> None:
    mocked.put(WS, status=402, json="Rounding is a paid feature")
    with pytest.raises(PaidPlanRequiredError):
        client.update_workspace_settings(1, {"rounding": 1})


def test_create_workspace_posts_the_name_to_the_organization(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{ORG}/workspaces", json={"id": 9, "name": "New", "organization_id": 7})
    created = client.create_workspace(7, "New")
    assert (created.id, created.organization_id) == (9, 7)
    assert sent_json(mocked) == {"name": "New"}


def test_create_workspace_refused_in_a_free_organization_is_an_auth_error(mocked: Mock, client: TogglClient) -> None:
    # Recorded (go-api-libs, Dec 2024): 403 with this text in a Free organization.
    mocked.post(f"{ORG}/workspaces", status=403, body="User does not have access to this resource")
    with pytest.raises(AuthError, match="does not have access"):
        client.create_workspace(7, "New")
    assert len(mocked.calls) == 1  # a refusal is final: never retried


def test_create_workspace_with_no_answer_is_ambiguous_and_not_repeated(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{ORG}/workspaces", body=requests.ConnectionError("connection reset by peer"))
    with pytest.raises(AmbiguousWriteError):
        client.create_workspace(7, "New")
    assert len(mocked.calls) == 1


def test_list_organizations_and_their_plan(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{API}/me/organizations", json=[
        {"id": 7, "name": "Acme Inc", "pricing_plan_name": "Free", "admin": True},
        {"id": 8, "name": "Globex", "pricing_plan_name": "Starter"},
        {"id": 9, "name": "Initech", "pricing_plan_name": "Premium (annual)"},
        {"id": 10, "name": "Umbrella", "pricing_plan_name": "", "pricing_plan_enterprise": True},
        {"id": 11, "name": "Unknown", "pricing_plan_name": ""},
    ])
    organizations = client.list_organizations()
    assert [(o.id, o.name, o.tier) for o in organizations] == [
        (7, "Acme Inc", "free"), (8, "Globex", "starter"), (9, "Initech", "premium"),
        (10, "Umbrella", "premium"), (11, "Unknown", None)]
    assert organizations[0].admin is True


def test_list_organizations_null_is_empty(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{API}/me/organizations", body="null")
    assert client.list_organizations() == []


# ---------------------------------------------------------------- users and groups


def test_workspace_users_recorded_shape(mocked: Mock, client: TogglClient) -> None:
    # Recorded (toggl_rb get_workspace_users_success.yml), e-mail and name replaced.
    mocked.get(f"{WS}/users", json=[{"id": 10658406, "fullname": "Example User", "email": "user@example.com",
                                     "is_active": True, "is_admin": True, "inactive": False},
                                    {"id": 12, "email": "bo@acme.test", "inactive": True}])
    first, second = client.list_workspace_users(1)
    assert (first.id, first.email, first.fullname, first.is_admin, first.is_active) == (
        10658406, "user@example.com", "Example User", True, True)
    assert (second.id, second.is_active, second.fullname) == (12, False, None)


def test_workspace_users_listing_that_is_an_object_is_refused(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/users", json={"error": "nope"})
    with pytest.raises(UnexpectedResponseError, match="expected a JSON list"):
        client.list_workspace_users(1)


def test_organization_groups_recorded_shape(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{ORG}/groups", json=[{
        "group_id": 3, "name": "Designers", "at": "2024-04-01T00:00:00.000000Z", "workspaces": [1, 2],
        "users": [{"user_id": 5, "name": "Ana", "avatar_url": "", "joined": True}, {"user_id": 6}, {"user_id": 5}],
    }, {"group_id": 4, "name": "Empty", "workspaces": None, "users": None}])
    designers, empty = client.list_organization_groups(7)
    assert (designers.id, designers.name, designers.user_ids, designers.workspace_ids) == (
        3, "Designers", (5, 6), (1, 2))
    assert designers.at == "2024-04-01T00:00:00.000000Z"
    assert (empty.user_ids, empty.workspace_ids) == ((), ())
    assert len(mocked.calls) == 1


def test_group_writes_send_name_users_and_workspaces(mocked: Mock, client: TogglClient) -> None:
    answer = {"group_id": 3, "name": "Design", "users": [{"user_id": 5}], "workspaces": [1]}
    mocked.post(f"{ORG}/groups", json=answer)
    mocked.put(f"{ORG}/groups/3", json={**answer, "users": [{"user_id": 5}, {"user_id": 6}]})
    mocked.delete(f"{ORG}/groups/3", body="")
    assert client.create_group(7, "Design", [5], [1]).id == 3
    assert sent_json(mocked) == {"name": "Design", "users": [5], "workspaces": [1]}
    assert client.update_group(7, 3, "Design", (5, 6), (1,)).user_ids == (5, 6)
    assert sent_json(mocked) == {"name": "Design", "users": [5, 6], "workspaces": [1]}
    assert client.delete_group(7, 3) is None
    assert [call.request.method for call in mocked.calls] == ["POST", "PUT", "DELETE"]


def test_group_create_on_free_is_a_paid_plan_error(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{ORG}/groups", status=402, json="Groups are available on paid plans")
    with pytest.raises(PaidPlanRequiredError):
        client.create_group(7, "Design", [], [1])


# ---------------------------------------------------------------- project members


def test_project_users_and_groups_are_one_call_each(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/project_users", json=[
        {"id": 40, "project_id": 11, "user_id": 5, "workspace_id": 1, "manager": True, "rate": 120,
         "labor_cost": None, "at": "2024-01-01T00:00:00Z"},
        {"id": 41, "project_id": 12, "user_id": 6, "manager": False, "rate": "95.5", "group_id": 3},
    ])
    mocked.get(f"{WS}/project_groups", json=[{"id": 50, "project_id": 11, "group_id": 3, "workspace_id": 1}])
    first, second = client.list_project_users(1)
    assert (first.id, first.project_id, first.user_id, first.manager, first.rate, first.group_id) == (
        40, 11, 5, True, 120, None)
    assert (second.rate, second.group_id) == (95.5, 3)
    [group] = client.list_project_groups(1)
    assert (group.id, group.project_id, group.group_id) == (50, 11, 3)
    assert len(mocked.calls) == 2


def test_create_project_user_sends_rate_only_when_given(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/project_users", json={"id": 40, "project_id": 11, "user_id": 5})
    client.create_project_user(1, 11, 5, manager=False)
    assert sent_json(mocked) == {"project_id": 11, "user_id": 5, "manager": False}
    client.create_project_user(1, 11, 5, manager=True, rate=120)
    assert sent_json(mocked) == {"project_id": 11, "user_id": 5, "manager": True, "rate": 120}


@pytest.mark.parametrize(("kwargs", "body"), [
    ({}, {"manager": True}), ({"rate": None}, {"manager": True, "rate": None}),
    ({"rate": 80}, {"manager": True, "rate": 80}),
])
def test_update_project_user_bodies(mocked: Mock, client: TogglClient, kwargs: dict[str, Any],
                                    body: dict[str, Any]) -> None:
    mocked.put(f"{WS}/project_users/40", json={"id": 40, "manager": True})
    assert client.update_project_user(1, 40, True, **kwargs).manager is True
    assert sent_json(mocked) == body


def test_member_deletes_and_group_create(mocked: Mock, client: TogglClient) -> None:
    mocked.delete(f"{WS}/project_users/40", body="")
    mocked.delete(f"{WS}/project_groups/50", body="")
    mocked.post(f"{WS}/project_groups", json={"id": 50, "project_id": 11, "group_id": 3})
    assert client.create_project_group(1, 11, 3).id == 50
    assert sent_json(mocked) == {"project_id": 11, "group_id": 3}
    client.delete_project_user(1, 40)
    client.delete_project_group(1, 50)
    assert [c.request.url for c in mocked.calls[1:]] == [f"{WS}/project_users/40", f"{WS}/project_groups/50"]


def test_patch_project_users_is_a_bulk_result(mocked: Mock, client: TogglClient) -> None:
    mocked.patch(f"{WS}/project_users/40,41", json={"success": [40], "failure": [{"id": 41, "message": "no"}]})
    result = client.patch_project_users(1, [40, 41], [{"op": "replace", "path": "/manager", "value": True}])
    assert result.success == (40,) and [f.id for f in result.failure] == [41] and not result.ok
    assert sent_json(mocked) == [{"op": "replace", "path": "/manager", "value": True}]


def test_bulk_patches_refuse_more_than_100_ids_and_skip_none(mocked: Mock, client: TogglClient) -> None:
    with pytest.raises(ValueError, match="at most 100 project users"):
        client.patch_project_users(1, list(range(101)), [])
    with pytest.raises(ValueError, match="at most 100 tasks"):
        client.patch_tasks(1, 11, list(range(101)), [])
    assert client.patch_tasks(1, 11, [], []) == BulkResult()
    assert len(mocked.calls) == 0


def test_rate_on_a_free_workspace_is_a_paid_plan_error(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/project_users", status=402, json="Billable rates are a paid feature")
    with pytest.raises(PaidPlanRequiredError):
        client.create_project_user(1, 11, 5, rate=50)


def test_non_admin_member_write_is_an_auth_error_not_retried(mocked: Mock, client: TogglClient) -> None:
    mocked.put(f"{WS}/project_users/40", status=403, body="Only admins may do this")
    with pytest.raises(AuthError):
        client.update_project_user(1, 40, True)
    assert len(mocked.calls) == 1


# ---------------------------------------------------------------- tasks


def _task(number: int, **extra: Any) -> dict[str, Any]:
    return {"id": number, "name": f"T{number}", "project_id": 11, "workspace_id": 1, "active": True, **extra}


def test_list_tasks_reads_the_documented_object_shape(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/tasks", json={"data": [_task(1, estimated_seconds=36000, user_id=5, tracked_seconds=7200),
                                             _task(2, active=False)],
                                    "page": 1, "per_page": 200, "total_count": 2},
               match=[matchers.query_param_matcher({"active": "both", "per_page": "200", "page": "1"})])
    first, second = client.list_tasks(1)
    assert (first.id, first.name, first.project_id, first.estimated_seconds, first.user_id,
            first.tracked_seconds) == (1, "T1", 11, 36000, 5, 7200)
    assert second.active is False
    assert len(mocked.calls) == 1


def test_list_tasks_reads_a_bare_array_and_ends_on_a_short_page(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/tasks", json=[_task(n) for n in range(1, 4)], match=[matchers.query_param_matcher(
        {"active": "both", "per_page": "3", "page": "1"})])
    mocked.get(f"{WS}/tasks", json=[_task(4)], match=[matchers.query_param_matcher(
        {"active": "both", "per_page": "3", "page": "2"})])
    assert [t.id for t in client.list_tasks(1, per_page=3)] == [1, 2, 3, 4]
    assert len(mocked.calls) == 2


def test_list_tasks_follows_total_count_when_the_server_caps_per_page(mocked: Mock, client: TogglClient) -> None:
    # Asked 200, given 50 a page: a short page alone must not end a listing that says 120.
    for page, ids in ((1, range(1, 51)), (2, range(51, 101)), (3, range(101, 121))):
        mocked.get(f"{WS}/tasks", json={"data": [_task(n) for n in ids], "per_page": 50, "total_count": 120},
                   match=[matchers.query_param_matcher({"active": "both", "per_page": "200", "page": str(page)})])
    assert len(client.list_tasks(1)) == 120
    assert len(mocked.calls) == 3


def test_list_tasks_ends_at_the_declared_total_without_an_empty_page(mocked: Mock, client: TogglClient) -> None:
    # 20,000 tasks are 100 calls, not 101: a full last page that completes the total ends it.
    for page in (1, 2):
        mocked.get(f"{WS}/tasks", json={"data": [_task(page * 10 + n) for n in range(2)], "total_count": 4},
                   match=[matchers.query_param_matcher({"active": "both", "per_page": "2", "page": str(page)})])
    assert len(client.list_tasks(1, per_page=2)) == 4
    assert len(mocked.calls) == 2


@pytest.mark.parametrize("total", [1000, None])
def test_a_server_that_ignores_page_is_refused_not_planned_from(mocked: Mock, client: TogglClient,
                                                                 total: int | None) -> None:
    # The same page for every page number: the tasks after it would look missing (to be
    # created again) or stay unseen. Neither loops nor yields a partial listing.
    rows = [_task(n) for n in range(1, 201)]
    mocked.get(f"{WS}/tasks", json={"data": rows, **({"total_count": total} if total else {})})
    with pytest.raises(UnexpectedResponseError, match="page 2 repeats only tasks of earlier pages"):
        client.list_tasks(1)
    assert len(mocked.calls) == 2


def test_a_declared_total_the_pages_never_reach_is_refused(mocked: Mock, client: TogglClient) -> None:
    for page, rows in ((1, [_task(1), _task(2)]), (2, [])):
        mocked.get(f"{WS}/tasks", json={"data": rows, "total_count": 1000},
                   match=[matchers.query_param_matcher({"active": "both", "per_page": "200", "page": str(page)})])
    with pytest.raises(UnexpectedResponseError, match="declared 1000 tasks but page 2 is empty") as raised:
        client.list_tasks(1)
    assert "Traceback" not in str(raised.value) and "SECRET" not in str(raised.value)


@pytest.mark.parametrize("total", [0, 5, -1, "400", None])
def test_a_total_below_what_came_does_not_cut_the_listing_short(mocked: Mock, client: TogglClient,
                                                                  total: Any) -> None:
    # Full pages say more are coming; a total_count below them is the lie, not the pages.
    for page in (1, 2, 3):
        rows = [_task(page * 1000 + n) for n in range(200 if page < 3 else 7)]
        mocked.get(f"{WS}/tasks", json={"data": rows, "total_count": total},
                   match=[matchers.query_param_matcher({"active": "both", "per_page": "200", "page": str(page)})])
    assert len(client.list_tasks(1)) == 407
    assert len(mocked.calls) == 3


def test_a_page_size_echoed_otherwise_than_asked_still_reads_every_task(mocked: Mock, client: TogglClient) -> None:
    # per_page echoed as 1000 (more than asked) or as garbage: the short page still ends it.
    for page, (rows, echoed) in enumerate((([_task(n) for n in range(200)], 1000),
                                           ([_task(n) for n in range(200, 210)], "x")), start=1):
        mocked.get(f"{WS}/tasks", json={"data": rows, "per_page": echoed},
                   match=[matchers.query_param_matcher({"active": "both", "per_page": "200", "page": str(page)})])
    assert len(client.list_tasks(1)) == 210


def test_list_tasks_leaves_out_deleted_ones_and_takes_null_as_empty(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/tasks", json={"data": [_task(1), _task(2, server_deleted_at="2024-01-01T00:00:00Z")],
                                    "total_count": 2})
    assert [t.id for t in client.list_tasks(1)] == [1]
    mocked.replace(responses.GET, f"{WS}/tasks", json={"data": None, "total_count": 0})
    assert client.list_tasks(1) == []


def test_list_tasks_of_a_wrong_shape_is_refused(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/tasks", json={"data": "nope", "total_count": 1})
    with pytest.raises(UnexpectedResponseError, match="expected a JSON list"):
        client.list_tasks(1)


def test_list_tasks_is_bounded_by_the_listing_page_limit(mocked: Mock,
                                                         make_client: Callable[..., TogglClient]) -> None:
    # Every page full and new: without the bound this would never end.
    counter = iter(range(10**6))

    def endless(request: Any) -> tuple[int, dict[str, str], str]:
        start = next(counter) * 2
        return 200, {}, json.dumps({"data": [_task(start), _task(start + 1)]})

    mocked.add_callback(responses.GET, f"{WS}/tasks", callback=endless)
    with pytest.raises(AnswerTooLargeError, match=r"stopped after 4 pages \(8 tasks\)"):
        make_client(max_listing_pages=4).list_tasks(1, per_page=2)
    assert len(mocked.calls) == 4


def test_a_declared_total_beyond_the_page_bound_is_refused_at_the_first_page(
        mocked: Mock, make_client: Callable[..., TogglClient]) -> None:
    # 10**9 tasks at 200 a page: the bound would stop it after 500 requests of the hour's quota.
    mocked.get(f"{WS}/tasks", json={"data": [_task(n) for n in range(1, 201)], "total_count": 10**9})
    with pytest.raises(AnswerTooLargeError, match="declares 1000000000 tasks, 200 a page"):
        make_client().list_tasks(1)
    assert len(mocked.calls) == 1
    # within the bound, it reads on
    mocked.replace(responses.GET, f"{WS}/tasks", json={"data": [_task(n) for n in range(1, 3)], "total_count": 8})
    with pytest.raises(UnexpectedResponseError, match="repeats only tasks"):
        make_client(max_listing_pages=4).list_tasks(1, per_page=2)


def test_list_tasks_is_bounded_by_the_listing_byte_limit(mocked: Mock,
                                                         make_client: Callable[..., TogglClient]) -> None:
    counter = iter(range(10**6))

    def heavy(request: Any) -> tuple[int, dict[str, str], str]:
        start = next(counter) * 2
        rows = [_task(start, name="x" * 4000), _task(start + 1, name="y" * 4000)]
        return 200, {}, json.dumps({"data": rows})

    mocked.add_callback(responses.GET, f"{WS}/tasks", callback=heavy)
    with pytest.raises(AnswerTooLargeError, match=r"the task listing passed 20000 bytes over 3 pages"):
        make_client(max_listing_bytes=20_000).list_tasks(1, per_page=2)


def test_list_tasks_per_page_is_checked(client: TogglClient) -> None:
    with pytest.raises(ValueError, match="per_page"):
        client.list_tasks(1, per_page=0)


def test_task_writes_paths_and_bodies(mocked: Mock, client: TogglClient) -> None:
    tasks = f"{WS}/projects/11/tasks"
    mocked.post(tasks, json=_task(1))
    mocked.put(f"{tasks}/1", json=_task(1, name="Renamed"))
    mocked.patch(f"{tasks}/1,2", json=[1, 2])
    mocked.delete(f"{tasks}/1", body="")
    client.create_task(1, 11, {"name": "T1", "estimated_seconds": 3600})
    # unassigned unless told: omitted, the v9 reference assigns the requester
    assert sent_json(mocked) == {"name": "T1", "estimated_seconds": 3600, "active": True, "user_id": None}
    mocked.replace(responses.POST, tasks, json=_task(1, user_id=5, active=False))
    client.create_task(1, 11, {"name": "T1", "user_id": 5, "active": False})
    assert sent_json(mocked) == {"name": "T1", "user_id": 5, "active": False}
    assert client.update_task(1, 11, 1, {"name": "Renamed"}).name == "Renamed"
    assert sent_json(mocked) == {"name": "Renamed"}
    assert client.patch_tasks(1, 11, [1, 2], [{"op": "replace", "path": "/active", "value": False}]).success == (1, 2)
    assert client.delete_task(1, 11, 1) is None


def test_task_create_on_free_is_a_paid_plan_error(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/projects/11/tasks", status=402, json="Tasks are available on paid plans")
    with pytest.raises(PaidPlanRequiredError):
        client.create_task(1, 11, {"name": "T"})


def test_task_create_without_an_answer_is_ambiguous_but_an_update_is_retried(
        mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/projects/11/tasks", status=503)
    with pytest.raises(AmbiguousWriteError):
        client.create_task(1, 11, {"name": "T"})
    assert len(mocked.calls) == 1
    mocked.put(f"{WS}/projects/11/tasks/1", status=503)
    mocked.put(f"{WS}/projects/11/tasks/1", json=_task(1))
    assert client.update_task(1, 11, 1, {"name": "T1"}).id == 1
    assert len(mocked.calls) == 3


def test_a_task_page_that_fails_is_retried_alone(mocked: Mock, client: TogglClient) -> None:
    def on_page(number: int) -> list[Any]:
        return [matchers.query_param_matcher({"active": "both", "per_page": "2", "page": str(number)})]

    mocked.get(f"{WS}/tasks", json={"data": [_task(1), _task(2)], "total_count": 3}, match=on_page(1))
    mocked.get(f"{WS}/tasks", status=503, match=on_page(2))
    mocked.get(f"{WS}/tasks", json={"data": [_task(3)], "total_count": 3}, match=on_page(2))
    assert [t.id for t in client.list_tasks(1, per_page=2)] == [1, 2, 3]
    assert [call.request.params["page"] for call in mocked.calls] == ["1", "2", "2"]
    assert client.stats.reads == 3 and client.stats.retries == 1


# ---------------------------------------------------------------- a write answered with something else

LYING_WRITES: list[tuple[str, str, str, Any, Callable[[TogglClient], Any], str]] = [
    ("task created under another name", "POST", f"{WS}/projects/11/tasks", _task(9, name="Other"),
     lambda c: c.create_task(1, 11, {"name": "Wireframes"}), "task 9 with name 'Other' after it was sent 'Wireframes'"),
    ("task created in another project", "POST", f"{WS}/projects/11/tasks", _task(9, name="Wireframes", project_id=12),
     lambda c: c.create_task(1, 11, {"name": "Wireframes"}), "task 9 with project_id 12 after it was sent 11"),
    ("task created without an id", "POST", f"{WS}/projects/11/tasks", {"name": "Wireframes", "project_id": 11},
     lambda c: c.create_task(1, 11, {"name": "Wireframes"}), "the new task without an id"),
    ("task created done", "POST", f"{WS}/projects/11/tasks", _task(9, name="Wireframes", active=False),
     lambda c: c.create_task(1, 11, {"name": "Wireframes"}), "active false after it was sent true"),
    ("task update of another task", "PUT", f"{WS}/projects/11/tasks/1", _task(2, name="R"),
     lambda c: c.update_task(1, 11, 1, {"name": "R"}), "the update of task 1 with task 2"),
    ("task update not made", "PUT", f"{WS}/projects/11/tasks/1", _task(1, estimated_seconds=0),
     lambda c: c.update_task(1, 11, 1, {"estimated_seconds": 3600}), "estimated_seconds 0 after it was sent 3600"),
    ("member created for another user", "POST", f"{WS}/project_users", {"id": 40, "project_id": 11, "user_id": 6},
     lambda c: c.create_project_user(1, 11, 5), "project user 40 with user_id 6 after it was sent 5"),
    ("member created without manager", "POST", f"{WS}/project_users",
     {"id": 40, "project_id": 11, "user_id": 5, "manager": False},
     lambda c: c.create_project_user(1, 11, 5, manager=True), "manager false after it was sent true"),
    ("member rate not set", "PUT", f"{WS}/project_users/40", {"id": 40, "manager": False, "rate": None},
     lambda c: c.update_project_user(1, 40, False, rate=120), "rate null after it was sent 120"),
    ("project group for another group", "POST", f"{WS}/project_groups", {"id": 50, "project_id": 11, "group_id": 4},
     lambda c: c.create_project_group(1, 11, 3), "project group 50 with group_id 4 after it was sent 3"),
    ("group created under another name", "POST", f"{ORG}/groups", {"group_id": 3, "name": "Other", "users": []},
     lambda c: c.create_group(7, "Design", [], [1]), "group 3 with name 'Other' after it was sent 'Design'"),
    ("group update that dropped a user", "PUT", f"{ORG}/groups/3",
     {"group_id": 3, "name": "Design", "users": [{"user_id": 5}], "workspaces": [1]},
     lambda c: c.update_group(7, 3, "Design", [5, 6], [1]), "users [5] after it was sent [5, 6]"),
    ("group update that did not attach here", "PUT", f"{ORG}/groups/3",
     {"group_id": 3, "name": "Design", "users": [], "workspaces": [2]},
     lambda c: c.update_group(7, 3, "Design", [], [1, 2]), "workspaces [2] after it was sent [1, 2]"),
    ("settings answered unchanged", "PUT", WS, {"id": 1, "rounding_minutes": 0},
     lambda c: c.update_workspace_settings(1, {"rounding_minutes": 15}), "rounding_minutes 0 after it was sent 15"),
    ("settings of another workspace", "PUT", WS, {"id": 2, "rounding_minutes": 15},
     lambda c: c.update_workspace_settings(1, {"rounding_minutes": 15}), "the update of workspace 1 with workspace 2"),
    ("workspace created in another organization", "POST", f"{ORG}/workspaces",
     {"id": 9, "name": "New", "organization_id": 8},
     lambda c: c.create_workspace(7, "New"), "workspace 9 with organization_id 8 after it was sent 7"),
    ("workspace created without an id", "POST", f"{ORG}/workspaces", {"name": "New"},
     lambda c: c.create_workspace(7, "New"), "the new workspace without an id"),
]


@pytest.mark.parametrize(("method", "url", "answer", "write", "message"),
                         [case[1:] for case in LYING_WRITES], ids=[case[0] for case in LYING_WRITES])
def test_a_write_answered_with_something_else_is_refused_not_taken_as_done(
        mocked: Mock, client: TogglClient, method: str, url: str, answer: Any,
        write: Callable[[TogglClient], Any], message: str) -> None:
    mocked.add(method, url, json=answer)
    with pytest.raises(UnexpectedResponseError) as raised:
        write(client)
    assert message in str(raised.value)
    assert "SECRET" not in str(raised.value)
    assert len(mocked.calls) == 1  # refused, not repeated: the executor reads back


@pytest.mark.parametrize(("method", "url", "answer", "write"), [
    # what Toggl may do to a value without lying: spacing and case of a name, 120 as 120.0 or
    # "120", ids as strings, a field left out of the answer, a default filled in on a create
    ("POST", f"{WS}/projects/11/tasks", {"id": "9", "name": "wireframes ", "project_id": "11", "user_id": 5},
     lambda c: c.create_task(1, 11, {"name": "Wireframes"})),
    ("PUT", f"{WS}/project_users/40", {"id": 40, "manager": True, "rate": "120.0"},
     lambda c: c.update_project_user(1, 40, True, rate=120)),
    ("PUT", f"{WS}/project_users/40", {"id": 40, "manager": True, "rate": 120.56},
     lambda c: c.update_project_user(1, 40, True, rate=120.555)),
    ("POST", f"{WS}/project_users", {"id": 40}, lambda c: c.create_project_user(1, 11, 5, rate=90)),
    ("PUT", WS, {"id": 1, "default_currency": "eur", "default_hourly_rate": 90.0},
     lambda c: c.update_workspace_settings(1, {"default_currency": "EUR", "default_hourly_rate": 90})),
    ("PUT", f"{ORG}/groups/3", {"group_id": 3, "name": "Design", "users": [{"user_id": 6}, {"user_id": 5}]},
     lambda c: c.update_group(7, 3, "Design", [5, 6], [1])),
    # "none" spelt null or 0 either way: an estimate cleared, a rate cleared, an estimate of 0
    ("PUT", f"{WS}/projects/11/tasks/9", {"id": 9, "estimated_seconds": 0},
     lambda c: c.update_task(1, 11, 9, {"estimated_seconds": None})),
    ("PUT", f"{WS}/project_users/40", {"id": 40, "manager": False, "rate": 0},
     lambda c: c.update_project_user(1, 40, False, rate=None)),
    ("POST", f"{WS}/projects/11/tasks", {"id": 9, "name": "T", "estimated_seconds": None},
     lambda c: c.create_task(1, 11, {"name": "T", "estimated_seconds": 0})),
])
def test_a_write_answered_in_another_spelling_of_the_same_values_is_done(
        mocked: Mock, client: TogglClient, method: str, url: str, answer: Any,
        write: Callable[[TogglClient], Any]) -> None:
    mocked.add(method, url, json=answer)
    assert write(client) is not None


@pytest.mark.parametrize(("method", "url", "write", "right"), [
    ("POST", f"{WS}/projects/11/tasks", lambda c: c.create_task(1, 11, {"name": "T"}), "admin of the workspace (tasks"),
    ("PATCH", f"{WS}/projects/11/tasks/1,2", lambda c: c.patch_tasks(1, 11, [1, 2], []), "admin of the workspace (tasks"),
    ("DELETE", f"{WS}/projects/11/tasks/1", lambda c: c.delete_task(1, 11, 1), "admin of the workspace (tasks"),
    ("POST", f"{WS}/project_users", lambda c: c.create_project_user(1, 11, 5), "admin of the workspace (project members"),
    ("PUT", f"{WS}/project_users/40", lambda c: c.update_project_user(1, 40, True), "admin of the workspace (project members"),
    ("DELETE", f"{WS}/project_groups/50", lambda c: c.delete_project_group(1, 50), "admin of the workspace (project members"),
    ("POST", f"{ORG}/groups", lambda c: c.create_group(7, "D", [], [1]), "admin of the organization (groups"),
    ("DELETE", f"{ORG}/groups/3", lambda c: c.delete_group(7, 3), "admin of the organization (groups"),
    ("PUT", WS, lambda c: c.update_workspace_settings(1, {"rounding": 1}), "admin of the workspace (its settings"),
    ("POST", f"{ORG}/workspaces", lambda c: c.create_workspace(7, "New"), "more than one workspace (Free allows one)"),
])
def test_a_403_on_each_write_kind_names_the_right_it_lacks(mocked: Mock, client: TogglClient, method: str, url: str,
                                                           write: Callable[[TogglClient], Any], right: str) -> None:
    mocked.add(method, url, status=403, json="User does not have access to this resource")
    with pytest.raises(AuthError) as raised:
        write(client)
    assert right in str(raised.value) and "SECRET" not in str(raised.value)
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(("method", "url", "write"), [
    ("POST", f"{WS}/projects/11/tasks", lambda c: c.create_task(1, 11, {"name": "T"})),
    ("PUT", f"{WS}/project_users/40", lambda c: c.update_project_user(1, 40, False, rate=90)),
    ("POST", f"{ORG}/groups", lambda c: c.create_group(7, "D", [], [1])),
    ("PUT", WS, lambda c: c.update_workspace_settings(1, {"rounding": 1})),
])
def test_a_402_on_each_paid_write_is_a_plan_error_with_toggls_text(mocked: Mock, client: TogglClient, method: str,
                                                                    url: str, write: Callable[[TogglClient], Any]) -> None:
    mocked.add(method, url, status=402, json="Tasks available only for premium plans")
    with pytest.raises(PaidPlanRequiredError, match="402 Tasks available only for premium plans"):
        write(client)
    assert len(mocked.calls) == 1


def test_a_refused_write_answer_never_quotes_the_credential(mocked: Mock, client: TogglClient) -> None:
    # A hostile server echoing the token as the name: the message quotes the answer, scrubbed.
    mocked.post(f"{WS}/projects/11/tasks", json=_task(9, name=TOKEN))
    with pytest.raises(UnexpectedResponseError) as raised:
        client.create_task(1, 11, {"name": "Wireframes"})
    assert TOKEN not in str(raised.value) and TOKEN not in raised.value.message
    assert "***" in str(raised.value)


def test_a_huge_name_in_a_refused_answer_is_cut_after_the_credential_is_taken_out(
        mocked: Mock, client: TogglClient) -> None:
    # The token right where a cut at a fixed length would fall: scrubbed first, then cut.
    mocked.post(f"{WS}/projects/11/tasks", json=_task(9, name="x" * 30 + TOKEN + "y" * 100_000))
    with pytest.raises(UnexpectedResponseError) as raised:
        client.create_task(1, 11, {"name": "Wireframes"})
    text = str(raised.value)
    assert TOKEN[:12] not in text and len(text) < 800
    assert text.endswith("Run plan to see the workspace as it is")


@pytest.mark.parametrize("odd", ["not an object", 5, None, [1]])
def test_a_listing_with_an_item_that_is_no_object_is_refused_not_thinned(mocked: Mock, client: TogglClient,
                                                                         odd: Any) -> None:
    mocked.get(f"{WS}/project_users", json=[{"id": 40, "project_id": 11, "user_id": 5}, odd])
    with pytest.raises(UnexpectedResponseError, match="expected a JSON list of objects"):
        client.list_project_users(1)
    mocked.get(f"{WS}/tasks", json={"data": [_task(1), odd], "total_count": 2})
    with pytest.raises(UnexpectedResponseError, match="expected a JSON list of objects"):
        client.list_tasks(1)


def test_a_listing_that_trickles_page_after_page_is_stopped_by_its_total_time(
        mocked: Mock, make_client: Callable[..., TogglClient], clock: Any) -> None:
    # Each page within its own deadline (30 s of 60), fresh and full, forever: without a bound
    # on the whole listing that is 500 pages of 30 s, four hours of a silent plan.
    counter = iter(range(10**6))

    def slow(request: Any) -> tuple[int, dict[str, str], str]:
        clock.now += 30
        start = next(counter) * 2
        return 200, {}, json.dumps({"data": [_task(start + 1), _task(start + 2)]})

    mocked.add_callback(responses.GET, f"{WS}/tasks", callback=slow)
    with pytest.raises(ListingTooSlowError, match=r"took more than 1m 40s over 4 pages \(6 tasks so far\)"):
        make_client(max_listing_seconds=100).list_tasks(1, per_page=2)
    assert len(mocked.calls) == 4
