"""Groups: create with users by e-mail, read-modify-write updates, delete or detach."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.apply import ApplyFailed
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import LiveGroup, LiveState, LiveUser
from tests.writes.fakes import FakeGroup, FakeToggl, run

WID, OID, OTHER_WID = 55, 7, 66
USERS = (LiveUser(1, "ana@acme.test"), LiveUser(2, "Bo@Acme.test"), LiveUser(3, "cy@acme.test"))


def live(*groups: LiveGroup) -> LiveState:
    return LiveState(workspace_id=WID, organization_id=OID, users=USERS, groups=groups)


def group_change(action: Action, name: str, *fields: FieldChange, live_id: int | None = None,
                 **options: str) -> Change:
    return Change(action, "group", name, name, live_id=live_id, fields=fields, options=options)


def test_a_group_is_created_with_its_users_by_email_and_this_workspace() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=WID, changes=(group_change(
        Action.CREATE, "Designers", FieldChange("name", None, "Designers"),
        FieldChange("members", None, ["ana@acme.test", "bo@acme.test"])),))
    run(fake, plan, live())
    assert fake.writes() == [("create_group", (OID, "Designers", [1, 2], [WID]), {})]


def test_a_rename_sends_the_whole_group_back_as_the_plan_saw_it() -> None:
    fake = FakeToggl()
    fake.groups[9] = FakeGroup(9, "Design", (1, 3), (OTHER_WID, WID))
    plan = Plan(workspace_id=WID, changes=(group_change(
        Action.RENAME, "Designers", FieldChange("name", "Design", "Designers"), live_id=9),))
    run(fake, plan, live(LiveGroup(9, "Design", (1, 3), (OTHER_WID, WID))))
    # PUT replaces name, users and workspaces: the unmanaged users and other workspace stay.
    assert fake.writes() == [("update_group", (OID, 9, "Designers", [1, 3], [OTHER_WID, WID]), {})]


def test_a_members_update_replaces_the_users_and_keeps_the_workspaces() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=WID, changes=(group_change(
        Action.UPDATE, "Design", FieldChange("members", ["ana@acme.test"], ["bo@acme.test", "cy@acme.test"]),
        live_id=9),))
    run(fake, plan, live(LiveGroup(9, "Design", (1,), (OTHER_WID,))))
    assert fake.writes() == [("update_group", (OID, 9, "Design", [2, 3], [OTHER_WID, WID]), {})]


def test_removal_deletes_or_detaches_as_the_plan_says() -> None:
    fake = FakeToggl()
    fake.groups[9] = FakeGroup(9, "Solo", (1,), (WID,))
    fake.groups[10] = FakeGroup(10, "Shared", (2,), (WID, OTHER_WID))
    plan = Plan(workspace_id=WID, changes=(
        group_change(Action.DELETE, "Solo", live_id=9, group_removal="delete"),
        group_change(Action.DELETE, "Shared", live_id=10, group_removal="detach"),
    ))
    run(fake, plan, live(LiveGroup(9, "Solo", (1,), (WID,)), LiveGroup(10, "Shared", (2,), (WID, OTHER_WID))))
    assert fake.writes() == [("delete_group", (OID, 9), {}),
                             ("update_group", (OID, 10, "Shared", [2], [OTHER_WID]), {})]


def test_an_ambiguous_group_create_is_adopted_and_brought_to_the_spec() -> None:
    fake = FakeToggl()
    fake.fail("create_group", after_commit=True)
    plan = Plan(workspace_id=WID, changes=(group_change(
        Action.CREATE, "Designers", FieldChange("members", None, ["ana@acme.test"])),))
    result, events = run(fake, plan, live())
    assert len(fake.groups) == 1 and fake.names().count("create_group") == 1
    assert result.applied == 1 and any("adopted" in e.message for e in events)


def test_a_name_taken_group_is_adopted_and_attached_here() -> None:
    fake = FakeToggl()
    fake.groups[9] = FakeGroup(9, "Designers", (3,), (OTHER_WID,))  # made after the plan's read
    plan = Plan(workspace_id=WID, changes=(group_change(
        Action.CREATE, "Designers", FieldChange("members", None, ["ana@acme.test"])),))
    _, events = run(fake, plan, live())
    assert fake.writes()[-1] == ("update_group", (OID, 9, "Designers", [1], [OTHER_WID, WID]), {})
    assert any("differed from the spec (members, workspaces)" in e.message for e in events)


def test_an_unknown_email_stops_the_apply_before_the_write() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=WID, changes=(group_change(
        Action.CREATE, "Designers", FieldChange("members", None, ["nobody@acme.test"])),))
    with pytest.raises(ApplyFailed) as raised:
        run(fake, plan, live())
    assert fake.writes() == []
    assert "'nobody@acme.test' is not a user of the workspace" in str(raised.value)
    assert "0 of 1 changes applied" in str(raised.value)


def test_a_detach_committed_then_answered_500_is_read_back() -> None:
    fake = FakeToggl()
    fake.groups[10] = FakeGroup(10, "Shared", (2,), (WID, OTHER_WID))
    fake.fail("update_group", after_commit=True)
    plan = Plan(workspace_id=WID, changes=(
        group_change(Action.DELETE, "Shared", live_id=10, group_removal="detach"),))
    result, _ = run(fake, plan, live(LiveGroup(10, "Shared", (2,), (WID, OTHER_WID))))
    assert (result.applied, result.ambiguous_writes) == (1, 1)
    assert fake.names().count("update_group") == 1


def test_an_update_without_the_groups_read_uses_what_the_plan_recorded() -> None:
    fake = FakeToggl()
    change = group_change(Action.UPDATE, "Design", FieldChange("members", [], ["ana@acme.test"]),
                          live_id=9)
    change = replace(change, options={"user_ids": [1], "workspace_ids": [OTHER_WID, WID]})
    run(fake, Plan(workspace_id=WID, changes=(change,)),
        LiveState(workspace_id=WID, organization_id=OID))
    assert fake.writes() == [("update_group", (OID, 9, "Design", [1], [OTHER_WID, WID]), {})]
