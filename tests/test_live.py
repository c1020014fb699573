"""The live read: resolving workspace references (one lookup, exact names first, ambiguity
refused), and the workspace kinds, read only when a spec mentions them, one list call each."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import fields
from typing import Any, Iterator

import pytest
import responses

from reconciler.errors import UsageError
from reconciler.live import (
    ResolvedWorkspace,
    WorkspaceReads,
    read_live_state,
    resolve_workspaces,
    workspace_reads,
)
from reconciler.model import (
    SETTINGS_FIELDS,
    DesiredGroup,
    DesiredMember,
    DesiredProject,
    DesiredSettings,
    DesiredState,
    DesiredTask,
    LiveGroup,
    LiveMember,
    LiveTask,
    LiveUser,
)
from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.sandbox.identity import ORGANIZATION_ID, ORGANIZATION_NAME, USER_EMAIL, USER_ID
from reconciler.toggl import RequestEvent, TogglClient, transport_from_env
from reconciler.toggl.errors import UnexpectedResponseError


def test_ids_alone_cost_no_request(sandbox: Sandbox, client: TogglClient) -> None:
    assert resolve_workspaces(client, [7, 8]) == [ResolvedWorkspace(7), ResolvedWorkspace(8)]
    assert client.stats.reads == 0


def test_names_and_ids_resolve_with_one_lookup_to_the_same_id(sandbox: Sandbox,
                                                              client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("Acme Agency")
    found = resolve_workspaces(client, [wid, "Acme Agency", "ACME AGENCY"])
    assert {w.id for w in found} == {wid}
    assert found[0].name == "Acme Agency"  # an id's name comes free with the lookup
    assert client.stats.reads == 1


def test_a_name_several_workspaces_answer_to_is_refused_naming_them(sandbox: Sandbox,
                                                                   client: TogglClient) -> None:
    first = sandbox.store.ensure_workspace("Acme")
    with sandbox.store.transaction() as db:  # a second workspace differing only in case
        db.execute("INSERT INTO workspaces (name, tier, at_ts) VALUES ('ACME', 'premium', 0)")
    second = max(row["id"] for row in sandbox.store.workspace_rows())
    assert resolve_workspaces(client, ["Acme"])[0].id == first  # the exact spelling wins
    with pytest.raises(UsageError) as raised:
        resolve_workspaces(client, ["acme"])
    assert f"(id {first})" in str(raised.value) and f"(id {second})" in str(raised.value)


# ---------------------------------------------------------------- the workspace kinds

OLD_SPEC = DesiredState(workspace="Acme", projects=(DesiredProject("Site", client="Globex"),))


@pytest.fixture
def traced(sandbox: Sandbox) -> Iterator[tuple[TogglClient, list[RequestEvent]]]:
    """A client over real HTTP to the sandbox that records every request it sends."""
    events: list[RequestEvent] = []
    env = {"TOGGL_API_TOKEN": sandbox.token, "TOGGL_API_URL": sandbox.url}
    with TogglClient(transport_from_env(env), backoff_base=0.001, on_request=events.append) as toggl:
        yield toggl, events


@pytest.fixture
def gaps(sandbox: Sandbox) -> Iterator[responses.RequestsMock]:
    """`responses` for the endpoints the sandbox does not serve yet; the rest passes through."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(sandbox.url)
        yield mock


def _paths(events: list[RequestEvent]) -> list[str]:
    return [f"{e.method} {e.path.removeprefix('/api/v9')}" for e in events]


def _served(mock: responses.RequestsMock, sandbox: Sandbox, wid: int, *,
            project_users: Any = (), project_groups: Any = (), tasks: Any = None) -> None:
    base = f"{sandbox.url}/api/v9/workspaces/{wid}"
    mock.get(f"{base}/project_users", json=list(project_users))
    mock.get(f"{base}/project_groups", json=list(project_groups))
    mock.get(f"{base}/tasks", json=tasks if tasks is not None else {"data": [], "total_count": 0})


# ----- which kinds a spec reads (pure)


def test_a_spec_without_the_new_keys_reads_none_of_them() -> None:
    assert workspace_reads(OLD_SPEC) == WorkspaceReads()
    assert not workspace_reads(OLD_SPEC).any
    # `unmanaged:` of the old kinds changes nothing either
    assert not workspace_reads(DesiredState(workspace=1, unmanaged={"client": "delete", "project": "archive",
                                                                     "tag": "delete"})).any


@pytest.mark.parametrize(("desired", "expected"), [
    (DesiredState(workspace=1, settings=DesiredSettings({"rounding": 1})), WorkspaceReads(settings=True)),
    (DesiredState(workspace=1, groups=()), WorkspaceReads(groups=True)),
    (DesiredState(workspace=1, groups=(DesiredGroup("Design", members=("ana@acme.test",)),)),
     WorkspaceReads(groups=True, users=True)),
    (DesiredState(workspace=1, projects=(DesiredProject("Site", members=(DesiredMember(user="a@x.test"),)),)),
     WorkspaceReads(users=True, members=True)),
    (DesiredState(workspace=1, projects=(DesiredProject("Site", members=(DesiredMember(group="Design"),)),)),
     WorkspaceReads(users=True, groups=True, members=True)),
    (DesiredState(workspace=1, projects=(DesiredProject("Site", members=()),),
                  unmanaged={"client": "ignore", "project": "ignore", "tag": "ignore", "member": "remove"}),
     WorkspaceReads(users=True, groups=True, members=True)),
    (DesiredState(workspace=1, projects=(DesiredProject("Site", tasks=(DesiredTask("T"),)),)),
     WorkspaceReads(tasks=True)),
    (DesiredState(workspace=1, projects=(DesiredProject("Site", tasks=(
        DesiredTask("T", fields={"assignee": "a@x.test"}),)),)), WorkspaceReads(tasks=True, users=True)),
    (DesiredState(workspace=1, unmanaged={"client": "ignore", "project": "ignore", "tag": "ignore",
                                          "group": "delete"}), WorkspaceReads(groups=True)),
])
def test_workspace_reads_follow_what_the_spec_mentions(desired: DesiredState, expected: WorkspaceReads) -> None:
    assert workspace_reads(desired) == expected


# ----- requests


def test_a_spec_without_the_new_keys_makes_exactly_todays_requests(sandbox: Sandbox, traced: Any) -> None:
    client, events = traced
    wid = sandbox.store.ensure_workspace("Acme")
    before = read_live_state(client, "Acme")
    today = _paths(events)
    events.clear()
    after = read_live_state(client, "Acme", reads=workspace_reads(OLD_SPEC))
    assert _paths(events) == today == [
        "GET /me/workspaces", f"GET /workspaces/{wid}/clients", f"GET /workspaces/{wid}/tags",
        f"GET /workspaces/{wid}/projects"]
    assert (after.users, after.groups, after.members, after.tasks, after.settings) == (None,) * 5
    assert after.read_counts == before.read_counts == {"workspaces": 1, "clients": 1, "tags": 1, "projects": 1}
    assert after.reads == 4


def test_settings_come_from_one_workspace_read(sandbox: Sandbox, traced: Any) -> None:
    client, events = traced
    wid = sandbox.store.ensure_workspace("Acme")
    live = read_live_state(client, wid, reads=WorkspaceReads(settings=True))
    assert _paths(events)[-1] == f"GET /workspaces/{wid}"
    assert live.settings is not None and set(live.settings) <= set(SETTINGS_FIELDS)
    assert (live.settings["rounding"], live.settings["default_currency"]) == (1, "USD")
    assert "api_token" not in live.settings
    assert (live.tier, live.organization_id, live.workspace_name) == ("premium", ORGANIZATION_ID, "Acme")
    assert live.read_counts["settings"] == 1


def test_a_lookup_that_gave_tier_and_organization_spares_the_workspace_read(sandbox: Sandbox,
                                                                           traced: Any) -> None:
    client, events = traced
    wid = sandbox.store.ensure_workspace("Acme")
    live = read_live_state(client, "Acme", reads=WorkspaceReads(users=True, groups=True))
    assert f"GET /workspaces/{wid}" not in _paths(events)
    assert _paths(events)[-2:] == [f"GET /workspaces/{wid}/users", f"GET /organizations/{ORGANIZATION_ID}/groups"]
    assert (live.tier, live.organization_id) == ("premium", ORGANIZATION_ID)
    # by id, nothing is known: the one workspace read gives the organization the groups need
    events.clear()
    read_live_state(client, wid, reads=WorkspaceReads(groups=True))
    assert _paths(events)[3:] == [f"GET /workspaces/{wid}", f"GET /organizations/{ORGANIZATION_ID}/groups"]


def test_users_are_one_read(sandbox: Sandbox, traced: Any) -> None:
    client, events = traced
    wid = sandbox.store.ensure_workspace("Acme")
    live = read_live_state(client, wid, reads=WorkspaceReads(users=True))
    assert live.users is not None and LiveUser(USER_ID, USER_EMAIL, "Sandbox User") in live.users
    assert _paths(events).count(f"GET /workspaces/{wid}/users") == 1
    assert live.read_counts["users"] == 1


def test_groups_of_the_organization_with_their_users_and_workspaces(sandbox: Sandbox, traced: Any) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    other = sandbox.store.ensure_workspace("Other")
    created = client.create_group(ORGANIZATION_ID, "Designers", [USER_ID], [wid, other])
    client.create_group(ORGANIZATION_ID, "Elsewhere", [], [other])
    live = read_live_state(client, wid, reads=WorkspaceReads(groups=True))
    assert live.groups is not None
    by_name = {group.name: group for group in live.groups}
    assert set(by_name) == {"Designers", "Elsewhere"}  # every group of the organization
    designers = by_name["Designers"]
    assert (designers.id, designers.user_ids, set(designers.workspace_ids)) == (created.id, (USER_ID,), {wid, other})
    assert isinstance(designers, LiveGroup) and designers.at
    assert live.read_counts["groups"] == 1


def test_members_from_project_users_and_project_groups_in_two_reads(sandbox: Sandbox, traced: Any,
                                                                   gaps: responses.RequestsMock) -> None:
    client, events = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _served(gaps, sandbox, wid, project_users=[
        {"id": 40, "project_id": 11, "user_id": 5, "manager": True, "rate": 120, "at": "2024-01-01T00:00:00Z"},
        {"id": 41, "project_id": 12, "user_id": 6, "manager": False, "rate": None},
        {"id": 42, "project_id": 11, "user_id": 7, "group_id": 3},  # access through a group
    ], project_groups=[{"id": 50, "project_id": 11, "group_id": 3, "at": "2024-02-01T00:00:00Z"}])
    live = read_live_state(client, wid, reads=WorkspaceReads(members=True))
    assert live.members == (
        LiveMember(40, 11, user_id=5, manager=True, rate=120.0, at="2024-01-01T00:00:00Z"),
        LiveMember(41, 12, user_id=6),
        LiveMember(50, 11, group_id=3, at="2024-02-01T00:00:00Z"),
    )
    assert live.read_counts["members"] == 2
    assert [p for p in _paths(events) if "project_" in p] == [
        f"GET /workspaces/{wid}/project_users", f"GET /workspaces/{wid}/project_groups"]


def test_tasks_of_every_project_in_pages_not_per_project(sandbox: Sandbox, traced: Any,
                                                        gaps: responses.RequestsMock) -> None:
    client, events = traced
    wid = sandbox.store.ensure_workspace("Acme")
    url = f"{sandbox.url}/api/v9/workspaces/{wid}/tasks"

    def page(number: int, ids: range) -> None:
        rows = [{"id": n, "name": f"T{n}", "project_id": 100 + n % 7, "active": n % 3 != 0,
                 "estimated_seconds": 3600 * n, "user_id": 5, "tracked_seconds": 1000 * n,  # documented: ms
                 "at": "2024-01-01T00:00:00Z"}
                for n in ids]
        gaps.get(url, json={"data": rows, "total_count": 450}, match=[
            responses.matchers.query_param_matcher({"active": "both", "per_page": "200", "page": str(number)})])

    page(1, range(1, 201))
    page(2, range(201, 401))
    page(3, range(401, 451))
    live = read_live_state(client, wid, reads=WorkspaceReads(tasks=True))
    assert live.tasks is not None and len(live.tasks) == 450
    assert live.tasks[2] == LiveTask(id=3, name="T3", project_id=103, active=False, estimated_seconds=10800,
                                     user_id=5, tracked_seconds=3, at="2024-01-01T00:00:00Z")
    assert live.read_counts["tasks"] == 3
    assert sum(live.read_counts.values()) == live.reads == 3 + 3 + 1  # clients, tags, projects, workspace


def test_every_kind_at_once_bills_each_and_adds_up(sandbox: Sandbox, traced: Any,
                                                   gaps: responses.RequestsMock) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _served(gaps, sandbox, wid)
    live = read_live_state(client, "Acme", reads=WorkspaceReads.everything())
    assert live.read_counts == {"workspaces": 1, "clients": 1, "tags": 1, "projects": 1, "settings": 1,
                                "users": 1, "members": 2, "groups": 1, "tasks": 1}
    assert sum(live.read_counts.values()) == live.reads == 10
    assert (live.members, live.tasks, live.groups) == ((), (), ())


# ----- a workspace apply will create


def test_a_missing_workspace_with_an_organization_is_planned_for_creation(sandbox: Sandbox,
                                                                         traced: Any) -> None:
    client, events = traced
    sandbox.store.ensure_workspace("Acme")
    group = client.create_group(ORGANIZATION_ID, "Designers", [USER_ID], [])
    events.clear()
    for organization in (ORGANIZATION_NAME, ORGANIZATION_NAME.upper(), ORGANIZATION_ID, str(ORGANIZATION_ID)):
        live = read_live_state(client, "New Workspace", organization=organization)
        assert (live.workspace_missing, live.workspace_id, live.workspace_name) == (True, 0, "New Workspace")
        assert (live.organization_id, live.tier) == (ORGANIZATION_ID, "premium")
        assert (live.clients, live.projects, live.tags) == ((), (), ())
        assert live.read_counts == {"workspaces": 1, "organizations": 1} and live.reads == 2
    assert _paths(events)[:2] == ["GET /me/workspaces", "GET /me/organizations"]
    events.clear()
    live = read_live_state(client, "New Workspace", reads=WorkspaceReads.everything(), organization=ORGANIZATION_ID)
    assert live.settings == {} and (live.members, live.tasks) == ((), ())
    assert live.users == (LiveUser(USER_ID, USER_EMAIL, "Sandbox User"),)  # the creator, its one user
    assert live.groups is not None and [g.id for g in live.groups] == [group.id]  # the organization's
    assert not any("/workspaces/0" in path for path in _paths(events))


def test_a_missing_workspace_without_an_organization_is_still_an_error(sandbox: Sandbox,
                                                                      client: TogglClient) -> None:
    sandbox.store.ensure_workspace("Acme")
    with pytest.raises(UsageError, match="'New Workspace' was not found"):
        read_live_state(client, "New Workspace")


def test_an_unknown_organization_is_an_error_naming_the_ones_there_are(sandbox: Sandbox,
                                                                      client: TogglClient) -> None:
    sandbox.store.ensure_workspace("Acme")
    with pytest.raises(UsageError, match=f"organization 'Nope' was not found.*{ORGANIZATION_NAME}"):
        read_live_state(client, "New Workspace", organization="Nope")


def test_an_existing_workspace_is_read_as_always_when_the_spec_has_an_organization(sandbox: Sandbox,
                                                                                  client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("Acme")
    live = read_live_state(client, "acme", organization="Whatever")  # found: the organization is not read
    assert (live.workspace_id, live.workspace_missing) == (wid, False)
    assert "organizations" not in live.read_counts


def test_resolution_marks_missing_names_only_where_an_organization_is_given(sandbox: Sandbox,
                                                                          client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("Acme")
    found = resolve_workspaces(client, ["Acme", "New"], organizations=[None, "Org"])
    assert found == [ResolvedWorkspace(wid, "Acme", "premium", ORGANIZATION_ID),
                     ResolvedWorkspace(0, "New", missing=True)]
    with pytest.raises(UsageError, match="'New' was not found"):
        resolve_workspaces(client, ["Acme", "New"], organizations=["Org"])
    live = read_live_state(client, found[1], organization="Sandbox Organization")
    assert live.workspace_missing and live.read_counts == {"organizations": 1}


def test_repeated_rows_are_taken_once(sandbox: Sandbox, traced: Any, gaps: responses.RequestsMock) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _served(gaps, sandbox, wid, project_users=[
        {"id": 40, "project_id": 11, "user_id": 5}, {"id": 40, "project_id": 11, "user_id": 5},
        # a group's row (group_id set) is the group's membership, not the user's
        {"id": 45, "project_id": 11, "user_id": 6, "group_id": 3},
    ], project_groups=[{"id": 40, "project_id": 11, "group_id": 3}],
        tasks=[{"id": 1, "name": "T", "project_id": 11}, {"id": 1, "name": "T", "project_id": 11}])
    live = read_live_state(client, wid, reads=WorkspaceReads(members=True, tasks=True))
    # a project_user and a project_group may share an id: both are kept
    assert live.members == (LiveMember(40, 11, user_id=5), LiveMember(40, 11, group_id=3))
    assert live.tasks == (LiveTask(1, "T", 11),)


def _task_row(**fields: Any) -> dict[str, Any]:
    return {"id": 1, "name": "T", "project_id": 11, **fields}


def _member_row(**fields: Any) -> dict[str, Any]:
    return {"id": 40, "project_id": 11, "user_id": 5, **fields}


@pytest.mark.parametrize(("served", "message"), [
    # tasks: what a plan is built from, unreadable
    ({"tasks": [{"name": "T", "project_id": 11}]}, "a task has id null"),
    ({"tasks": [_task_row(id=True)]}, "a task has id true"),
    ({"tasks": [_task_row(id=5.7)]}, "a task has id 5.7"),
    ({"tasks": [_task_row(id="x")]}, "a task has id 'x'"),
    ({"tasks": [_task_row(name=None)]}, "task 1 has name null"),
    ({"tasks": [_task_row(name=7)]}, "task 1 has name 7"),
    ({"tasks": [{"id": 1, "name": "T"}]}, "task 1 has project_id null"),
    ({"tasks": [_task_row(project_id=False)]}, "task 1 has project_id false"),
    ({"tasks": [_task_row(active="false")]}, "task 1 has active 'false'"),
    ({"tasks": [_task_row(estimated_seconds="ten hours")]}, "estimated_seconds 'ten hours'"),
    ({"tasks": [_task_row(estimated_seconds=3600.5)]}, "estimated_seconds 3600.5"),
    # unreadable tracked time must not read as none: a delete would look free
    ({"tasks": [_task_row(tracked_seconds="lots")]}, "tracked_seconds 'lots'"),
    ({"tasks": [_task_row(tracked_seconds=-5000)]}, "tracked_seconds -5000"),
    ({"tasks": [_task_row(tracked_seconds=10**40)]}, "tracked_seconds a number of 41 digits"),
    ({"tasks": [_task_row(user_id="ana")]}, "task 1 has user_id 'ana'"),
    # project users
    ({"project_users": [_member_row(user_id=None)]}, "project user 40 has user_id null"),
    ({"project_users": [_member_row(project_id=None)]}, "project user 40 has project_id null"),
    ({"project_users": [{"project_id": 11, "user_id": 5}]}, "a project user has id null"),
    ({"project_users": [_member_row(manager="false")]}, "project user 40 has manager 'false'"),
    ({"project_users": [_member_row(rate="a lot")]}, "project user 40 has rate 'a lot'"),
    ({"project_users": [_member_row(rate=-5)]}, "project user 40 has rate -5"),
    ({"project_users": [_member_row(), _member_row(id=41)]}, "user 5 of project 11 is listed twice (rows 40 and 41)"),
    # project groups
    ({"project_groups": [{"id": 51, "project_id": 11}]}, "project group 51 has group_id null"),
    ({"project_groups": [{"id": 51, "project_id": 11, "group_id": 3}, {"id": 52, "project_id": 11, "group_id": 3}]},
     "group 3 of project 11 is listed twice (rows 51 and 52)"),
])
def test_an_unusable_row_is_one_clear_error_and_nothing_is_planned(
        sandbox: Sandbox, traced: Any, gaps: responses.RequestsMock, served: dict[str, Any], message: str) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _served(gaps, sandbox, wid, **served)
    with pytest.raises(UnexpectedResponseError) as raised:
        read_live_state(client, wid, reads=WorkspaceReads(members=True, tasks=True))
    assert message in str(raised.value)
    assert "nothing was planned" in str(raised.value) and sandbox.token not in str(raised.value)


@pytest.mark.parametrize("numeric", [{"rate": "120"}, {"rate": 120.5}, {"manager": None, "rate": None}])
def test_a_readable_row_in_another_json_spelling_is_read(sandbox: Sandbox, traced: Any,
                                                         gaps: responses.RequestsMock, numeric: dict[str, Any]) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _served(gaps, sandbox, wid, project_users=[_member_row(**numeric)],
            tasks={"data": [_task_row(tracked_seconds="7200000", estimated_seconds=3600.0, active=None)]})
    live = read_live_state(client, wid, reads=WorkspaceReads(members=True, tasks=True))
    assert live.tasks == (LiveTask(1, "T", 11, estimated_seconds=3600, tracked_seconds=7200),)
    assert len(live.members or ()) == 1


def test_a_free_workspace_spends_no_read_on_tasks_toggl_would_refuse(sandbox: Sandbox, traced: Any,
                                                                    gaps: responses.RequestsMock) -> None:
    client, events = traced
    wid = sandbox.store.ensure_workspace("Solo", tier="free")
    _served(gaps, sandbox, wid)
    gaps.replace(responses.GET, f"{sandbox.url}/api/v9/workspaces/{wid}/tasks", status=402,
                 json="Tasks available only for premium plans")
    live = read_live_state(client, "Solo", reads=WorkspaceReads(tasks=True))
    assert (live.tier, live.tasks) == ("free", ())
    assert not any(path.endswith("/tasks") for path in _paths(events))
    assert "tasks" not in live.read_counts


# ----- against the sandbox's own endpoints for the workspace kinds (once it serves them)

SANDBOX_SERVES_WORKSPACE_KINDS = importlib.util.find_spec("reconciler.sandbox.project_members") is not None
needs_kinds = pytest.mark.skipif(not SANDBOX_SERVES_WORKSPACE_KINDS,
                                 reason="this sandbox does not serve project members and tasks yet")


@pytest.fixture
def peopled() -> Iterator[tuple[Sandbox, TogglClient]]:
    """A sandbox with two more users than its own, and a client over real HTTP to it."""
    config = SandboxConfig(seed_demo=False, **({"users": ("ana@acme.test", "bo@acme.test")}
                                               if "users" in {f.name for f in fields(SandboxConfig)} else {}))
    server = Sandbox(config)
    server.start()
    env = {"TOGGL_API_TOKEN": server.token, "TOGGL_API_URL": server.url}
    with TogglClient(transport_from_env(env), backoff_base=0.001) as toggl:
        yield server, toggl
    server.stop()


@needs_kinds
def test_every_kind_read_back_from_the_sandbox_as_written(peopled: tuple[Sandbox, TogglClient]) -> None:
    sandbox, client = peopled
    wid = sandbox.store.ensure_workspace("Acme")
    ana = next(u for u in client.list_workspace_users(wid) if u.email == "ana@acme.test")
    project = client.create_project(wid, {"name": "Site"})
    group = client.create_group(ORGANIZATION_ID, "Designers", [ana.id], [wid])
    member = client.create_project_user(wid, project.id, ana.id, manager=True, rate=120)
    joined = client.create_project_group(wid, project.id, group.id)
    task = client.create_task(wid, project.id, {"name": "Wireframes", "estimated_seconds": 36000,
                                                "user_id": ana.id})
    done = client.create_task(wid, project.id, {"name": "Review", "active": False})
    for number in range(250):  # two pages of tasks
        client.create_task(wid, project.id, {"name": f"T{number}"})
    client.update_workspace_settings(wid, {"rounding_minutes": 15})

    live = read_live_state(client, "Acme", reads=WorkspaceReads.everything())
    assert live.read_counts == {"workspaces": 1, "clients": 1, "tags": 1, "projects": 1, "settings": 1,
                                "users": 1, "groups": 1, "members": 2, "tasks": 2}
    assert live.settings is not None and live.settings["rounding_minutes"] == 15
    assert live.users is not None and LiveUser(ana.id, "ana@acme.test", ana.fullname) in live.users
    assert live.groups == (LiveGroup(group.id, "Designers", (ana.id,), (wid,), live.groups[0].at),)
    assert live.members is not None and {(m.id, m.user_id, m.group_id, m.manager, m.rate) for m in live.members} == {
        (member.id, ana.id, None, True, 120.0), (joined.id, None, group.id, False, None)}
    assert live.tasks is not None and len(live.tasks) == 252
    by_id = {t.id: t for t in live.tasks}
    assert (by_id[task.id].estimated_seconds, by_id[task.id].user_id, by_id[task.id].active) == (36000, ana.id, True)
    assert by_id[done.id].active is False and by_id[done.id].user_id is None  # sent unassigned


@needs_kinds
def test_a_created_workspace_is_found_by_the_next_read(peopled: tuple[Sandbox, TogglClient]) -> None:
    sandbox, client = peopled
    sandbox.store.ensure_workspace("Acme")
    missing = read_live_state(client, "Brand New", organization=ORGANIZATION_NAME)
    assert missing.workspace_missing and missing.organization_id == ORGANIZATION_ID
    created = client.create_workspace(missing.organization_id, "Brand New")
    found = read_live_state(client, "Brand New", organization=ORGANIZATION_NAME)
    assert (found.workspace_missing, found.workspace_id) == (False, created.id)


# ----- users, groups and the workspace itself, answered wrongly


def _answer(gaps: responses.RequestsMock, sandbox: Sandbox, path: str, body: Any) -> None:
    gaps.get(f"{sandbox.url}/api/v9{path}", json=body)


def test_two_users_with_one_email_ignoring_case_are_refused(sandbox: Sandbox, traced: Any,
                                                            gaps: responses.RequestsMock) -> None:
    # Else a spec's `ana@acme.test` named whichever came last, and the other one's
    # memberships looked like someone else's to remove.
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _answer(gaps, sandbox, f"/workspaces/{wid}/users", [
        {"id": 5, "email": "Ana@Acme.test"}, {"id": 5, "email": "Ana@Acme.test"}, {"id": 6, "email": "ana@acme.test"}])
    with pytest.raises(UnexpectedResponseError, match=r"users 5 and 6 share the e-mail 'ana@acme.test'"):
        read_live_state(client, wid, reads=WorkspaceReads(users=True))


@pytest.mark.parametrize(("rows", "message"), [
    ([{"email": "a@x.test"}], "a user has id null"),
    ([{"id": "x", "email": "a@x.test"}], "a user has id 'x'"),
    ([{"id": 5, "email": ["a@x.test"]}], "user 5 has email a list"),
])
def test_a_user_without_a_usable_id_or_email_is_refused(sandbox: Sandbox, traced: Any, gaps: responses.RequestsMock,
                                                        rows: list[Any], message: str) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _answer(gaps, sandbox, f"/workspaces/{wid}/users", rows)
    with pytest.raises(UnexpectedResponseError, match=message):
        read_live_state(client, wid, reads=WorkspaceReads(users=True))


def test_inactive_users_and_users_without_an_email_are_users(sandbox: Sandbox, traced: Any,
                                                              gaps: responses.RequestsMock) -> None:
    # The choice written at live._read_users: a deactivated user still owns memberships.
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _answer(gaps, sandbox, f"/workspaces/{wid}/users", [
        {"id": 5, "email": "ana@acme.test", "is_active": False, "inactive": True},
        {"id": 6, "email": None}, {"id": 7}])
    live = read_live_state(client, wid, reads=WorkspaceReads(users=True))
    assert live.users == (LiveUser(5, "ana@acme.test"), LiveUser(6, ""), LiveUser(7, ""))


@pytest.mark.parametrize(("rows", "message"), [
    ([{"name": "Design"}], "a group has group_id null"),
    ([{"group_id": 3, "name": ""}], "group 3 has name ''"),
    ([{"group_id": 3, "name": None}], "group 3 has name null"),
    ([{"group_id": 3, "name": "D", "users": "everyone"}], "group 3 has users 'everyone'"),
    ([{"group_id": 3, "name": "D", "workspaces": {"id": 1}}], "group 3 has workspaces an object"),
    # a misread member would be dropped from the group by the PUT of a mere rename
    ([{"group_id": 3, "name": "D", "users": [{"user_id": 5}, {"name": "Ana"}]}], "group 3 has an entry in users that names no id (an object)"),
    ([{"group_id": 3, "name": "D", "users": [5, None]}], "group 3 has an entry in users that names no id (null)"),
    ([{"group_id": 3, "name": "D", "workspaces": [1, "two"]}], "group 3 has an entry in workspaces that names no id ('two')"),
])
def test_a_group_that_cannot_be_named_or_read_is_refused(sandbox: Sandbox, traced: Any, gaps: responses.RequestsMock,
                                                         rows: list[Any], message: str) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _answer(gaps, sandbox, f"/organizations/{ORGANIZATION_ID}/groups", rows)
    with pytest.raises(UnexpectedResponseError, match=re.escape(message)):
        read_live_state(client, wid, reads=WorkspaceReads(groups=True))


def test_groups_with_null_lists_and_repeats_are_read_once_each(sandbox: Sandbox, traced: Any,
                                                               gaps: responses.RequestsMock) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _answer(gaps, sandbox, f"/organizations/{ORGANIZATION_ID}/groups", [
        {"group_id": 3, "name": "Design", "users": None, "workspaces": None},
        {"group_id": 3, "name": "Design", "users": None, "workspaces": None},
        {"group_id": 4, "name": "design", "workspaces": [wid], "users": [{"user_id": 5}, 6, "7"]}])
    live = read_live_state(client, wid, reads=WorkspaceReads(groups=True))
    assert live.groups == (LiveGroup(3, "Design"), LiveGroup(4, "design", (5, 6, 7), (wid,)))


def _workspace_answer(sandbox: Sandbox, wid: int, **changes: Any) -> dict[str, Any]:
    answer = dict(sandbox.store.workspace(wid)) if hasattr(sandbox.store, "workspace") else {}
    return {"id": wid, "name": "Acme", "organization_id": ORGANIZATION_ID, "business_ws": True,
            "premium": True, "rounding": 1, **{k: v for k, v in answer.items() if k in SETTINGS_FIELDS},
            **changes}


@pytest.mark.parametrize(("changes", "message"), [
    ({"id": 999}, "the answer for workspace {wid} is about workspace 999"),
    ({"id": None}, "the answer for workspace {wid} is about workspace null"),
    ({"rounding": "1"}, "workspace {wid} has rounding '1'"),
    ({"rounding_minutes": 15.5}, "workspace {wid} has rounding_minutes 15.5"),
    ({"only_admins_may_create_tags": "false"}, "workspace {wid} has only_admins_may_create_tags 'false'"),
    ({"projects_billable_by_default": 0}, "workspace {wid} has projects_billable_by_default 0"),
    ({"default_currency": 978}, "workspace {wid} has default_currency 978"),
    ({"default_hourly_rate": "90"}, "workspace {wid} has default_hourly_rate '90'"),
    ({"default_hourly_rate": -1}, "workspace {wid} has default_hourly_rate -1"),
    ({"premium": "false"}, "workspace {wid} has premium 'false'"),
    ({"business_ws": 1}, "workspace {wid} has business_ws 1"),
    ({"organization_id": "acme"}, "workspace {wid} has organization_id 'acme'"),
])
def test_a_workspace_answer_about_another_or_with_misread_settings_is_refused(
        sandbox: Sandbox, traced: Any, gaps: responses.RequestsMock, changes: dict[str, Any], message: str) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    _answer(gaps, sandbox, f"/workspaces/{wid}", _workspace_answer(sandbox, wid, **changes))
    with pytest.raises(UnexpectedResponseError, match=message.format(wid=wid)):
        read_live_state(client, wid, reads=WorkspaceReads(settings=True))


def test_settings_absent_or_null_are_unknown_not_refused(sandbox: Sandbox, traced: Any,
                                                         gaps: responses.RequestsMock) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    answer = {"id": wid, "name": "Acme", "organization_id": ORGANIZATION_ID, "rounding": None,
              "default_hourly_rate": None, "reports_collapse": True}
    _answer(gaps, sandbox, f"/workspaces/{wid}", answer)
    live = read_live_state(client, wid, reads=WorkspaceReads(settings=True))
    assert live.settings == {"rounding": None, "default_hourly_rate": None, "reports_collapse": True}


def test_a_refused_answer_never_quotes_the_credential(sandbox: Sandbox, traced: Any,
                                                      gaps: responses.RequestsMock) -> None:
    client, _ = traced
    wid = sandbox.store.ensure_workspace("Acme")
    # the message quotes the second one's e-mail: the token itself
    _answer(gaps, sandbox, f"/workspaces/{wid}/users", [{"id": 5, "email": sandbox.token.upper()},
                                                         {"id": 6, "email": sandbox.token}])
    with pytest.raises(UnexpectedResponseError) as raised:
        read_live_state(client, wid, reads=WorkspaceReads(users=True))
    assert "share the e-mail '***'" in str(raised.value)
    assert sandbox.token not in str(raised.value)
