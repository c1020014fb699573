"""The workspace kinds' writes and their bill: one module per kind, bulk calls where Toggl has them."""

from __future__ import annotations

from reconciler.engine.batching import count_writes, plan_writes, with_bill
from reconciler.engine.plan import Action, Change, FieldChange, Plan, writes_by_kind
from reconciler.model import LiveState, LiveTask, LiveUser
from reconciler.writes.groups import DELETE_GROUP, DETACH_GROUP, UPDATE_GROUP
from reconciler.writes.members import (
    CREATE_PROJECT_GROUP,
    CREATE_PROJECT_USER,
    DELETE_PROJECT_GROUP,
    PATCH_PROJECT_USERS,
    UPDATE_PROJECT_USER,
)
from reconciler.writes.tasks import CREATE_TASK, DELETE_TASK, PATCH_TASKS, UPDATE_TASK


def task(action: Action, tid: int | None, *fields: FieldChange, project: str = "P") -> Change:
    return Change(action, "task", f"{project}/t{tid}", f"t{tid}", parent=project, live_id=tid,
                  fields=fields)


def member(action: Action, mid: int | None, *fields: FieldChange, kind: str = "user") -> Change:
    return Change(action, "member", f"P/{kind}:m{mid}", f"m{mid}", parent="P", live_id=mid,
                  fields=fields, options={"member": kind})


def test_archives_batch_per_project_and_phase() -> None:
    archive = FieldChange("active", True, False)
    changes = [task(Action.ARCHIVE, 1, archive), task(Action.ARCHIVE, 2, archive),
               task(Action.ARCHIVE, 3, archive, project="Q"), task(Action.ARCHIVE, 4, archive, project="Q"),
               task(Action.RESTORE, 5, FieldChange("active", False, True)),
               task(Action.CREATE, None), task(Action.DELETE, 6)]
    assert [(op.kind, op.change_indexes) for op in plan_writes(changes)] == [
        (PATCH_TASKS, (0, 1)), (PATCH_TASKS, (2, 3)), (UPDATE_TASK, (4,)),
        (CREATE_TASK, (5,)), (DELETE_TASK, (6,))]


def test_250_task_archives_in_one_project_take_3_writes() -> None:
    changes = [task(Action.ARCHIVE, 10_000 + i, FieldChange("active", True, False)) for i in range(250)]
    ops = plan_writes(changes)
    assert [len(op.change_indexes) for op in ops] == [100, 100, 50]
    assert {op.kind for op in ops} == {PATCH_TASKS}


def test_a_rename_with_an_archive_is_a_put() -> None:
    change = task(Action.ARCHIVE, 1, FieldChange("name", "a", "b"), FieldChange("active", True, False))
    assert [op.kind for op in plan_writes([change, change])] == [UPDATE_TASK, UPDATE_TASK]


def test_member_updates_with_the_same_patch_share_a_call() -> None:
    manager = FieldChange("manager", False, True)
    changes = [member(Action.UPDATE, 1, manager), member(Action.UPDATE, 2, manager),
               member(Action.UPDATE, 3, FieldChange("rate", None, 5)),
               member(Action.CREATE, None), member(Action.CREATE, None, kind="group"),
               member(Action.DELETE, 4, kind="group")]
    ops = plan_writes(changes)
    assert [(op.kind, op.change_indexes) for op in ops] == [
        (PATCH_PROJECT_USERS, (0, 1)), (UPDATE_PROJECT_USER, (2,)),
        (CREATE_PROJECT_USER, (3,)), (CREATE_PROJECT_GROUP, (4,)), (DELETE_PROJECT_GROUP, (5,))]
    assert ops[0].patch == (("manager", True),)


def test_group_removals_follow_the_plan() -> None:
    changes = [Change(Action.DELETE, "group", "a", "a", live_id=1, options={"group_removal": "delete"}),
               Change(Action.DELETE, "group", "b", "b", live_id=2, options={"group_removal": "detach"}),
               Change(Action.RENAME, "group", "c", "c", live_id=3, fields=(FieldChange("name", "x", "c"),))]
    assert [op.kind for op in plan_writes(changes)] == [DELETE_GROUP, DETACH_GROUP, UPDATE_GROUP]


def test_the_bill_prices_every_kind_and_counts_the_per_object_reads() -> None:
    archive = FieldChange("active", True, False)
    changes = (Change(Action.UPDATE, "settings", "settings", "W", live_id=1,
                      fields=(FieldChange("rounding", 0, 1), FieldChange("rounding_minutes", 0, 15))),
               *(task(Action.ARCHIVE, i, archive) for i in range(1, 4)),
               member(Action.CREATE, None))
    live = LiveState(workspace_id=1, users=(LiveUser(1, "a@b.c"),),
                     tasks=tuple(LiveTask(i, f"t{i}", 9) for i in range(1, 4)), reads=5)
    bill = with_bill(Plan(workspace_id=1, changes=changes), live).bill
    assert bill.writes_by_kind == {"settings": 1, "task": 1, "member": 1}
    assert (bill.writes, bill.per_object_writes, bill.per_object_reads) == (3, 5, 1 + 1 + 3)
    assert writes_by_kind(changes, count_writes) == bill.writes_by_kind
    assert sum(bill.writes_by_kind.values()) == count_writes(changes)
    assert bill.to_json()["writes_by_kind"] == {"settings": 1, "task": 1, "member": 1}
