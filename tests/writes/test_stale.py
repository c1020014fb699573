"""`apply --plan` for the workspace kinds: what moved since the plan, what a create now collides with."""

from __future__ import annotations

from reconciler.apply import stale_objects
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import (
    LiveClient,
    LiveGroup,
    LiveMember,
    LiveProject,
    LiveState,
    LiveTask,
    LiveUser,
)

WID = 55
AT, LATER = "2026-01-01T00:00:00+00:00", "2026-01-01T00:05:00+00:00"
USERS = (LiveUser(1, "ana@acme.test"), LiveUser(2, "bo@acme.test"))


def live(**kinds: object) -> LiveState:
    base: dict[str, object] = dict(workspace_id=WID, workspace_name="Acme", users=USERS,
                                   clients=(LiveClient(5, "Globex"),),
                                   projects=(LiveProject(40, "Site", client_id=5),),
                                   groups=(), members=(), tasks=(), settings={})
    base.update(kinds)
    return LiveState(**base)  # type: ignore[arg-type]


def plan(*changes: Change) -> Plan:
    return Plan(workspace_id=WID, changes=changes)


def test_a_task_edited_since_the_plan_is_stale() -> None:
    change = Change(Action.RENAME, "task", "Globex/Site/B", "B", parent="Globex/Site", live_id=7,
                    live_at=AT, fields=(FieldChange("name", "A", "B"),))
    assert stale_objects(plan(change), live(tasks=(LiveTask(7, "A", 40, at=AT),))) == []
    assert stale_objects(plan(change), live(tasks=(LiveTask(7, "A", 40, at=LATER),))) == [
        f"task 'Globex/Site/B' (id 7) changed since the plan (at {LATER}, the plan saw {AT})"]
    assert stale_objects(plan(change), live()) == ["task 'Globex/Site/B' (id 7) no longer exists"]


def test_a_member_create_that_now_exists_is_stale() -> None:
    change = Change(Action.CREATE, "member", "Globex/Site/user:ANA@acme.test", "ANA@acme.test",
                    parent="Globex/Site", options={"member": "user"}, fingerprint={"project_id": 40})
    assert stale_objects(plan(change), live()) == []
    now = live(members=(LiveMember(100, 40, user_id=1, at=AT),))
    assert stale_objects(plan(change), now) == [
        "member 'Globex/Site/user:ANA@acme.test' now exists, but the plan creates it"]


def test_group_members_are_compared_ignoring_the_case_of_emails() -> None:
    change = Change(Action.UPDATE, "group", "Designers", "Designers", live_id=9, live_at=AT,
                    fields=(FieldChange("members", ["ANA@acme.test"], ["bo@acme.test"]),))
    assert stale_objects(plan(change), live(groups=(LiveGroup(9, "Designers", (1,), (WID,), at=AT),))) == []
    moved = live(groups=(LiveGroup(9, "Designers", (2,), (WID,), at=AT),))
    assert len(stale_objects(plan(change), moved)) == 1


def test_a_setting_changed_since_the_plan_is_stale() -> None:
    change = Change(Action.UPDATE, "settings", "settings", "Acme", live_id=WID,
                    fields=(FieldChange("rounding", 0, 1),))
    assert stale_objects(plan(change), live(settings={"rounding": 0})) == []
    assert stale_objects(plan(change), live(settings={"rounding": -1})) == [
        f"settings 'settings' (id {WID}) changed since the plan (at None, the plan saw None)"]


def test_a_kind_the_fresh_read_left_out_refuses_the_plan() -> None:
    change = Change(Action.RENAME, "task", "Globex/Site/B", "B", parent="Globex/Site", live_id=7,
                    live_at=AT, fields=(FieldChange("name", "A", "B"),))
    assert stale_objects(plan(change), live(tasks=None)) == [
        "the plan changes tasks, but the workspace's tasks were not read to check it"]


def test_an_estimate_shown_rounded_in_the_plan_is_not_taken_for_an_edit() -> None:
    change = Change(Action.UPDATE, "task", "Globex/Site/A", "A", parent="Globex/Site", live_id=7,
                    live_at=AT, fields=(FieldChange("estimated_hours", 1.3336, 2),))
    seen = live(tasks=(LiveTask(7, "A", 40, estimated_seconds=4801, at=AT),))
    assert stale_objects(plan(change), seen) == []
    edited = live(tasks=(LiveTask(7, "A", 40, estimated_seconds=4860, at=AT),))
    assert len(stale_objects(plan(change), edited)) == 1
