"""Tasks: create, PUT updates (rename, estimate, assignee), bulk archive/restore, delete.

Archives and restores of several tasks of one project share one PATCH
/projects/{pid}/tasks/{ids} (at most 100 ids); a single one is a plain PUT. Spec terms become
Toggl's here: `estimated_hours` -> `estimated_seconds` (hours x 3600), `assignee` (an e-mail) ->
`user_id`. A task of a project created earlier in the same apply finds it through the project
ids the project writes keep.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from reconciler.engine.plan import Action, Change
from reconciler.model import (
    LiveState,
    LiveTask,
    email_key,
    hours_to_seconds,
    name_key,
    project_key,
    seconds_to_hours,
)
from reconciler.toggl.errors import TogglError
from reconciler.toggl.types import BulkResult
from reconciler.writes.base import (
    BULK_REFUSED,
    Batch,
    Handler,
    KindWriter,
    KindWrites,
    OpKind,
    WriteOp,
    chunks,
    find_by_name,
    hashable,
    ignore_not_found,
    parent_key,
    phase,
)

CREATE_TASK = OpKind("create_task")
UPDATE_TASK = OpKind("update_task")
PATCH_TASKS = OpKind("patch_tasks")
DELETE_TASK = OpKind("delete_task")

# What the bulk task PATCH is used for: done / not done (the documented use of the endpoint).
BULK_PATCH_FIELDS: frozenset[str] = frozenset({"active"})


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    if change.action is Action.CREATE:
        yield WriteOp(CREATE_TASK, (index,))
        return
    if change.action is Action.DELETE:
        yield WriteOp(DELETE_TASK, (index,))
        return
    names = {f.field for f in change.fields}
    if names and names <= BULK_PATCH_FIELDS:
        patch = tuple(sorted((f.field, hashable(f.after)) for f in change.fields))
        # One bulk call reaches the tasks of one project only (the planner writes a project's
        # address one way: the string itself keys the batch, cheaply).
        yield Batch("task", (phase(change), change.parent, patch))
        return
    yield WriteOp(UPDATE_TASK, (index,))


def split_batch(batch: Batch, indexes: list[int], changes: Sequence[Change]) -> list[WriteOp]:
    _, _, patch = batch.key  # type: ignore[misc]
    if len(indexes) == 1:  # one task: the plain PUT
        return [WriteOp(UPDATE_TASK, (indexes[0],))]
    return [WriteOp(PATCH_TASKS, chunk, patch) for chunk in chunks(indexes, changes)]


def api_fields(change: Change, user_id: Any) -> dict[str, Any]:
    """The change's fields in Toggl's names (`user_id(email, recorded)` resolves an assignee's
    e-mail; `recorded` is the id the plan recorded in the change's options)."""
    body: dict[str, Any] = {}
    for item in change.fields:
        if item.field == "name":
            body["name"] = change.name
        elif item.field == "active":
            body["active"] = item.after
        elif item.field == "estimated_hours":
            body["estimated_seconds"] = hours_to_seconds(item.after)
        elif item.field == "assignee":
            body["user_id"] = (None if item.after is None
                               else user_id(item.after, change.options.get("user_id")))
    return body


class TaskWriter(KindWriter):
    def __init__(self, executor: Any) -> None:
        super().__init__(executor)
        self.live_tasks: dict[int, LiveTask] = {t.id: t for t in executor.live.tasks or ()}

    def handlers(self) -> Mapping[OpKind, Handler]:
        return {CREATE_TASK: self.create, UPDATE_TASK: self.update, PATCH_TASKS: self.patch,
                DELETE_TASK: self.delete}

    def create(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        project_id = self.ex.ids.project_id(change.parent)
        body = api_fields(change, self.ex.ids.user_id)
        body["name"] = change.name
        body["active"] = change.after("active", True)
        if body.get("estimated_seconds") is None:
            body.pop("estimated_seconds", None)
        if body.get("user_id") is None:
            body.pop("user_id", None)

        since = self.ex.clock.since()  # before the write: a task it made is changed after

        def create() -> Any:
            return self.ex.client.create_task(self.wid, project_id, body)

        def find(thorough: bool = False) -> Any | None:
            # The task listing is paged workspace-wide (200 a page: 20,000 tasks are 100
            # calls), so the first look is `since=` the server's time before the write (its
            # documented filter: one page, deleted tasks included, which are left out);
            # thorough (a namesake made long ago may be in either half) reads every task.
            if thorough or since is None:
                listed = self.ex.client.list_tasks(self.wid, active="both")
            else:
                listed = self.ex.client.list_tasks(self.wid, active="both", since=since)
            return find_by_name([t for t in listed if t.project_id == project_id
                                 and not getattr(t, "server_deleted_at", None)], change.name)

        def reconcile(found: Any) -> list[str]:
            differences = {name: value for name, value in body.items()
                           if getattr(found, name, None) != value}
            if differences:
                self.ex.client.update_task(self.wid, project_id, found.id, differences)
            return sorted(differences)

        created = self.ex.create_once(create, find, change, reconcile)
        self.ex.object_ids[index] = created.id

    def update(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        self._put(self.live_id(index), self.ex.changes[index])

    def _put(self, task_id: int, change: Change) -> None:
        body = api_fields(change, self.ex.ids.user_id)
        # The name every time (whether Toggl's task PUT needs it is undocumented): the live
        # spelling when the change does not rename the task.
        live = self.live_tasks.get(task_id)
        body.setdefault("name", live.name if live is not None else change.name)
        self.ex.client.update_task(self.wid, self._project_of(task_id, change), task_id, body)

    def patch(self, op: WriteOp) -> None:
        ids = [self.live_id(index) for index in op.change_indexes]
        first = self.ex.changes[op.change_indexes[0]]
        change_of = {tid: self.ex.changes[index] for tid, index in zip(ids, op.change_indexes)}
        project_id = self._project_of(ids[0], first)
        operations = [{"op": "replace", "path": f"/{name}", "value": value} for name, value in op.patch]
        since = self.ex.clock.since()  # before the write: the tasks it changed come after
        try:
            result = self.ex.client.patch_tasks(self.wid, project_id, ids, operations)
        except TogglError as error:
            if error.status not in BULK_REFUSED:
                raise
            result = BulkResult(success=(), failure=())
        if not result.reported:
            result = self._seen_patched(op, ids, since)
        self.ex.settle_bulk(result, ids, lambda tid: self._put(tid, change_of[tid]))

    def _seen_patched(self, op: WriteOp, ids: list[int], since: int | None) -> BulkResult:
        """The tasks of a bulk PATCH whose answer said nothing per id (its shape is not
        documented), as a read shows them: one `since=` page, not 'all done' on no news. The
        rest get one PUT each (settle_bulk)."""
        listed = self.ex.client.list_tasks(self.wid, active="both", since=since)
        tasks = {t.id: t for t in listed if not t.server_deleted_at}
        done = tuple(tid for tid in ids if tid in tasks and all(
            getattr(tasks[tid], name, None) == value for name, value in op.patch))
        return BulkResult(success=done)

    def delete(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        task_id = self.live_id(index)
        project_id = self._project_of(task_id, self.ex.changes[index])
        ignore_not_found(lambda: self.ex.client.delete_task(self.wid, project_id, task_id))

    def _project_of(self, task_id: int, change: Change) -> int:
        # The live task knows its project even when the plan renames the project or its client.
        live = self.live_tasks.get(task_id)
        return live.project_id if live is not None else self.ex.ids.project_id(change.parent)

    def applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        if op.kind == CREATE_TASK:
            return None  # settled by create_once
        tasks = {t.id: t for t in self.ex.client.list_tasks(self.wid)}
        if op.kind == DELETE_TASK:
            return {i for i in op.change_indexes if self.live_id(i) not in tasks}
        return {i for i in op.change_indexes if self.live_id(i) in tasks and all(
            getattr(tasks[self.live_id(i)], name, None) == value
            for name, value in api_fields(self.ex.changes[i], self.ex.ids.user_id).items())}


# ---------------------------------------------------------------------------- apply --plan


def current(live: LiveState) -> dict[int, tuple[str | None, Mapping[str, Any]]]:
    emails = {user.id: user.email for user in live.users or ()}
    return {task.id: (task.at, {
        "name": task.name,
        "active": task.active,
        "estimated_hours": seconds_to_hours(task.estimated_seconds),
        "assignee": None if task.user_id is None else emails.get(task.user_id, str(task.user_id)),
    }) for task in live.tasks or ()}


def same(field_name: str, live: Any, seen: Any) -> bool:
    if field_name == "assignee" and isinstance(live, str) and isinstance(seen, str):
        return email_key(live) == email_key(seen)
    if field_name == "estimated_hours" and live is not None and seen is not None:
        # Plans show hours rounded (to 4 places): within a second is the same estimate.
        return abs(float(live) - float(seen)) * 3600 < 1
    return bool(live == seen)


def taken(live: LiveState) -> set[Any]:
    client_names = {c.id: c.name for c in live.clients}
    projects = {p.id: project_key(client_names.get(p.client_id or -1), p.name) for p in live.projects}
    return {(projects.get(task.project_id), name_key(task.name)) for task in live.tasks or ()}


def create_key(change: Change) -> Any:
    return (parent_key(change), name_key(change.name))


WRITES = KindWrites(
    kind="task",
    op_kinds=(CREATE_TASK, UPDATE_TASK, PATCH_TASKS, DELETE_TASK),
    ops_for=ops_for,
    split_batch=split_batch,
    writer=TaskWriter,
    current=current,
    taken=taken,
    create_key=create_key,
    same=same,
    was_read=lambda live: live.tasks is not None,
)
