from __future__ import annotations

import pytest

from reconciler.engine.batching import MAX_BULK_IDS, WriteOp, count_writes, plan_writes, with_bill
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import LiveClient, LiveProject, LiveState, LiveTag, QuotaStatus
from reconciler.writes.base import OpKind
from reconciler.writes.clients import (
    ARCHIVE_CLIENTS,
    CREATE_CLIENT,
    DELETE_CLIENTS,
    RESTORE_CLIENT,
    UPDATE_CLIENT,
)
from reconciler.writes.projects import PATCH_PROJECTS, UPDATE_PROJECT


def project_change(action: Action, pid: int, *fields: FieldChange, name: str = "") -> Change:
    return Change(action=action, kind="project", address=name or f"p{pid}", name=name or f"p{pid}",
                  live_id=pid, live_at="2024-01-01T00:00:00+00:00", fields=fields)


def archive(pid: int) -> Change:
    return project_change(Action.ARCHIVE, pid, FieldChange("active", True, False))


def client_change(action: Action, cid: int | None, *fields: FieldChange) -> Change:
    return Change(action=action, kind="client", address=f"c{cid}", name=f"c{cid}", live_id=cid,
                  fields=fields)


def test_archiving_500_projects_takes_5_writes() -> None:
    changes = [archive(100_000_000 + i) for i in range(500)]
    ops = plan_writes(changes)
    assert [op.kind for op in ops] == [PATCH_PROJECTS] * 5
    assert sorted(i for op in ops for i in op.change_indexes) == list(range(500))
    assert all(len(op.change_indexes) <= MAX_BULK_IDS for op in ops)
    assert ops[0].patch == (("active", False),)


def test_a_single_project_change_is_a_plain_put() -> None:
    assert plan_writes([archive(1)]) == [WriteOp(UPDATE_PROJECT, (0,))]


def test_different_patches_make_different_batches() -> None:
    changes = [
        project_change(Action.UPDATE, 1, FieldChange("color", "#0b83d9", "#9e5bd9")),
        project_change(Action.UPDATE, 2, FieldChange("color", "#0b83d9", "#9e5bd9")),
        project_change(Action.UPDATE, 3, FieldChange("color", "#0b83d9", "#d94182")),
        project_change(Action.UPDATE, 4, FieldChange("color", "#0b83d9", "#d94182")),
    ]
    ops = plan_writes(changes)
    assert [(op.kind, op.change_indexes) for op in ops] == [
        (PATCH_PROJECTS, (0, 1)),
        (PATCH_PROJECTS, (2, 3)),
    ]


def test_renames_and_unpatchable_fields_need_a_put_each() -> None:
    changes = [
        project_change(Action.RENAME, 1, FieldChange("name", "a", "b")),
        project_change(Action.RENAME, 2, FieldChange("name", "c", "d")),
        project_change(Action.UPDATE, 3, FieldChange("rate", 1, 2)),
        project_change(Action.UPDATE, 4, FieldChange("rate", 1, 2)),
    ]
    assert [op.kind for op in plan_writes(changes)] == [UPDATE_PROJECT] * 4


def test_batches_never_cross_from_upserts_to_removals() -> None:
    restore = project_change(Action.RESTORE, 1, FieldChange("active", False, True))
    restore2 = project_change(Action.RESTORE, 2, FieldChange("active", False, True))
    ops = plan_writes([restore, restore2, archive(3), archive(4)])
    assert [op.change_indexes for op in ops] == [(0, 1), (2, 3)]


def test_client_archives_share_one_bulk_call_and_keep_their_place() -> None:
    changes = [
        client_change(Action.CREATE, None, FieldChange("name", None, "new")),
        client_change(Action.ARCHIVE, 1, FieldChange("archived", False, True)),
        client_change(Action.ARCHIVE, 2, FieldChange("archived", False, True)),
        client_change(Action.DELETE, 3),
        client_change(Action.DELETE, 4),
    ]
    kinds = [(op.kind, op.change_indexes) for op in plan_writes(changes)]
    assert kinds == [
        (CREATE_CLIENT, (0,)),
        (ARCHIVE_CLIENTS, (1, 2)),
        (DELETE_CLIENTS, (3, 4)),
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (client_change(Action.RESTORE, 1, FieldChange("archived", True, False),
                       FieldChange("notes", None, "x")), [UPDATE_CLIENT, RESTORE_CLIENT]),
        (client_change(Action.CREATE, None, FieldChange("archived", None, True)),
         [CREATE_CLIENT, ARCHIVE_CLIENTS]),
        (client_change(Action.RENAME, 1, FieldChange("name", "a", "b")), [UPDATE_CLIENT]),
    ],
)
def test_client_changes_that_need_two_writes(change: Change, expected: list[OpKind]) -> None:
    assert [op.kind for op in plan_writes([change])] == expected


def test_bill_counts_reads_writes_and_the_per_object_alternative() -> None:
    live = LiveState(
        workspace_id=1,
        clients=(LiveClient(1, "a"),),
        projects=tuple(LiveProject(i, f"p{i}") for i in range(1, 4)),
        tags=(LiveTag(1, "t"),),
        reads=3,
        quota=QuotaStatus(remaining=17, resets_in=600),
    )
    changes = tuple(archive(i) for i in range(1, 4))
    bill = with_bill(Plan(workspace_id=1, changes=changes), live).bill
    assert (bill.reads, bill.writes, bill.per_object_reads, bill.per_object_writes) == (3, 1, 6, 3)
    assert bill.quota == QuotaStatus(remaining=17, resets_in=600)
    assert count_writes(changes) == 1


def test_clients_created_archived_are_archived_right_after_their_own_create() -> None:
    changes = [client_change(Action.CREATE, None, FieldChange("archived", None, True)) for _ in range(2)]
    assert [(op.kind, op.change_indexes) for op in plan_writes(changes)] == [
        (CREATE_CLIENT, (0,)), (ARCHIVE_CLIENTS, (0,)),
        (CREATE_CLIENT, (1,)), (ARCHIVE_CLIENTS, (1,)),
    ]
