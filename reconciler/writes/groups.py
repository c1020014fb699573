"""Organization groups attached to this workspace: create, rename / members, delete or detach.

Toggl's group PUT replaces name, users and workspaces together, so every update is a
read-modify-write from the plan's live record: the users the spec does not manage and the other
workspaces the group is attached to are sent back as they were. A group is deleted only when the
plan says so (`group_removal: delete`: attached to no other workspace); otherwise its removal
detaches it from this workspace and leaves it to the others.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from reconciler.engine.plan import Action, Change
from reconciler.model import LiveGroup, LiveState, email_key, name_key
from reconciler.writes.base import (
    ApplyFailed,
    Batch,
    Handler,
    KindWriter,
    KindWrites,
    OpKind,
    UnresolvedReference,
    WriteOp,
    find_by_name,
    ignore_not_found,
    where,
)

CREATE_GROUP = OpKind("create_group")
UPDATE_GROUP = OpKind("update_group")
DELETE_GROUP = OpKind("delete_group")
DETACH_GROUP = OpKind("detach_group")


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    if change.action is Action.CREATE:
        yield WriteOp(CREATE_GROUP, (index,))
    elif change.action.is_removal:
        yield WriteOp(DELETE_GROUP if removal_of(change) == "delete" else DETACH_GROUP, (index,))
    else:
        yield WriteOp(UPDATE_GROUP, (index,))


def removal_of(change: Change) -> str:
    # Detach unless the plan says delete: the group may serve other workspaces.
    return "delete" if change.options.get("group_removal") == "delete" else "detach"


class GroupWriter(KindWriter):
    def __init__(self, executor: Any) -> None:
        super().__init__(executor)
        live, ids = executor.live, executor.ids
        self.live_groups: dict[int, LiveGroup] = {g.id: g for g in live.groups or ()}
        # Names are unique in the organization; should two differ only in case, the one
        # attached to this workspace is the one the spec means.
        attached_last = sorted(live.groups or (), key=lambda g: live.workspace_id in g.workspace_ids)
        for group in attached_last:
            ids.group_ids[name_key(group.name)] = group.id
        for change in executor.changes:  # renamed groups are known by their new name
            if change.kind == "group" and change.live_id is not None and not change.action.is_removal:
                ids.group_ids[name_key(change.name)] = change.live_id

    def handlers(self) -> Mapping[OpKind, Handler]:
        return {CREATE_GROUP: self.create, UPDATE_GROUP: self.update,
                DELETE_GROUP: self.delete, DETACH_GROUP: self.detach}

    def create(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        oid = self.ex.ids.organization()
        members = change.after("members")
        user_ids = self._user_ids(members or (), change)

        def create() -> Any:
            return self.ex.client.create_group(oid, change.name, user_ids, [self.wid])

        def find(thorough: bool = False) -> Any | None:
            if thorough:  # the one listing below is complete
                return None
            return find_by_name(self.ex.client.list_organization_groups(oid), change.name)

        def reconcile(found: Any) -> list[str]:
            users = list(user_ids) if members is not None else list(found.user_ids)
            differences = [name for name, differs in (
                ("name", found.name != change.name),
                ("members", sorted(users) != sorted(found.user_ids)),
                ("workspaces", self.wid not in found.workspace_ids)) if differs]
            if differences:
                self.ex.client.update_group(oid, found.id, change.name, users,
                                            _with(found.workspace_ids, self.wid))
            return differences

        created = self.ex.create_once(create, find, change, reconcile)
        self.ex.object_ids[index] = created.id
        self.ex.ids.group_ids[name_key(change.name)] = created.id

    def update(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        group = self._live(index)
        users = (self._user_ids(change.after("members") or (), change)
                 if any(f.field == "members" for f in change.fields) else list(group.user_ids))
        # Attached here whatever it was: the spec lists it under this workspace.
        self.ex.client.update_group(self.ex.ids.organization(), group.id, change.name, users,
                                    _with(group.workspace_ids, self.wid))

    def delete(self, op: WriteOp) -> None:
        group_id = self.live_id(op.change_indexes[0])
        ignore_not_found(lambda: self.ex.client.delete_group(self.ex.ids.organization(), group_id))

    def detach(self, op: WriteOp) -> None:
        group = self._live(op.change_indexes[0])
        others = [wid for wid in group.workspace_ids if wid != self.wid]
        self.ex.client.update_group(self.ex.ids.organization(), group.id, group.name,
                                    list(group.user_ids), others)

    def applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        if op.kind == CREATE_GROUP:
            return None  # settled by create_once
        index = op.change_indexes[0]
        groups = {g.id: g for g in self.ex.client.list_organization_groups(self.ex.ids.organization())}
        found = groups.get(self.live_id(index))
        if op.kind == DELETE_GROUP:
            done = found is None
        elif op.kind == DETACH_GROUP:
            done = found is None or self.wid not in found.workspace_ids
        else:
            change = self.ex.changes[index]
            done = (found is not None and found.name == change.name
                    and self.wid in found.workspace_ids
                    and (not any(f.field == "members" for f in change.fields)
                         or sorted(found.user_ids) == sorted(
                             self._user_ids(change.after("members") or (), change))))
        return set(op.change_indexes) if done else set()

    def _live(self, index: int) -> LiveGroup:
        """The group as the plan saw it: the live record, else what the plan recorded of it
        (an update's users and workspaces after it, a removal's fingerprint)."""
        change = self.ex.changes[index]
        group = self.live_groups.get(self.live_id(index))
        if group is not None:
            return group
        for recorded in (change.options, change.fingerprint):
            users, workspaces = recorded.get("user_ids"), recorded.get("workspace_ids")
            if isinstance(users, list) and isinstance(workspaces, list):
                return LiveGroup(self.live_id(index), change.name, tuple(users), tuple(workspaces))
        raise ApplyFailed(f"{where(change)} (id {change.live_id}) is not in the live state read "
                          "for this apply; run plan again")

    def _user_ids(self, emails: Iterable[str], change: Change) -> list[int]:
        try:
            return [self.ex.ids.user_id(email) for email in emails]
        except UnresolvedReference:
            recorded = change.options.get("user_ids")  # every user after the change, as planned
            if isinstance(recorded, list) and all(isinstance(uid, int) for uid in recorded):
                return list(recorded)
            raise


def _with(workspace_ids: Sequence[int], wid: int) -> list[int]:
    return list(workspace_ids) if wid in workspace_ids else [*workspace_ids, wid]


def _emails(live: LiveState) -> dict[int, str]:
    return {user.id: user.email for user in live.users or ()}


def current(live: LiveState) -> dict[int, tuple[str | None, Mapping[str, Any]]]:
    emails = _emails(live)
    found: dict[int, tuple[str | None, Mapping[str, Any]]] = {}
    for group in live.groups or ():
        values: dict[str, Any] = {"name": group.name}
        if live.users is not None:
            values["members"] = sorted(emails.get(uid, str(uid)) for uid in group.user_ids)
        found[group.id] = (group.at, values)
    return found


def taken(live: LiveState) -> set[Any]:
    return {name_key(group.name) for group in live.groups or ()}


def same(field_name: str, live: Any, seen: Any) -> bool:
    if field_name == "members" and isinstance(live, list) and isinstance(seen, list):
        return sorted(email_key(str(e)) for e in live) == sorted(email_key(str(e)) for e in seen)
    return bool(live == seen)


WRITES = KindWrites(
    kind="group",
    op_kinds=(CREATE_GROUP, UPDATE_GROUP, DELETE_GROUP, DETACH_GROUP),
    ops_for=ops_for,
    writer=GroupWriter,
    current=current,
    taken=taken,
    same=same,
    was_read=lambda live: live.groups is not None,
)
