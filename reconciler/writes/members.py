"""Project members: users (project_users: manager, rate) and groups (project_groups).

Users get the same patch in bulk (PATCH /project_users/{ids}, at most 100 ids) when several
change alike, else one PUT each from the plan's live record (the PUT needs `manager`). A member
is added to a project created earlier in the same apply through the project ids the project
writes keep (`IdBook.project_ids`); users by e-mail and groups by name the same way.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from reconciler.engine.changes import same_value
from reconciler.engine.plan import Action, Change
from reconciler.model import LiveMember, LiveState, email_key, name_key, project_key
from reconciler.toggl.errors import TogglError
from reconciler.toggl.types import BulkResult
from reconciler.writes.base import (
    BULK_REFUSED,
    ApplyFailed,
    Batch,
    BulkCallError,
    Handler,
    KindWriter,
    KindWrites,
    OpKind,
    WriteOp,
    chunks,
    hashable,
    ignore_not_found,
    parent_key,
    phase,
    unhashable,
    where,
)

CREATE_PROJECT_USER = OpKind("create_project_user")
UPDATE_PROJECT_USER = OpKind("update_project_user")
PATCH_PROJECT_USERS = OpKind("patch_project_users")
DELETE_PROJECT_USER = OpKind("delete_project_user")
CREATE_PROJECT_GROUP = OpKind("create_project_group")
DELETE_PROJECT_GROUP = OpKind("delete_project_group")


def is_group(change: Change) -> bool:
    return change.options.get("member") == "group"


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    group = is_group(change)
    if change.action is Action.CREATE:
        yield WriteOp(CREATE_PROJECT_GROUP if group else CREATE_PROJECT_USER, (index,))
    elif change.action.is_removal:
        yield WriteOp(DELETE_PROJECT_GROUP if group else DELETE_PROJECT_USER, (index,))
    elif change.fields and not group:
        patch = tuple(sorted((f.field, hashable(f.after)) for f in change.fields))
        yield Batch("member", (phase(change), patch))
    else:
        yield WriteOp(UPDATE_PROJECT_USER, (index,))


def split_batch(batch: Batch, indexes: list[int], changes: Sequence[Change]) -> list[WriteOp]:
    _, patch = batch.key  # type: ignore[misc]
    if len(indexes) == 1:  # one member: the plain PUT
        return [WriteOp(UPDATE_PROJECT_USER, (indexes[0],))]
    return [WriteOp(PATCH_PROJECT_USERS, chunk, patch) for chunk in chunks(indexes, changes)]


class MemberWriter(KindWriter):
    def __init__(self, executor: Any) -> None:
        super().__init__(executor)
        members = executor.live.members or ()
        self.live_users: dict[int, LiveMember] = {m.id: m for m in members if m.group_id is None}

    def handlers(self) -> Mapping[OpKind, Handler]:
        return {CREATE_PROJECT_USER: self.create_user, UPDATE_PROJECT_USER: self.update_user,
                PATCH_PROJECT_USERS: self.patch_users, DELETE_PROJECT_USER: self.delete_user,
                CREATE_PROJECT_GROUP: self.create_group, DELETE_PROJECT_GROUP: self.delete_group}

    # -------------------------------------------------------------- users

    def create_user(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        project_id = self.ex.ids.project_id(change.parent)
        user_id = self.ex.ids.user_id(change.name, change.options.get("user_id"))
        manager = bool(change.after("manager", False))
        rate = change.after("rate")  # None: not sent (a paid-plan field)

        def create() -> Any:
            return self.ex.client.create_project_user(self.wid, project_id, user_id,
                                                      manager=manager, rate=rate)

        def find(thorough: bool = False) -> Any | None:
            if thorough:
                return None
            return next((m for m in self.ex.client.list_project_users(self.wid)
                         if m.project_id == project_id and m.user_id == user_id
                         and m.group_id is None), None)

        def reconcile(found: Any) -> list[str]:
            wanted = {f.field: f.after for f in change.fields if f.field in ("manager", "rate")}
            wanted.setdefault("manager", False)
            differences = [name for name, value in wanted.items()
                           if not same_value(name, getattr(found, name, None), value)]
            if differences:
                extra = {"rate": wanted["rate"]} if "rate" in differences else {}
                self.ex.client.update_project_user(self.wid, found.id, bool(wanted["manager"]), **extra)
            return differences

        # Toggl's wording for "already a member" is not documented: any 400 is worth one read.
        created = self.ex.create_once(create, find, change, reconcile, taken=lambda error: True)
        self.ex.object_ids[index] = created.id

    def update_user(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        if is_group(change):  # nothing to send: Toggl's project groups carry no fields
            raise ApplyFailed(f"{where(change)}: a project group has no manager or rate to update")
        self._put(self.live_id(index), change)

    def _put(self, member_id: int, change: Change) -> None:
        fields = {f.field: f.after for f in change.fields}
        live = self.live_users.get(member_id)
        if "manager" not in fields and live is None:
            # The PUT needs `manager`, and the plan's live record is not at hand: patch the
            # rate alone rather than guess (a guess could take a manager's rights away).
            result = self._patch([member_id], tuple(fields.items()))
            if member_id not in result.success:
                failed = "; ".join(f.message for f in result.failure) or "not reported as done"
                raise BulkCallError(f"bulk call failed for id {member_id}: {failed}")
            return
        manager = fields["manager"] if "manager" in fields else live.manager  # type: ignore[union-attr]
        extra = {"rate": fields["rate"]} if "rate" in fields else {}
        self.ex.client.update_project_user(self.wid, member_id, bool(manager), **extra)

    def patch_users(self, op: WriteOp) -> None:
        ids = [self.live_id(index) for index in op.change_indexes]
        change_of = {mid: self.ex.changes[index] for mid, index in zip(ids, op.change_indexes)}
        try:
            result = self._patch(ids, op.patch)
        except TogglError as error:
            # Which paths the bulk endpoint accepts is documented loosely: when the whole call
            # is refused as malformed or unknown, fall back to one PUT each.
            if error.status not in BULK_REFUSED:
                raise
            result = BulkResult(success=(), failure=())
        if not result.reported:
            # No per-id news (the documented answer has it): one listing tells, not a guess.
            users = {m.id: m for m in self.ex.client.list_project_users(self.wid)}
            result = BulkResult(success=tuple(mid for mid in ids if mid in users and all(
                same_value(name, getattr(users[mid], name, None), unhashable(value))
                for name, value in op.patch)))
        self.ex.settle_bulk(result, ids, lambda mid: self._put(mid, change_of[mid]))

    def _patch(self, ids: list[int], patch: Iterable[tuple[str, Any]]) -> BulkResult:
        operations = [{"op": "replace", "path": f"/{name}", "value": unhashable(value)}
                      for name, value in patch]
        return self.ex.client.patch_project_users(self.wid, ids, operations)

    def delete_user(self, op: WriteOp) -> None:
        member_id = self.live_id(op.change_indexes[0])
        ignore_not_found(lambda: self.ex.client.delete_project_user(self.wid, member_id))

    # -------------------------------------------------------------- groups

    def create_group(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        project_id = self.ex.ids.project_id(change.parent)
        group_id = self.ex.ids.group_id(change.name, change.options.get("group_id"))

        def create() -> Any:
            return self.ex.client.create_project_group(self.wid, project_id, group_id)

        def find(thorough: bool = False) -> Any | None:
            if thorough:
                return None
            return next((m for m in self.ex.client.list_project_groups(self.wid)
                         if m.project_id == project_id and m.group_id == group_id), None)

        created = self.ex.create_once(create, find, change, taken=lambda error: True)
        self.ex.object_ids[index] = created.id

    def delete_group(self, op: WriteOp) -> None:
        member_id = self.live_id(op.change_indexes[0])
        ignore_not_found(lambda: self.ex.client.delete_project_group(self.wid, member_id))

    # -------------------------------------------------------------- read-back

    def applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        if op.kind in (CREATE_PROJECT_USER, CREATE_PROJECT_GROUP):
            return None  # settled by create_once
        if op.kind == DELETE_PROJECT_GROUP:
            listed = {m.id for m in self.ex.client.list_project_groups(self.wid)}
            return {i for i in op.change_indexes if self.live_id(i) not in listed}
        users = {m.id: m for m in self.ex.client.list_project_users(self.wid)}
        if op.kind == DELETE_PROJECT_USER:
            return {i for i in op.change_indexes if self.live_id(i) not in users}
        return {i for i in op.change_indexes if self.live_id(i) in users and all(
            same_value(f.field, getattr(users[self.live_id(i)], f.field, None), f.after)
            for f in self.ex.changes[i].fields)}


# ---------------------------------------------------------------------------- apply --plan


def object_key(change: Change) -> Any:
    # project_users and project_groups are two tables: their ids may coincide.
    return ("group" if is_group(change) else "user", change.live_id)


def current(live: LiveState) -> dict[Any, tuple[str | None, Mapping[str, Any]]]:
    found: dict[Any, tuple[str | None, Mapping[str, Any]]] = {}
    for member in live.members or ():
        if member.group_id is not None and member.user_id is None:
            found[("group", member.id)] = (member.at, {})
        else:
            found[("user", member.id)] = (member.at, {"manager": member.manager, "rate": member.rate})
    return found


def taken(live: LiveState) -> set[Any]:
    client_names = {c.id: c.name for c in live.clients}
    projects = {p.id: project_key(client_names.get(p.client_id or -1), p.name) for p in live.projects}
    emails = {user.id: email_key(user.email) for user in live.users or ()}
    groups = {group.id: name_key(group.name) for group in live.groups or ()}
    keys: set[Any] = set()
    for member in live.members or ():
        project = projects.get(member.project_id)
        if member.group_id is None and member.user_id in emails:
            keys.add((project, "user:" + emails[member.user_id]))
        elif member.user_id is None and member.group_id in groups:
            keys.add((project, "group:" + groups[member.group_id]))
    return keys


def create_key(change: Change) -> Any:
    member = "group:" + name_key(change.name) if is_group(change) else "user:" + email_key(change.name)
    return (parent_key(change), member)


WRITES = KindWrites(
    kind="member",
    op_kinds=(CREATE_PROJECT_USER, UPDATE_PROJECT_USER, PATCH_PROJECT_USERS, DELETE_PROJECT_USER,
              CREATE_PROJECT_GROUP, DELETE_PROJECT_GROUP),
    ops_for=ops_for,
    split_batch=split_batch,
    writer=MemberWriter,
    current=current,
    taken=taken,
    create_key=create_key,
    object_key=object_key,
    was_read=lambda live: live.members is not None,
    same=same_value,
)
