"""Projects: create, PUT updates, bulk PATCH for the same patch on many projects, delete."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from reconciler.engine.changes import same_value
from reconciler.engine.kinds.projects import EXCLUSIVE_MEMBERS
from reconciler.engine.plan import Action, Change
from reconciler.model import LiveState, name_key, project_key
from reconciler.toggl.client import MAX_PER_PAGE
from reconciler.toggl.errors import TogglError
from reconciler.toggl.types import BulkResult, Project
from reconciler.untrusted import quoted
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
    unhashable,
)

CREATE_PROJECT = OpKind("create_project")
UPDATE_PROJECT = OpKind("update_project")
PATCH_PROJECTS = OpKind("patch_projects")
DELETE_PROJECT = OpKind("delete_project")

# Project fields the bulk PATCH endpoint is known (color, observed) or expected to accept; the API
# notes leave the others unsettled, so a refused bulk patch falls back to per-project PUTs at apply.
BULK_PATCH_FIELDS: frozenset[str] = frozenset({"active", "color", "billable", "is_private", "client"})
# A `since=` read-back normally fits in one page (only what changed in the last seconds); past
# this many pages it falls back to the full listing rather than page on without end.
MAX_SETTLE_PAGES = 2
# Project fields whose spec name differs from the API's.
_API_FIELD = {"client": "client_id"}


def patch_of(change: Change) -> tuple[tuple[str, Any], ...] | None:
    """The bulk patch a project change amounts to, or None when it needs a PUT (e.g. a rename)."""
    if change.kind != "project" or change.action in (Action.CREATE, Action.DELETE):
        return None
    names = {f.field for f in change.fields}
    if not names or not names <= BULK_PATCH_FIELDS:
        return None
    return tuple(sorted((f.field, hashable(f.after)) for f in change.fields))


def ops_for(index: int, change: Change) -> Iterable[WriteOp | Batch]:
    if change.action is Action.CREATE:
        yield WriteOp(CREATE_PROJECT, (index,))
        return
    if change.action is Action.DELETE:
        yield WriteOp(DELETE_PROJECT, (index,))
        return
    patch = patch_of(change)
    if patch is not None:
        yield Batch("project", (phase(change), patch))
        return
    yield WriteOp(UPDATE_PROJECT, (index,))


def split_batch(batch: Batch, indexes: list[int], changes: Sequence[Change]) -> list[WriteOp]:
    _, patch = batch.key  # type: ignore[misc]
    if len(indexes) == 1:  # one project: a plain PUT is the better-trodden path
        return [WriteOp(UPDATE_PROJECT, (indexes[0],))]
    return [WriteOp(PATCH_PROJECTS, chunk, patch) for chunk in chunks(indexes, changes)]


class ProjectWriter(KindWriter):
    def __init__(self, executor: Any) -> None:
        super().__init__(executor)
        # Private, public -> whether Toggl may add members to a new project of that kind, until
        # a first one shows it adds nobody (the web app adds the creator of a private one).
        self._creator_may_join: dict[bool, bool] = {True: True, False: True}
        # The member creates of the plan by their project's key (built when first needed).
        self._user_creates: dict[tuple[str, str], list[Change]] | None = None
        live, ids = executor.live, executor.ids
        # Tasks and members name their project by its address after the plan: under its
        # client's new name when the plan renames the client, under its own new name.
        client_after = {c.id: c.name for c in live.clients}
        client_after.update({c.live_id: c.name for c in executor.changes
                             if c.kind == "client" and c.live_id is not None})
        for project in live.projects:
            client_name = client_after.get(project.client_id) if project.client_id else None
            ids.add_project(client_name, project.name, project.id)
        for change in executor.changes:
            if change.kind == "project" and change.live_id is not None:
                ids.add_project(change.client, change.name, change.live_id)

    def handlers(self) -> Mapping[OpKind, Handler]:
        return {CREATE_PROJECT: self.create, UPDATE_PROJECT: self.update,
                PATCH_PROJECTS: self.patch, DELETE_PROJECT: self.delete}

    def create(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        client_id = self.ex.ids.client_id(change.client)
        body = self._body(change)
        body["name"] = change.name
        body["active"] = change.after("active", True)
        since = self.ex.clock.since()

        def create() -> Project:
            return self.ex.client.create_project(self.wid, body)

        def find(thorough: bool = False) -> Project | None:
            changed = self.changed_since(None if thorough else since)
            same_client = [p for p in changed if p.client_id == client_id and not p.server_deleted_at]
            return find_by_name(same_client, change.name)

        created = self.ex.create_once(create, find, change,
                                      lambda found: self._reconcile(found, change))
        new_id = created.id
        self.ex.object_ids[index] = new_id
        self.ex.ids.add_project(change.client, change.name, new_id)
        private = bool(created.is_private)
        if change.options.get("members") == EXCLUSIVE_MEMBERS and self._creator_may_join[private]:
            self._creator_may_join[private] = self._drop_unlisted_members(change, new_id)

    def _drop_unlisted_members(self, change: Change, project_id: int) -> bool:
        """Remove the memberships Toggl gave a project this apply created, unless listed.

        Toggl's web app makes a project's creator its manager (help center); whether the API
        does is recorded nowhere. If it does, the next plan would remove that membership: one
        read of the new project's members settles it now. A server that adds nobody to the
        first such project is trusted to add nobody to the others as private (or as public) as
        it: no read for them. Returns whether Toggl had added anyone.
        """
        joined = [m for m in self.ex.client.list_project_users(self.wid, [project_id])
                  if m.project_id == project_id and m.group_id is None]
        listed = self._listed_user_ids(change)
        for member in joined:
            if member.user_id in listed:
                continue  # its create will find it and set manager and rate as listed
            ignore_not_found(lambda: self.ex.client.delete_project_user(self.wid, member.id))
            self.ex.emit_note(f"removed the membership Toggl gave {self._user(member.user_id)} "
                              "on the new project: not listed, and unmanaged.members is "
                              "remove", change)
        return bool(joined)

    def _user(self, user_id: int | None) -> str:
        emails = {user.id: user.email for user in self.ex.live.users or ()}
        return quoted(emails[user_id]) if user_id in emails else f"user #{user_id}"

    def _listed_user_ids(self, change: Change) -> set[int]:
        if self._user_creates is None:  # once per apply, not once per project created
            self._user_creates = {}
            for planned in self.ex.changes:
                if (planned.kind == "member" and planned.action is Action.CREATE
                        and planned.options.get("member") == "user"):
                    self._user_creates.setdefault(parent_key(planned), []).append(planned)
        listed = self._user_creates.get(project_key(change.client, change.name), [])
        return {self.ex.ids.user_id(c.name, c.options.get("user_id")) for c in listed}

    def update(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.ex.changes[index]
        body = self._body(change)
        if any(f.field == "name" for f in change.fields):
            body["name"] = change.name
        self.ex.client.update_project(self.wid, self.live_id(index), body)

    def patch(self, op: WriteOp) -> None:
        ids = [self.live_id(index) for index in op.change_indexes]
        change_of = {pid: self.ex.changes[index] for pid, index in zip(ids, op.change_indexes)}

        def put_one(project_id: int) -> None:
            self.ex.client.update_project(self.wid, project_id, self._body(change_of[project_id]))

        operations = [
            {"op": "replace", "path": "/" + _API_FIELD.get(name, name),
             "value": self.ex.ids.client_id(value) if name == "client" else value}
            for name, value in op.patch
        ]
        try:
            result = self.ex.client.bulk_patch_projects(self.wid, ids, operations)
        except TogglError as error:
            # Which paths the bulk endpoint accepts is not documented: when the whole call is
            # refused as malformed or unknown, fall back to one PUT each.
            if error.status not in BULK_REFUSED:
                raise
            result = BulkResult(success=(), failure=())
        self.ex.settle_bulk(result, ids, put_one)

    def delete(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        mode = self.ex.changes[index].options.get("te_deletion_mode", "unassign")
        ignore_not_found(lambda: self.ex.client.delete_project(
            self.wid, self.live_id(index), te_deletion_mode=mode))

    def _body(self, change: Change) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for item in change.fields:
            if item.field == "name":
                continue
            if item.field == "client":
                body["client_id"] = self.ex.ids.client_id(item.after)
            else:
                body[item.field] = item.after
        return body

    # -------------------------------------------------------------- read-back

    def applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        if op.kind not in (PATCH_PROJECTS, UPDATE_PROJECT, DELETE_PROJECT):
            return None
        ids = {self.ex.object_ids[i]: i for i in op.change_indexes if i in self.ex.object_ids}
        changed = {p.id: p for p in self.changed_since(since)}
        if since is None and op.kind == DELETE_PROJECT:
            # A full listing (no `since`) leaves deleted projects out altogether.
            return {index for pid, index in ids.items() if pid not in changed}
        return {index for pid, index in ids.items()
                if pid in changed and self._shows(self.ex.changes[index], changed[pid], op)}

    def _shows(self, change: Change, project: Project, op: WriteOp) -> bool:
        if op.kind == DELETE_PROJECT:
            return project.server_deleted_at is not None
        wanted = dict(op.patch) if op.kind == PATCH_PROJECTS else {
            f.field: f.after for f in change.fields}
        return all(_matches(project, name, unhashable(value), self.ex.ids.client_id)
                   for name, value in wanted.items())

    def changed_since(self, since: int | None) -> list[Project]:
        """Projects changed since `since` (deleted ones included): one page, rarely two."""
        client, wid = self.ex.client, self.wid
        if since is None:
            return client.list_projects(wid, active="both")
        found: list[Project] = []
        for page in range(1, MAX_SETTLE_PAGES + 1):
            items = client.list_projects_page(wid, page=page, since=since)
            found.extend(items)
            if len(items) < MAX_PER_PAGE:
                return found
        return client.list_projects(wid, active="both", since=since)

    # -------------------------------------------------------------- adoption

    def _reconcile(self, found: Project, change: Change) -> list[str]:
        wanted: dict[str, Any] = {"name": change.name}
        wanted.update({f.field: f.after for f in change.fields if f.field != "name"})
        wanted["active"] = change.after("active", True)
        differences = {name: value for name, value in wanted.items()
                       if not _matches(found, name, value, self.ex.ids.client_id)}
        if differences:
            body = {("client_id" if name == "client" else name):
                    (self.ex.ids.client_id(value) if name == "client" else value)
                    for name, value in differences.items()}
            self.ex.client.update_project(self.wid, found.id, body)
        return sorted(differences)


def _matches(project: Project, name: str, value: Any,
             client_id: Callable[[str | None], int | None]) -> bool:
    if name == "client":
        return project.client_id == client_id(value)
    if name == "name":
        return project.name == value
    return same_value(name, project.raw.get(name, getattr(project, name, None)), value)


def current(live: LiveState) -> dict[int, tuple[str | None, Mapping[str, Any]]]:
    client_names = {c.id: c.name for c in live.clients}
    return {p.id: (p.at, {**p.fields, "name": p.name, "active": p.active,
                          "client": client_names.get(p.client_id or -1)})
            for p in live.projects}


def taken(live: LiveState) -> set[Any]:
    client_names = {c.id: c.name for c in live.clients}
    return {(name_key(client_names.get(p.client_id or -1, "")), name_key(p.name))
            for p in live.projects}


def create_key(change: Change) -> Any:
    return (name_key(change.client or ""), name_key(change.name))


WRITES = KindWrites(
    kind="project",
    op_kinds=(CREATE_PROJECT, UPDATE_PROJECT, PATCH_PROJECTS, DELETE_PROJECT),
    ops_for=ops_for,
    split_batch=split_batch,
    writer=ProjectWriter,
    current=current,
    taken=taken,
    create_key=create_key,
)
