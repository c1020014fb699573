"""The workspace kinds' writes over real HTTP against the sandbox, through the faults it injects:
a write committed and then answered 500 is adopted or read back, never sent twice.

These need the client methods and sandbox endpoints of issue 12; on a tree without them (a
branch before the merge) the module is skipped as a whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.apply import Executor
from reconciler.writes.base import ApplyFailed
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import LiveState
from reconciler.sandbox import Sandbox
from reconciler.toggl import TogglClient

live_module = pytest.importorskip("reconciler.live")
if not hasattr(TogglClient, "list_tasks") or not hasattr(live_module, "WorkspaceReads"):
    pytest.skip("the issue 12 client and live read are not on this tree", allow_module_level=True)

USERS = ("ana@acme.test", "bo@acme.test")


def read(client: TogglClient, wid: int) -> LiveState:
    return live_module.read_live_state(client, wid, None, live_module.WorkspaceReads.everything())


def applied(client: TogglClient, plan: Plan, live: LiveState) -> tuple[Any, list[str]]:
    notes: list[str] = []
    result = Executor(client, plan, live, on_event=lambda e: notes.append(e.message)).run()
    return result, notes


@pytest.fixture
def wid(sandbox: Sandbox) -> int:
    workspace = sandbox.store.ensure_workspace("W")
    sandbox.store.add_users(USERS)
    return workspace


def test_committed_creates_answered_500_are_adopted_without_duplicates(
        sandbox: Sandbox, client: TogglClient, wid: int) -> None:
    project = sandbox.store.add_project(wid, "Site")
    live = read(client, wid)
    sandbox.configure(fail_after=1.0)  # every write is committed, then answered 500
    plan = Plan(workspace_id=wid, changes=(
        Change(Action.CREATE, "group", "Designers", "Designers",
               fields=(FieldChange("members", None, ["ana@acme.test"]),)),
        Change(Action.CREATE, "member", "Site/user:bo@acme.test", "bo@acme.test", parent="Site",
               fields=(FieldChange("manager", None, True),), options={"member": "user"}),
        Change(Action.CREATE, "member", "Site/group:Designers", "Designers", parent="Site",
               options={"member": "group"}),
        Change(Action.CREATE, "task", "Site/Wireframes", "Wireframes", parent="Site",
               fields=(FieldChange("estimated_hours", None, 2),)),
    ))
    result, notes = applied(client, plan, live)
    sandbox.configure(fail_after=0.0)
    assert (result.applied, result.total) == (4, 4)
    assert sum("adopted" in note for note in notes) == 4
    now = read(client, wid)
    assert [g.name for g in now.groups or ()] == ["Designers"]
    assert [(m.project_id, m.group_id is not None) for m in now.members or ()] == [
        (project, False), (project, True)]
    [task] = now.tasks or ()
    assert (task.name, task.estimated_seconds) == ("Wireframes", 7200)


def test_a_bulk_task_archive_committed_then_answered_500_is_read_back(
        sandbox: Sandbox, client: TogglClient, wid: int) -> None:
    project = sandbox.store.add_project(wid, "Site")
    for number in range(3):
        sandbox.store.add_task(wid, project, f"T{number}")
    live = read(client, wid)
    plan = Plan(workspace_id=wid, changes=tuple(
        Change(Action.ARCHIVE, "task", f"Site/{t.name}", t.name, parent="Site", live_id=t.id,
               live_at=t.at, fields=(FieldChange("active", True, False),)) for t in live.tasks or ()))
    sandbox.configure(fail_after=1.0)
    writes_before, retries_before = client.stats.writes, client.stats.retries
    result = Executor(client, plan, live).run()
    sandbox.configure(fail_after=0.0)
    assert (result.applied, result.ambiguous_writes) == (3, 1)
    # One PATCH (the client's own retries of it aside), then read back: not sent one by one.
    assert client.stats.writes - writes_before - (client.stats.retries - retries_before) == 1
    assert not any(task.active for task in read(client, wid).tasks or ())


def test_settings_and_group_membership_round_trip(sandbox: Sandbox, client: TogglClient,
                                                  wid: int) -> None:
    live = read(client, wid)
    group_plan = Plan(workspace_id=wid, changes=(
        Change(Action.UPDATE, "settings", "settings", "W", live_id=wid,
               fields=(FieldChange("rounding_minutes", None, 15),)),
        Change(Action.CREATE, "group", "Designers", "Designers",
               fields=(FieldChange("members", None, ["ana@acme.test"]),)),
    ))
    applied(client, group_plan, live)
    live = read(client, wid)
    [group] = live.groups or ()
    update = Plan(workspace_id=wid, changes=(
        Change(Action.UPDATE, "group", "Designers", "Designers", live_id=group.id, live_at=group.at,
               fields=(FieldChange("members", ["ana@acme.test"], ["ana@acme.test", "bo@acme.test"]),)),))
    applied(client, update, live)
    now = read(client, wid)
    emails = {user.id: user.email for user in now.users or ()}
    [group] = now.groups or ()
    assert sorted(emails[uid] for uid in group.user_ids) == sorted(USERS)
    assert wid in group.workspace_ids
    assert (now.settings or {}).get("rounding_minutes") == 15


# ----- a write answered 200 with something else than was sent


@pytest.fixture
def gaps(sandbox: Sandbox) -> Any:
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(sandbox.url)
        yield mock


def _settings_plan(wid: int, before: Any, after: Any) -> Plan:
    return Plan(workspace_id=wid, changes=(Change(
        Action.UPDATE, "settings", "settings", "W", live_id=wid,
        fields=(FieldChange("rounding_minutes", before, after),)),))


def test_a_settings_put_answered_with_the_old_values_is_no_success(
        sandbox: Sandbox, client: TogglClient, wid: int, gaps: Any) -> None:
    # Before: the 200 was taken as done and apply reported 1 of 1 applied; nothing changed.
    live = read(client, wid)
    unchanged = dict(client.get_workspace(wid).raw)
    gaps.put(f"{sandbox.url}/api/v9/workspaces/{wid}", json=unchanged)
    with pytest.raises(ApplyFailed) as raised:
        applied(client, _settings_plan(wid, unchanged.get("rounding_minutes"), 15), live)
    assert "rounding_minutes 0 after it was sent 15" in str(raised.value)
    assert "0 of 1 changes applied" in str(raised.value)
    assert sandbox.token not in str(raised.value)


def test_a_settings_put_that_answers_oddly_but_was_made_is_confirmed_by_reading_back(
        sandbox: Sandbox, client: TogglClient, wid: int, gaps: Any) -> None:
    live = read(client, wid)
    client.update_workspace_settings(wid, {"rounding_minutes": 15})  # made, as if by this PUT
    gaps.put(f"{sandbox.url}/api/v9/workspaces/{wid}", json={"id": wid, "rounding_minutes": 0})
    result, notes = applied(client, _settings_plan(wid, 0, 15), live)
    assert (result.applied, result.total) == (1, 1)
    assert any("confirmed by reading back" in note for note in notes)


def test_a_task_create_answered_with_another_task_stops_the_apply(
        sandbox: Sandbox, client: TogglClient, wid: int, gaps: Any) -> None:
    project = sandbox.store.add_project(wid, "Site")
    live = read(client, wid)
    gaps.post(f"{sandbox.url}/api/v9/workspaces/{wid}/projects/{project}/tasks",
              json={"id": 99, "name": "Something else", "project_id": project})
    plan = Plan(workspace_id=wid, changes=(
        Change(Action.CREATE, "task", "Site/Wireframes", "Wireframes", parent="Site"),
        Change(Action.CREATE, "member", "Site/user:bo@acme.test", "bo@acme.test", parent="Site",
               options={"member": "user"}),
    ))
    with pytest.raises(ApplyFailed) as raised:
        applied(client, plan, live)
    message = str(raised.value)
    assert "name 'Something else' after it was sent 'Wireframes'" in message
    assert "0 of 2 changes applied" in message and "Run plan to see the workspace" in message


def test_updates_and_removals_of_every_kind_committed_then_answered_500_are_read_back(
        sandbox: Sandbox, client: TogglClient, wid: int) -> None:
    # Member PUTs, a project group, a group rename and delete, a task rename and delete, a
    # setting: every write is committed and answered 500 (and so is each retry).
    project = sandbox.store.add_project(wid, "Site")
    for number in range(2):
        sandbox.store.add_task(wid, project, f"T{number}")
    Executor(client, Plan(workspace_id=wid, changes=(
        Change(Action.CREATE, "group", "Designers", "Designers", fields=(FieldChange("members", None, ["ana@acme.test"]),)),
        Change(Action.CREATE, "group", "Old", "Old"),
        *(Change(Action.CREATE, "member", f"Site/user:{email}", email, parent="Site", options={"member": "user"})
          for email in USERS),
        Change(Action.CREATE, "member", "Site/group:Designers", "Designers", parent="Site", options={"member": "group"}),
    )), read(client, wid)).run()
    live = read(client, wid)
    groups = {g.name: g for g in live.groups or ()}
    tasks = {t.name: t for t in live.tasks or ()}
    users, group_row = [m for m in live.members or () if m.user_id], next(m for m in live.members or () if m.group_id)
    plan = Plan(workspace_id=wid, changes=(
        *(Change(Action.UPDATE, "member", f"Site/user:{m.user_id}", str(m.user_id), parent="Site", live_id=m.id,
                 live_at=m.at, fields=(FieldChange("manager", False, True),), options={"member": "user"})
          for m in users),
        Change(Action.DELETE, "member", "Site/group:Designers", "Designers", parent="Site", live_id=group_row.id,
               live_at=group_row.at, options={"member": "group"}),
        Change(Action.UPDATE, "group", "Designers", "Design", live_id=groups["Designers"].id,
               live_at=groups["Designers"].at, fields=(FieldChange("name", "Designers", "Design"),)),
        Change(Action.DELETE, "group", "Old", "Old", live_id=groups["Old"].id, live_at=groups["Old"].at,
               options={"group_removal": "delete"}),
        Change(Action.UPDATE, "task", "Site/T0", "T0x", parent="Site", live_id=tasks["T0"].id, live_at=tasks["T0"].at,
               fields=(FieldChange("name", "T0", "T0x"),)),
        Change(Action.DELETE, "task", "Site/T1", "T1", parent="Site", live_id=tasks["T1"].id, live_at=tasks["T1"].at),
        Change(Action.UPDATE, "settings", "settings", "W", live_id=wid, fields=(FieldChange("rounding_minutes", 0, 15),)),
    ))
    sandbox.configure(fail_after=1.0)
    result, notes = applied(client, plan, live)
    sandbox.configure(fail_after=0.0)
    assert (result.applied, result.total) == (len(plan.changes), len(plan.changes))
    assert sum("confirmed by reading back" in note for note in notes) == result.ambiguous_writes >= 6
    now = read(client, wid)
    assert [g.name for g in now.groups or ()] == ["Design"]
    assert sorted((m.manager, m.group_id) for m in now.members or ()) == [(True, None), (True, None)]
    assert [t.name for t in now.tasks or ()] == ["T0x"]
    assert (now.settings or {}).get("rounding_minutes") == 15


def test_a_bulk_task_archive_answered_with_no_news_is_read_back_not_taken_as_done(
        sandbox: Sandbox, client: TogglClient, wid: int, gaps: Any) -> None:
    # A 200 with `null` and nothing done: it counted as 3 of 3 archived, and all stayed open.
    project = sandbox.store.add_project(wid, "Site")
    for number in range(3):
        sandbox.store.add_task(wid, project, f"T{number}")
    live = read(client, wid)
    ids = ",".join(str(t.id) for t in live.tasks or ())
    gaps.patch(f"{sandbox.url}/api/v9/workspaces/{wid}/projects/{project}/tasks/{ids}", body="null")
    plan = Plan(workspace_id=wid, changes=tuple(
        Change(Action.ARCHIVE, "task", f"Site/{t.name}", t.name, parent="Site", live_id=t.id,
               live_at=t.at, fields=(FieldChange("active", True, False),)) for t in live.tasks or ()))
    result, _ = applied(client, plan, live)
    assert result.applied == 3
    assert not any(task.active for task in read(client, wid).tasks or ())


def test_a_bulk_member_patch_answered_with_no_news_is_read_back_not_taken_as_done(
        sandbox: Sandbox, client: TogglClient, wid: int, gaps: Any) -> None:
    sandbox.store.add_project(wid, "Site")
    Executor(client, Plan(workspace_id=wid, changes=tuple(
        Change(Action.CREATE, "member", f"Site/user:{email}", email, parent="Site", options={"member": "user"})
        for email in USERS)), read(client, wid)).run()
    live = read(client, wid)
    members = [m for m in live.members or () if m.user_id]
    ids = ",".join(str(m.id) for m in members)
    gaps.patch(f"{sandbox.url}/api/v9/workspaces/{wid}/project_users/{ids}", json={"ok": True})
    plan = Plan(workspace_id=wid, changes=tuple(
        Change(Action.UPDATE, "member", f"Site/user:{m.user_id}", str(m.user_id), parent="Site", live_id=m.id,
               live_at=m.at, fields=(FieldChange("manager", False, True),), options={"member": "user"})
        for m in members))
    result, _ = applied(client, plan, live)
    assert result.applied == 2
    assert all(m.manager for m in read(client, wid).members or ())
