"""Workspace settings: one PUT /workspaces/{wid} with only the keys the plan changes."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from reconciler.engine.changes import same_value
from reconciler.engine.plan import Change
from reconciler.model import LiveState
from reconciler.writes.base import Batch, Handler, KindWriter, KindWrites, OpKind, WriteOp

UPDATE_SETTINGS = OpKind("update_settings")


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    yield WriteOp(UPDATE_SETTINGS, (index,))


class SettingsWriter(KindWriter):
    def handlers(self) -> Mapping[OpKind, Handler]:
        return {UPDATE_SETTINGS: self.update}

    def update(self, op: WriteOp) -> None:
        # Only the changed keys: a key left out keeps its value, and a Free workspace is never
        # sent a paid-only key the spec does not write.
        fields = {item.field: item.after for item in self.change(op).fields}
        self.ex.client.update_workspace_settings(self.wid, fields)

    def applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        raw = self.ex.client.get_workspace(self.wid).raw
        change = self.change(op)
        if all(same_value(f.field, raw.get(f.field), f.after) for f in change.fields):
            return set(op.change_indexes)
        return set()


def current(live: LiveState) -> dict[int, tuple[str | None, Mapping[str, Any]]]:
    if live.settings is None:
        return {}
    return {live.workspace_id: (None, dict(live.settings))}


WRITES = KindWrites(
    kind="settings",
    op_kinds=(UPDATE_SETTINGS,),
    ops_for=ops_for,
    writer=SettingsWriter,
    current=current,
    # The workspace's `at` is not part of the live state: a setting moved is seen by its value.
    has_at=False,
    was_read=lambda live: live.settings is not None or live.workspace_missing,
    same=lambda field_name, live, seen: same_value(field_name, live, seen),
)
