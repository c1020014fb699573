"""Clients: create, update (rename, notes), archive and delete in bulk, restore with projects."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from reconciler.engine.changes import same_value
from reconciler.engine.plan import Action, Change
from reconciler.model import LiveState, name_key
from reconciler.toggl.types import Client
from reconciler.writes.base import (
    Batch,
    Handler,
    KindWriter,
    KindWrites,
    OpKind,
    WriteOp,
    chunks,
    find_by_name,
    ignore_not_found,
)

CREATE_CLIENT = OpKind("create_client")
UPDATE_CLIENT = OpKind("update_client")
RESTORE_CLIENT = OpKind("restore_client")
ARCHIVE_CLIENTS = OpKind("archive_clients")
DELETE_CLIENTS = OpKind("delete_clients")

_SINGLE_OP: Mapping[Action, OpKind] = {
    Action.CREATE: CREATE_CLIENT,
    Action.UPDATE: UPDATE_CLIENT,
    Action.RENAME: UPDATE_CLIENT,
    Action.RESTORE: RESTORE_CLIENT,
    Action.ARCHIVE: ARCHIVE_CLIENTS,
    Action.DELETE: DELETE_CLIENTS,
}
_GROUPABLE = frozenset({ARCHIVE_CLIENTS, DELETE_CLIENTS})
_STATE_FIELDS = frozenset({"archived"})


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    # Toggl's client PUT cannot (un)archive and archive/restore cannot rename, so a client change
    # that does both needs one write of each kind.
    op_kind = _SINGLE_OP[change.action]
    other_fields = [f for f in change.fields if f.field not in _STATE_FIELDS]
    if change.action in (Action.RESTORE, Action.ARCHIVE) and other_fields:
        yield WriteOp(UPDATE_CLIENT, (index,))
    if op_kind in _GROUPABLE:
        yield Batch("client", op_kind.value)
        return
    yield WriteOp(op_kind, (index,))
    if change.action is Action.CREATE and change.after("archived") is True:
        # Right after its create: a shared batch would run before later creates gave their ids,
        # and joining the removals' batch would pull the removals up to the creates' phase.
        yield WriteOp(ARCHIVE_CLIENTS, (index,))


def split_batch(batch: Batch, indexes: list[int], changes: Sequence[Change]) -> list[WriteOp]:
    op_kind = ARCHIVE_CLIENTS if batch.key == ARCHIVE_CLIENTS.value else DELETE_CLIENTS
    return [WriteOp(op_kind, chunk) for chunk in chunks(indexes, changes)]


class ClientWriter(KindWriter):
    def __init__(self, executor: Any) -> None:
        super().__init__(executor)
        live, changes, ids = executor.live, executor.changes, executor.ids
        self.live_notes: dict[int, str | None] = {c.id: c.notes for c in live.clients}
        # Projects name their client as it is after the plan: a client renamed in the same plan
        # (even one renamed by its phase-6 archive) is known by its new name from the start.
        # Two live clients may differ only in case: the exact (NFC) spelling decides first.
        for client in live.clients:
            ids.add_client(client.name, client.id)
        for change in changes:
            if change.kind == "client" and change.live_id is not None:
                ids.add_client(change.name, change.live_id)

    def handlers(self) -> Mapping[OpKind, Handler]:
        return {CREATE_CLIENT: self.create, UPDATE_CLIENT: self.update,
                RESTORE_CLIENT: self.restore, ARCHIVE_CLIENTS: self.archive,
                DELETE_CLIENTS: self.delete}

    def create(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        notes = change.after("notes")

        def create() -> Client:
            return self.ex.client.create_client(self.wid, change.name, notes=notes)

        def find(thorough: bool = False) -> Client | None:
            # Thorough: without the `name` filter, whose matching rules Toggl does not document.
            return find_by_name(self.ex.client.list_clients(
                self.wid, status="both", name=None if thorough else change.name), change.name)

        new_id = self.ex.create_once(create, find, change,
                                     lambda found: self._reconcile(found, change)).id
        self.ex.object_ids[index] = new_id
        self.ex.ids.add_client(change.name, new_id)

    def update(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        client_id = self.live_id(index)
        # Toggl's client PUT wants the whole client (name every time); whether it keeps fields
        # left out is undocumented, so notes the plan does not change are sent as they are.
        if any(f.field == "notes" for f in change.fields):
            notes = change.after("notes")
        else:
            notes = self.live_notes.get(client_id)
        kwargs: dict[str, Any] = {} if notes is None else {"notes": notes}
        self.ex.client.update_client(self.wid, client_id, change.name, **kwargs)

    def restore(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        project_ids = self.ex.changes[index].options.get("restore_project_ids", [])
        self.ex.client.restore_client(self.wid, self.live_id(index), project_ids=list(project_ids))

    def archive(self, op: WriteOp) -> None:
        ids = [self.live_id(index) for index in op.change_indexes]
        if len(ids) == 1:
            self.ex.client.archive_client(self.wid, ids[0])
            return
        result = self.ex.client.archive_clients(self.wid, ids)
        self.ex.settle_bulk(result, ids, lambda cid: self.ex.client.archive_client(self.wid, cid))

    def delete(self, op: WriteOp) -> None:
        ids = [self.live_id(index) for index in op.change_indexes]
        if len(ids) == 1:
            ignore_not_found(lambda: self.ex.client.delete_client(self.wid, ids[0]))
            return
        result = self.ex.client.delete_clients(self.wid, ids)
        self.ex.settle_bulk(result, ids, lambda cid: ignore_not_found(
            lambda: self.ex.client.delete_client(self.wid, cid)))

    def applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        if op.kind not in _GROUPABLE:
            return None
        clients = {c.id: c for c in self.ex.client.list_clients(self.wid, status="both")}
        wanted_gone = op.kind == DELETE_CLIENTS
        return {index for index in op.change_indexes
                if (self.live_id(index) not in clients if wanted_gone
                    else getattr(clients.get(self.live_id(index)), "archived", False))}

    def _reconcile(self, found: Client, change: Change) -> list[str]:
        """An adopted client brought to the spec: name, notes, archived state."""
        differences = _differences(found, change)
        if "name" in differences or "notes" in differences:
            notes = change.after("notes") if "notes" in differences else found.notes
            self.ex.client.update_client(self.wid, found.id, change.name,
                                         **({} if notes is None and "notes" not in differences
                                            else {"notes": notes}))
        if differences.get("archived") is False:
            self.ex.client.restore_client(self.wid, found.id, project_ids=[])
        # archived: true is carried out by the plan's own archive write, which follows the create.
        return sorted(differences)


def _differences(found: Client, change: Change) -> dict[str, Any]:
    wanted: dict[str, Any] = {"name": change.name}
    if any(f.field == "notes" for f in change.fields):
        wanted["notes"] = change.after("notes")
    wanted["archived"] = change.after("archived", False)
    live = {"name": found.name, "notes": found.notes, "archived": found.archived}
    return {name: value for name, value in wanted.items()
            if not same_value(name, live[name], value)
            and not (name == "archived" and value is True)}


def current(live: LiveState) -> dict[int, tuple[str | None, Mapping[str, Any]]]:
    return {c.id: (c.at, {"name": c.name, "archived": c.archived, "notes": c.notes})
            for c in live.clients}


def taken(live: LiveState) -> set[Any]:
    return {name_key(c.name) for c in live.clients}


WRITES = KindWrites(
    kind="client",
    op_kinds=(CREATE_CLIENT, UPDATE_CLIENT, RESTORE_CLIENT, ARCHIVE_CLIENTS, DELETE_CLIENTS),
    ops_for=ops_for,
    split_batch=split_batch,
    writer=ClientWriter,
    current=current,
    taken=taken,
)
