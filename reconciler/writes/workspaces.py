"""The workspace itself: created in its organization when the spec's workspace is missing.

The plan's workspace_id is 0 then; the new workspace's id becomes every later op's workspace
(`IdBook.workspace_id`), so one apply bootstraps the workspace and everything in it. Whether the workspace exists by
now (`apply --plan`) is the create's fingerprint, checked by engine.fingerprint.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from reconciler.engine.plan import Change
from reconciler.writes.base import (
    ApplyFailed,
    Batch,
    Handler,
    KindWriter,
    KindWrites,
    OpKind,
    WriteOp,
    find_by_name,
)

CREATE_WORKSPACE = OpKind("create_workspace")


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    yield WriteOp(CREATE_WORKSPACE, (index,))


class WorkspaceWriter(KindWriter):
    def __init__(self, executor: Any) -> None:
        super().__init__(executor)
        for change in executor.changes:
            if change.kind == "workspace" and executor.ids.organization_id is None:
                executor.ids.organization_id = _organization_id(change)

    def handlers(self) -> Mapping[OpKind, Handler]:
        return {CREATE_WORKSPACE: self.create}

    def create(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        oid = _organization_id(change)
        if oid is None:
            raise ApplyFailed(f"the plan creates workspace {change.name!r} but names no organization")

        def create() -> Any:
            return self.ex.client.create_workspace(oid, change.name)

        def find(thorough: bool = False) -> Any | None:
            if thorough:  # the one listing below is complete
                return None
            mine = [w for w in self.ex.client.list_workspaces() if w.organization_id == oid]
            return find_by_name(mine, change.name)

        created = self.ex.create_once(create, find, change)
        self.ex.object_ids[index] = created.id
        self.ex.ids.workspace_id = created.id
        self.ex.ids.organization_id = oid


def _organization_id(change: Change) -> int | None:
    value = change.options.get("organization_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


WRITES = KindWrites(
    kind="workspace",
    op_kinds=(CREATE_WORKSPACE,),
    ops_for=ops_for,
    writer=WorkspaceWriter,
)
