"""Carrying out a plan: the only code that writes to Toggl.

It runs the writes that `engine.batching.plan_writes` derives from the plan, in order, so the
apply never does more than the plan showed. Every failure mode of a flaky API is settled without
a duplicate: an ambiguous create is re-read before it is tried again, a create answered "already
taken" adopts the object it collided with, a bulk call's failure list is retried one by one, and
an exhausted hourly quota stops cleanly (or waits, with --wait-for-quota). Re-running converges.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Sequence

from reconciler.engine.batching import OpKind, WriteOp, plan_writes
from reconciler.engine.plan import Action, Change, Plan
from reconciler.errors import QuotaError, ReconcilerError
from reconciler.model import LiveState, name_key, spelling
from reconciler.toggl import TogglClient
from reconciler.toggl.errors import (
    AmbiguousWriteError,
    BadRequestError,
    NotFoundError,
    QuotaExhaustedError,
    TogglError,
)
from reconciler.toggl.types import BulkResult

EventKind = Literal["done", "note", "wait"]
# Each attempt after an ambiguous failure costs one re-read; five keeps a 20%-faulty API from
# stopping an apply while still bounding the requests one stubborn create can spend.
MAX_CREATE_ATTEMPTS = 5
# Statuses with which a server refuses a whole bulk PATCH it does not support.
_BULK_REFUSED = frozenset({400, 404, 405, 501})
# Project fields whose spec name differs from the API's.
_API_FIELD = {"client": "client_id"}


@dataclass(frozen=True)
class ApplyEvent:
    """Progress for the CLI: a change done (`[k/N]`), a note (adopted, retried), or a quota wait."""

    kind: EventKind
    done: int
    total: int
    message: str
    change: Change | None = None
    seconds_left: float = 0.0


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    total: int
    writes: int
    reads: int


class ApplyFailed(ReconcilerError):
    """A hard failure mid-apply; the message says what was done and what is left."""


class BulkCallError(TogglError):
    """Objects a bulk call reported as failed and that failed again one by one."""


@dataclass
class _Progress:
    total: int
    ops_left: dict[int, int] = field(default_factory=dict)
    done: list[int] = field(default_factory=list)


class Executor:
    def __init__(
        self,
        client: TogglClient,
        plan: Plan,
        live: LiveState,
        *,
        on_event: Callable[[ApplyEvent], None] = lambda event: None,
        wait_for_quota: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.plan = plan
        self.changes: Sequence[Change] = plan.changes
        self.workspace_id = plan.workspace_id
        self.on_event = on_event
        self.wait_for_quota = wait_for_quota
        self.sleep = sleep
        # Projects name their client as it is after the plan: a client renamed in the same plan
        # (even one renamed by its phase-6 archive) is known by its new name from the start.
        self.client_ids: dict[str, int] = {name_key(c.name): c.id for c in live.clients}
        self.live_notes: dict[int, str | None] = {c.id: c.notes for c in live.clients}
        self.client_ids.update({name_key(c.name): c.live_id for c in self.changes
                                if c.kind == "client" and c.live_id is not None})
        # Two live clients may differ only in case: the exact (NFC) spelling decides first.
        self.client_ids_spelled: dict[str, int] = {spelling(c.name): c.id for c in live.clients}
        self.client_ids_spelled.update({spelling(c.name): c.live_id for c in self.changes
                                        if c.kind == "client" and c.live_id is not None})
        self.object_ids: dict[int, int] = {
            index: change.live_id for index, change in enumerate(self.changes) if change.live_id
        }
        self.progress = _Progress(total=len(self.changes))
        self._handlers: dict[OpKind, Callable[[WriteOp], None]] = {
            OpKind.CREATE_CLIENT: self._create_client,
            OpKind.UPDATE_CLIENT: self._update_client,
            OpKind.RESTORE_CLIENT: self._restore_client,
            OpKind.ARCHIVE_CLIENTS: self._archive_clients,
            OpKind.DELETE_CLIENTS: self._delete_clients,
            OpKind.CREATE_PROJECT: self._create_project,
            OpKind.UPDATE_PROJECT: self._update_project,
            OpKind.PATCH_PROJECTS: self._patch_projects,
            OpKind.DELETE_PROJECT: self._delete_project,
            OpKind.CREATE_TAG: self._create_tag,
            OpKind.RENAME_TAG: self._rename_tag,
            OpKind.DELETE_TAG: self._delete_tag,
        }

    # ------------------------------------------------------------------ driving

    def run(self) -> ApplyResult:
        ops = plan_writes(self.changes)
        for op in ops:
            for index in op.change_indexes:
                self.progress.ops_left[index] = self.progress.ops_left.get(index, 0) + 1
        writes_before, reads_before = self.client.stats.writes, self.client.stats.reads
        for op in ops:
            self._run_op(op)
            self._mark_done(op)
        return ApplyResult(
            applied=len(self.progress.done),
            total=self.progress.total,
            writes=self.client.stats.writes - writes_before,
            reads=self.client.stats.reads - reads_before,
        )

    def _run_op(self, op: WriteOp) -> None:
        while True:
            self._wait_if_quota_spent()
            try:
                self._handlers[op.kind](op)
                return
            except QuotaExhaustedError as error:
                self._on_quota_exhausted(error)
            except TogglError as error:
                raise self._failure(op, error) from None

    def _mark_done(self, op: WriteOp) -> None:
        for index in op.change_indexes:
            self.progress.ops_left[index] -= 1
            if self.progress.ops_left[index] == 0:
                self.progress.done.append(index)
                change = self.changes[index]
                self._emit("done", change.address, change)

    def _emit(self, kind: EventKind, message: str, change: Change | None = None,
              seconds_left: float = 0.0) -> None:
        self.on_event(ApplyEvent(kind, len(self.progress.done), self.progress.total, message,
                                 change, seconds_left))

    # ------------------------------------------------------------------ quota

    def _wait_if_quota_spent(self) -> None:
        quota = self.client.quota
        if self.wait_for_quota and quota.remaining == 0 and quota.resets_in:
            self._countdown(float(quota.resets_in))

    def _on_quota_exhausted(self, error: QuotaExhaustedError) -> None:
        resets_in = error.resets_in if error.resets_in is not None else self.client.quota.resets_in
        if not self.wait_for_quota:
            raise QuotaError(self._quota_message(resets_in)) from None
        self._countdown(float(resets_in if resets_in is not None else 60))

    def _quota_message(self, resets_in: int | None) -> str:
        when = f"quota resets in {resets_in} s" if resets_in is not None else "quota resets within the hour"
        return (
            f"Toggl's hourly API quota is exhausted: {len(self.progress.done)} of "
            f"{self.progress.total} changes applied, {when}. Re-run to continue "
            "(apply converges), or pass --wait-for-quota to wait instead."
        )

    def _countdown(self, seconds: float) -> None:
        remaining = seconds + 1.0  # the reset is announced in whole seconds
        while remaining > 0:
            self._emit("wait", "waiting for the hourly quota to reset", seconds_left=remaining)
            step = min(10.0, remaining)
            self.sleep(step)
            remaining -= step

    def _failure(self, op: WriteOp, error: TogglError) -> ApplyFailed:
        first = op.change_indexes[0]
        done = set(self.progress.done)
        left = [c.address for i, c in enumerate(self.changes) if i not in done]
        shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
        return ApplyFailed(
            f"apply stopped at [{len(self.progress.done) + 1}/{self.progress.total}] "
            f"{self.changes[first].kind} '{self.changes[first].address}': {error}\n"
            f"{len(self.progress.done)} of {self.progress.total} changes applied; not applied: "
            f"{shown}. Fix the cause and run apply again: it picks up where this one stopped."
        )

    # ------------------------------------------------------------------ creates (never a duplicate)

    def _create_once(self, create: Callable[[], int], find: Callable[[], int | None],
                     change: Change) -> int:
        """Create, settling ambiguity by re-reading: adopt what exists, retry only what does not."""
        for _attempt in range(MAX_CREATE_ATTEMPTS):
            try:
                return create()
            except AmbiguousWriteError:
                found = find()
                if found is not None:
                    self._emit("note", f"{change.kind} '{change.address}' was created despite the "
                                       "error; adopted it", change)
                    return found
            except BadRequestError as error:
                found = find() if error.is_name_taken else None
                if found is None:
                    raise
                self._emit("note", f"{change.kind} '{change.address}' already existed; adopted it",
                           change)
                return found
        raise AmbiguousWriteError(
            f"could not create {change.kind} '{change.address}' in {MAX_CREATE_ATTEMPTS} attempts"
        )

    def _create_client(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.changes[index]
        notes = change.after("notes")

        def create() -> int:
            return self.client.create_client(self.workspace_id, change.name, notes=notes).id

        def find() -> int | None:
            return _find_by_name(self.client.list_clients(self.workspace_id, status="both",
                                                          name=change.name), change.name)

        new_id = self._create_once(create, find, change)
        self.object_ids[index] = new_id
        self.client_ids[name_key(change.name)] = new_id
        self.client_ids_spelled[spelling(change.name)] = new_id

    def _create_project(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.changes[index]
        client_id = self._client_id(change.client)
        body = self._project_body(change)
        body["name"] = change.name
        body["active"] = change.after("active", True)

        def create() -> int:
            return self.client.create_project(self.workspace_id, body).id

        def find() -> int | None:
            projects = self.client.list_projects(self.workspace_id, active="both")
            same_client = [p for p in projects if p.client_id == client_id]
            return _find_by_name(same_client, change.name)

        self.object_ids[index] = self._create_once(create, find, change)

    def _create_tag(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.changes[index]

        def create() -> int:
            return self.client.create_tag(self.workspace_id, change.name).id

        def find() -> int | None:
            return _find_by_name(self.client.list_tags(self.workspace_id), change.name)

        self.object_ids[index] = self._create_once(create, find, change)

    # ------------------------------------------------------------------ clients

    def _update_client(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.changes[index]
        client_id = self.object_ids[index]
        # Toggl's client PUT wants the whole client (name every time); whether it keeps fields
        # left out is undocumented, so notes the plan does not change are sent as they are.
        if any(f.field == "notes" for f in change.fields):
            notes = change.after("notes")
        else:
            notes = self.live_notes.get(client_id)
        kwargs: dict[str, Any] = {} if notes is None else {"notes": notes}
        self.client.update_client(self.workspace_id, client_id, change.name, **kwargs)

    def _restore_client(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        project_ids = self.changes[index].options.get("restore_project_ids", [])
        self.client.restore_client(self.workspace_id, self.object_ids[index],
                                   project_ids=list(project_ids))

    def _archive_clients(self, op: WriteOp) -> None:
        ids = [self.object_ids[index] for index in op.change_indexes]
        if len(ids) == 1:
            self.client.archive_client(self.workspace_id, ids[0])
            return
        result = self.client.archive_clients(self.workspace_id, ids)
        self._settle_bulk(result, ids, lambda cid: self.client.archive_client(self.workspace_id, cid))

    def _delete_clients(self, op: WriteOp) -> None:
        ids = [self.object_ids[index] for index in op.change_indexes]
        if len(ids) == 1:
            _ignore_not_found(lambda: self.client.delete_client(self.workspace_id, ids[0]))
            return
        result = self.client.delete_clients(self.workspace_id, ids)
        self._settle_bulk(result, ids, lambda cid: _ignore_not_found(
            lambda: self.client.delete_client(self.workspace_id, cid)))

    # ------------------------------------------------------------------ projects

    def _update_project(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.changes[index]
        body = self._project_body(change)
        if any(f.field == "name" for f in change.fields):
            body["name"] = change.name
        self.client.update_project(self.workspace_id, self.object_ids[index], body)

    def _patch_projects(self, op: WriteOp) -> None:
        ids = [self.object_ids[index] for index in op.change_indexes]
        change_of = {pid: self.changes[index] for pid, index in zip(ids, op.change_indexes)}

        def put_one(project_id: int) -> None:
            self.client.update_project(self.workspace_id, project_id,
                                       self._project_body(change_of[project_id]))

        operations = [
            {"op": "replace", "path": "/" + _API_FIELD.get(name, name),
             "value": self._client_id(value) if name == "client" else value}
            for name, value in op.patch
        ]
        try:
            result = self.client.bulk_patch_projects(self.workspace_id, ids, operations)
        except TogglError as error:
            # Which paths the bulk endpoint accepts is not documented: when the whole call is
            # refused as malformed or unknown, fall back to one PUT each.
            if error.status not in _BULK_REFUSED:
                raise
            result = BulkResult(success=(), failure=())
        self._settle_bulk(result, ids, put_one)

    def _delete_project(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        mode = self.changes[index].options.get("te_deletion_mode", "unassign")
        _ignore_not_found(lambda: self.client.delete_project(
            self.workspace_id, self.object_ids[index], te_deletion_mode=mode))

    def _project_body(self, change: Change) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for item in change.fields:
            if item.field == "name":
                continue
            if item.field == "client":
                body["client_id"] = self._client_id(item.after)
            else:
                body[item.field] = item.after
        return body

    def _client_id(self, client_name: str | None) -> int | None:
        if client_name is None:
            return None
        if spelling(client_name) in self.client_ids_spelled:
            return self.client_ids_spelled[spelling(client_name)]
        try:
            return self.client_ids[name_key(client_name)]
        except KeyError:
            raise ApplyFailed(f"client '{client_name}' does not exist in the workspace") from None

    # ------------------------------------------------------------------ tags

    def _rename_tag(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        self.client.rename_tag(self.workspace_id, self.object_ids[index], self.changes[index].name)

    def _delete_tag(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        _ignore_not_found(lambda: self.client.delete_tag(self.workspace_id, self.object_ids[index]))

    # ------------------------------------------------------------------ bulk results

    def _settle_bulk(self, result: BulkResult, ids: Sequence[int],
                     retry_one: Callable[[int], Any]) -> None:
        """Retry each id a bulk call reported as failed (or did not mention); report what still fails."""
        succeeded = set(result.success)
        failed_ids = [i for i in ids if i not in succeeded]
        messages = {failure.id: failure.message for failure in result.failure}
        still_failing: list[str] = []
        for object_id in failed_ids:
            try:
                retry_one(object_id)
            except QuotaExhaustedError:
                raise
            except TogglError as error:
                first = messages.get(object_id, "")
                still_failing.append(f"id {object_id}: {first or error.message}")
        if still_failing:
            raise BulkCallError("bulk call failed for " + "; ".join(still_failing))


def _find_by_name(objects: Iterable[Any], name: str) -> int | None:
    # The exact (NFC) spelling first: a case twin is another object, never the one created.
    found = list(objects)
    for key in (spelling, name_key):
        wanted = key(name)
        for obj in found:
            if key(obj.name) == wanted:
                return int(obj.id)
    return None


def _ignore_not_found(call: Callable[[], Any]) -> None:
    # A removal whose object is already gone (e.g. a retried DELETE that had succeeded) is done.
    try:
        call()
    except NotFoundError:
        pass


def apply_plan(client: TogglClient, plan: Plan, live: LiveState, **options: Any) -> ApplyResult:
    return Executor(client, plan, live, **options).run()


def stale_objects(plan: Plan, live: LiveState) -> list[str]:
    """Why a saved plan no longer fits the workspace: touched objects that moved, names now taken.

    An object moved when its `at` changed, or when a field the plan changes no longer holds the
    value the plan saw (Toggl's `at` has one-second resolution, so `at` alone can miss an edit).
    """
    current_values = _current_values(live)
    taken = _taken_names(live)
    problems: list[str] = []
    for change in plan.changes:
        if change.action is Action.CREATE:
            if _address_key(change) in taken[change.kind]:
                problems.append(f"{change.kind} '{change.address}' now exists, but the plan creates it")
            continue
        found = current_values[change.kind].get(change.live_id or -1)
        if found is None:
            problems.append(f"{change.kind} '{change.address}' (id {change.live_id}) no longer exists")
            continue
        at, values = found
        moved = [f.field for f in change.fields if f.field in values and values[f.field] != f.before]
        if at != change.live_at or moved:
            problems.append(f"{change.kind} '{change.address}' (id {change.live_id}) changed since "
                            f"the plan (at {at}, the plan saw {change.live_at})")
    return problems


def _current_values(live: LiveState) -> dict[str, dict[int, tuple[str | None, dict[str, Any]]]]:
    client_names = {c.id: c.name for c in live.clients}
    return {
        "client": {c.id: (c.at, {"name": c.name, "archived": c.archived, "notes": c.notes})
                   for c in live.clients},
        "project": {
            p.id: (p.at, {**p.fields, "name": p.name, "active": p.active,
                          "client": client_names.get(p.client_id or -1)})
            for p in live.projects
        },
        "tag": {t.id: (t.at, {"name": t.name}) for t in live.tags},
    }


def _taken_names(live: LiveState) -> dict[str, set[Any]]:
    client_names = {c.id: c.name for c in live.clients}
    return {
        "client": {name_key(c.name) for c in live.clients},
        "project": {(name_key(client_names.get(p.client_id or -1, "")), name_key(p.name))
                    for p in live.projects},
        "tag": {name_key(t.name) for t in live.tags},
    }


def _address_key(change: Change) -> Any:
    if change.kind == "project":
        return (name_key(change.client or ""), name_key(change.name))
    return name_key(change.name)
