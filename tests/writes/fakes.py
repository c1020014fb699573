"""A fake Toggl client for the workspace kinds' writes: in-memory objects, every call recorded.

It answers with objects shaped like reconciler.toggl.types (id, name, user_ids, ...), so the
kind modules are tested against the client method names and arguments of the issue 12
contract without a server. `fail` makes the next call of a method fail, either before doing
anything or after committing it (a 5xx whose write went through).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from reconciler.engine.plan import Plan
from reconciler.model import LiveState
from reconciler.toggl.client import RequestStats
from reconciler.toggl.errors import AmbiguousWriteError, BadRequestError, NotFoundError, ServerError
from reconciler.toggl.types import BulkResult
from reconciler.model import QuotaStatus

AT = "2026-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class FakeWorkspace:
    id: int
    name: str
    organization_id: int | None
    raw: Mapping[str, Any] = field(default_factory=dict)
    at: str | None = AT


@dataclass(frozen=True)
class FakeGroup:
    id: int
    name: str
    user_ids: tuple[int, ...] = ()
    workspace_ids: tuple[int, ...] = ()
    at: str | None = AT


@dataclass(frozen=True)
class FakeProjectUser:
    id: int
    project_id: int
    user_id: int
    manager: bool = False
    rate: float | None = None
    group_id: int | None = None
    at: str | None = AT


@dataclass(frozen=True)
class FakeProjectGroup:
    id: int
    project_id: int
    group_id: int
    at: str | None = AT


@dataclass(frozen=True)
class FakeTask:
    id: int
    name: str
    project_id: int
    active: bool = True
    estimated_seconds: int | None = None
    user_id: int | None = None
    tracked_seconds: int = 0
    at: str | None = AT


@dataclass(frozen=True)
class FakeNamed:  # projects and tags: what the writes here need of them
    id: int
    name: str
    client_id: int | None = None
    at: str | None = AT
    is_private: bool = True  # projects: Toggl's default for a new one (workspace setting)


_WRITES = ("create", "update", "patch", "delete")


class FakeToggl:
    def __init__(self) -> None:
        self.stats = RequestStats()
        self.quota = QuotaStatus()
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._next_id = 1000
        self._failures: dict[str, list[tuple[str, Exception]]] = {}
        self.workspaces: dict[int, FakeWorkspace] = {}
        self.groups: dict[int, FakeGroup] = {}
        self.project_users: dict[int, FakeProjectUser] = {}
        self.project_groups: dict[int, FakeProjectGroup] = {}
        self.tasks: dict[int, FakeTask] = {}
        self.projects: dict[int, FakeNamed] = {}
        self.tags: dict[int, FakeNamed] = {}

    # -------------------------------------------------------------- test controls

    def fail(self, method: str, error: Exception | None = None, *, after_commit: bool = False) -> None:
        """The next call of `method` fails (before doing anything, or after committing)."""
        error = error or (AmbiguousWriteError("no answer", status=None) if method.startswith("create")
                          else ServerError("internal error", status=500))
        self._failures.setdefault(method, []).append(("after" if after_commit else "before", error))

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def writes(self) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
        return [call for call in self.calls if call[0].split("_")[0] in _WRITES]

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def observe_responses(self, callback: Callable[..., None]) -> None:
        pass

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
              body: Callable[[], Any]) -> Any:
        self.calls.append((name, args, kwargs))
        if name.split("_")[0] in _WRITES:
            self.stats.writes += 1
        else:
            self.stats.reads += 1
        pending = self._failures.get(name)
        if pending:
            when, error = pending.pop(0)
            if when == "before":
                raise error
            body()
            raise error
        return body()

    # -------------------------------------------------------------- workspaces

    def create_workspace(self, oid: int, name: str) -> FakeWorkspace:
        def body() -> FakeWorkspace:
            if any(w.name == name for w in self.workspaces.values()):
                raise BadRequestError("workspace name already exists", status=400)
            workspace = FakeWorkspace(self.new_id(), name, oid, {"name": name})
            self.workspaces[workspace.id] = workspace
            return workspace
        return self._call("create_workspace", (oid, name), {}, body)

    def list_workspaces(self) -> list[FakeWorkspace]:
        return self._call("list_workspaces", (), {}, lambda: list(self.workspaces.values()))

    def get_workspace(self, wid: int) -> FakeWorkspace:
        return self._call("get_workspace", (wid,), {}, lambda: self.workspaces[wid])

    def update_workspace_settings(self, wid: int, fields: Mapping[str, Any]) -> FakeWorkspace:
        def body() -> FakeWorkspace:
            workspace = self.workspaces[wid]
            self.workspaces[wid] = replace(workspace, raw={**workspace.raw, **fields})
            return self.workspaces[wid]
        return self._call("update_workspace_settings", (wid, dict(fields)), {}, body)

    # -------------------------------------------------------------- groups

    def list_organization_groups(self, oid: int) -> list[FakeGroup]:
        return self._call("list_organization_groups", (oid,), {}, lambda: list(self.groups.values()))

    def create_group(self, oid: int, name: str, user_ids: Sequence[int],
                     workspace_ids: Sequence[int]) -> FakeGroup:
        def body() -> FakeGroup:
            if any(g.name.lower() == name.lower() for g in self.groups.values()):
                raise BadRequestError("group name already exists", status=400)
            group = FakeGroup(self.new_id(), name, tuple(user_ids), tuple(workspace_ids))
            self.groups[group.id] = group
            return group
        return self._call("create_group", (oid, name, list(user_ids), list(workspace_ids)), {}, body)

    def update_group(self, oid: int, gid: int, name: str, user_ids: Sequence[int],
                     workspace_ids: Sequence[int]) -> FakeGroup:
        def body() -> FakeGroup:
            self.groups[gid] = FakeGroup(gid, name, tuple(user_ids), tuple(workspace_ids))
            return self.groups[gid]
        return self._call("update_group", (oid, gid, name, list(user_ids), list(workspace_ids)), {}, body)

    def delete_group(self, oid: int, gid: int) -> None:
        def body() -> None:
            if self.groups.pop(gid, None) is None:
                raise NotFoundError("group not found", status=404)
        return self._call("delete_group", (oid, gid), {}, body)

    # -------------------------------------------------------------- members

    def list_project_users(self, wid: int,
                           project_ids: Sequence[int] | None = None) -> list[FakeProjectUser]:
        return self._call("list_project_users", (wid,), {}, lambda: [
            member for member in self.project_users.values()
            if project_ids is None or member.project_id in project_ids])

    def create_project_user(self, wid: int, project_id: int, user_id: int, manager: bool = False,
                            rate: float | None = None) -> FakeProjectUser:
        def body() -> FakeProjectUser:
            if any(m.project_id == project_id and m.user_id == user_id
                   for m in self.project_users.values()):
                raise BadRequestError("user is already a project member", status=400)
            member = FakeProjectUser(self.new_id(), project_id, user_id, manager, rate)
            self.project_users[member.id] = member
            return member
        return self._call("create_project_user", (wid, project_id, user_id),
                          {"manager": manager, "rate": rate}, body)

    def update_project_user(self, wid: int, id: int, manager: bool, **rate: Any) -> FakeProjectUser:
        def body() -> FakeProjectUser:
            member = self.project_users[id]
            self.project_users[id] = replace(member, manager=manager,
                                             rate=rate.get("rate", member.rate))
            return self.project_users[id]
        return self._call("update_project_user", (wid, id, manager), dict(rate), body)

    def patch_project_users(self, wid: int, ids: Sequence[int],
                            operations: Sequence[Mapping[str, Any]]) -> BulkResult:
        def body() -> BulkResult:
            assert len(ids) <= 100
            for member_id in ids:
                values = {op["path"].lstrip("/"): op["value"] for op in operations}
                self.project_users[member_id] = replace(self.project_users[member_id], **values)
            return BulkResult(success=tuple(ids))
        return self._call("patch_project_users", (wid, list(ids), list(operations)), {}, body)

    def delete_project_user(self, wid: int, id: int) -> None:
        def body() -> None:
            if self.project_users.pop(id, None) is None:
                raise NotFoundError("project user not found", status=404)
        return self._call("delete_project_user", (wid, id), {}, body)

    def list_project_groups(self, wid: int) -> list[FakeProjectGroup]:
        return self._call("list_project_groups", (wid,), {}, lambda: list(self.project_groups.values()))

    def create_project_group(self, wid: int, project_id: int, group_id: int) -> FakeProjectGroup:
        def body() -> FakeProjectGroup:
            member = FakeProjectGroup(self.new_id(), project_id, group_id)
            self.project_groups[member.id] = member
            return member
        return self._call("create_project_group", (wid, project_id, group_id), {}, body)

    def delete_project_group(self, wid: int, id: int) -> None:
        def body() -> None:
            if self.project_groups.pop(id, None) is None:
                raise NotFoundError("project group not found", status=404)
        return self._call("delete_project_group", (wid, id), {}, body)

    # -------------------------------------------------------------- tasks

    def list_tasks(self, wid: int, *, active: str = "both",
                   since: int | None = None) -> list[FakeTask]:
        # `since`: every task is newer than any moment the fake's clock gives (a superset of
        # what Toggl would list, as a since= listing may be).
        wanted = {"true": (True,), "false": (False,), "both": (True, False)}[active]
        options = {"active": active, **({"since": since} if since is not None else {})}
        return self._call("list_tasks", (wid,), options,
                          lambda: [t for t in self.tasks.values() if t.active in wanted])

    def create_task(self, wid: int, pid: int, fields: Mapping[str, Any]) -> FakeTask:
        def body() -> FakeTask:
            if any(t.project_id == pid and t.name.lower() == fields["name"].lower()
                   for t in self.tasks.values()):
                raise BadRequestError("task name already exists", status=400)
            task = FakeTask(self.new_id(), project_id=pid, **dict(fields))
            self.tasks[task.id] = task
            return task
        return self._call("create_task", (wid, pid, dict(fields)), {}, body)

    def update_task(self, wid: int, pid: int, tid: int, fields: Mapping[str, Any]) -> FakeTask:
        def body() -> FakeTask:
            assert self.tasks[tid].project_id == pid
            self.tasks[tid] = replace(self.tasks[tid], **dict(fields))
            return self.tasks[tid]
        return self._call("update_task", (wid, pid, tid, dict(fields)), {}, body)

    def patch_tasks(self, wid: int, pid: int, ids: Sequence[int],
                    operations: Sequence[Mapping[str, Any]]) -> BulkResult:
        def body() -> BulkResult:
            assert len(ids) <= 100
            for task_id in ids:
                assert self.tasks[task_id].project_id == pid
                values = {op["path"].lstrip("/"): op["value"] for op in operations}
                self.tasks[task_id] = replace(self.tasks[task_id], **values)
            return BulkResult(success=tuple(ids))
        return self._call("patch_tasks", (wid, pid, list(ids), list(operations)), {}, body)

    def delete_task(self, wid: int, pid: int, tid: int) -> None:
        def body() -> None:
            if self.tasks.pop(tid, None) is None:
                raise NotFoundError("task not found", status=404)
        return self._call("delete_task", (wid, pid, tid), {}, body)

    # -------------------------------------------------------------- projects and tags

    def create_project(self, wid: int, fields: Mapping[str, Any]) -> FakeNamed:
        def body() -> FakeNamed:
            project = FakeNamed(self.new_id(), fields["name"], fields.get("client_id"))
            self.projects[project.id] = project
            return project
        return self._call("create_project", (wid, dict(fields)), {}, body)

    def create_tag(self, wid: int, name: str) -> FakeNamed:
        def body() -> FakeNamed:
            tag = FakeNamed(self.new_id(), name)
            self.tags[tag.id] = tag
            return tag
        return self._call("create_tag", (wid, name), {}, body)


def run(fake: FakeToggl, plan: Plan, live: LiveState, **options: Any) -> Any:
    from reconciler.apply import Executor

    events: list[Any] = []
    result = Executor(fake, plan, live, on_event=events.append, **options).run()  # type: ignore[arg-type]
    return result, events
