"""Tags: create, rename, delete (Toggl has no archive for tags)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from reconciler.engine.plan import Action, Change
from reconciler.model import LiveState, name_key
from reconciler.toggl.types import Tag
from reconciler.writes.base import (
    Batch,
    Handler,
    KindWriter,
    KindWrites,
    OpKind,
    WriteOp,
    find_by_name,
    ignore_not_found,
)

CREATE_TAG = OpKind("create_tag")
RENAME_TAG = OpKind("rename_tag")
DELETE_TAG = OpKind("delete_tag")

_SINGLE_OP: Mapping[Action, OpKind] = {
    Action.CREATE: CREATE_TAG,
    Action.RENAME: RENAME_TAG,
    Action.UPDATE: RENAME_TAG,
    Action.DELETE: DELETE_TAG,
}


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    yield WriteOp(_SINGLE_OP[change.action], (index,))


class TagWriter(KindWriter):
    def handlers(self) -> Mapping[OpKind, Handler]:
        return {CREATE_TAG: self.create, RENAME_TAG: self.rename, DELETE_TAG: self.delete}

    def create(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]

        def create() -> Tag:
            return self.ex.client.create_tag(self.wid, change.name)

        def find(thorough: bool = False) -> Tag | None:
            if thorough:  # the one read below is already complete
                return None
            return find_by_name(self.ex.client.list_tags(self.wid), change.name)

        def reconcile(found: Tag) -> list[str]:
            if found.name == change.name:
                return []
            self.ex.client.rename_tag(self.wid, found.id, change.name)
            return ["name"]

        self.ex.object_ids[index] = self.ex.create_once(create, find, change, reconcile).id

    def rename(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        self.ex.client.rename_tag(self.wid, self.live_id(index), self.ex.changes[index].name)

    def delete(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        ignore_not_found(lambda: self.ex.client.delete_tag(self.wid, self.live_id(index)))


def current(live: LiveState) -> dict[int, tuple[str | None, Mapping[str, Any]]]:
    return {t.id: (t.at, {"name": t.name}) for t in live.tags}


def taken(live: LiveState) -> set[Any]:
    return {name_key(t.name) for t in live.tags}


WRITES = KindWrites(
    kind="tag",
    op_kinds=(CREATE_TAG, RENAME_TAG, DELETE_TAG),
    ops_for=ops_for,
    writer=TagWriter,
    current=current,
    taken=taken,
)
