"""Carrying out a plan: the only code that writes to Toggl.

It runs the writes that `engine.batching.plan_writes` derives from the plan, in order, so the
apply never does more than the plan showed. Every failure mode of a flaky API is settled without
a duplicate: an ambiguous create is settled with one cheap read (`since=` from the server's clock,
see reconciler.server_clock) before it is tried again, a create answered "already taken" adopts the
object it collided with and brings it to what the spec says, a bulk call's failure list is
retried one by one, a write that failed ambiguously is read back so the report says exactly what
was applied, and an exhausted hourly quota stops cleanly (or waits, with --wait-for-quota, within
bounds). Every recovery read is counted. Re-running converges.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence

from reconciler.durations import duration
from reconciler.engine.batching import OpKind, WriteOp, plan_writes
from reconciler.engine.changes import same_value
from reconciler.engine.fingerprint import dependency_problems
from reconciler.engine.plan import Action, Change, Plan
from reconciler.errors import QuotaError, ReconcilerError
from reconciler.model import LiveState, name_key, spelling
from reconciler.server_clock import ServerClock
from reconciler.toggl import TogglClient
from reconciler.toggl.client import MAX_PER_PAGE
from reconciler.toggl.errors import (
    AmbiguousWriteError,
    BadRequestError,
    NotFoundError,
    QuotaExhaustedError,
    TogglError,
)
from reconciler.toggl.types import BulkResult, Client, Project, Tag
from reconciler.untrusted import quoted

EventKind = Literal["done", "note", "wait"]
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
# Each attempt after an ambiguous failure costs one cheap re-read; five keeps a 20%-faulty API
# from stopping an apply while still bounding the requests one stubborn create can spend.
MAX_CREATE_ATTEMPTS = 5
# A `since=` read-back normally fits in one page (only what changed in the last seconds); past
# this many pages it falls back to the full listing rather than page on without end.
MAX_SETTLE_PAGES = 2
# --wait-for-quota: Toggl's quota is hourly, so no honest reset is further away than an hour;
# a reset "in -5 s" or "in 0 s" that is still refused is waited out with a growing back-off.
MAX_QUOTA_WAIT_SECONDS = 3600.0 + 60.0
QUOTA_BACKOFF_START_SECONDS = 5.0
# Waits in a row that let no write through before the apply gives up (exit 4).
MAX_FRUITLESS_QUOTA_WAITS = 4
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
    reads: int  # every read the apply made: all of them settle ambiguous writes
    ambiguous_writes: int = 0  # writes whose outcome was unknown and had to be read back


class ApplyFailed(ReconcilerError):
    """A hard failure mid-apply; the message says what was done and what is left."""


class ApplyInterrupted(ReconcilerError):
    """Ctrl-C mid-apply: how many changes were applied, and that re-running continues."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str, applied: int, total: int) -> None:
        super().__init__(message)
        self.applied = applied
        self.total = total


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
        server_clock: ServerClock | None = None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.changes: Sequence[Change] = plan.changes
        self.workspace_id = plan.workspace_id
        self.on_event = on_event
        self.wait_for_quota = wait_for_quota
        self.sleep = sleep
        # Best registered before the plan's reads (the CLI does); else live's newest `at` seeds it.
        self.clock = server_clock or ServerClock(client)
        self.clock.saw_stamps([c.at for c in live.clients] + [p.at for p in live.projects]
                              + [t.at for t in live.tags])
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
        self.ambiguous_writes = 0
        self._fruitless_quota_waits = 0
        self._settled_note = ""
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
            try:
                self._run_op(op)
            except KeyboardInterrupt:
                raise self._interrupted(op) from None
            self._mark_done(op)
        return ApplyResult(
            applied=len(self.progress.done),
            total=self.progress.total,
            writes=self.client.stats.writes - writes_before,
            reads=self.client.stats.reads - reads_before,
            ambiguous_writes=self.ambiguous_writes,
        )

    def _run_op(self, op: WriteOp) -> None:
        since = self.clock.since()  # before the op's first write: what it changes comes later
        self._settled_note = ""
        while True:
            self._wait_if_quota_spent()
            try:
                self._handlers[op.kind](op)
                self._fruitless_quota_waits = 0
                return
            except QuotaExhaustedError as error:
                self._on_quota_exhausted(error)
            except TogglError as error:
                if self._read_back(op, since, error):
                    return
                raise self._failure(op, error, self._settled_note) from None

    def _mark_done(self, op: WriteOp, indexes: Iterable[int] | None = None) -> None:
        for index in op.change_indexes if indexes is None else indexes:
            self.progress.ops_left[index] -= 1
            if self.progress.ops_left[index] == 0:
                self.progress.done.append(index)
                change = self.changes[index]
                self._emit("done", change.address, change)

    def _emit(self, kind: EventKind, message: str, change: Change | None = None,
              seconds_left: float = 0.0) -> None:
        self.on_event(ApplyEvent(kind, len(self.progress.done), self.progress.total, message,
                                 change, seconds_left))

    def _interrupted(self, op: WriteOp) -> ApplyInterrupted:
        done, total = len(self.progress.done), self.progress.total
        in_flight = self.changes[op.change_indexes[0]]
        return ApplyInterrupted(
            f"interrupted: {done} of {total} changes applied; the write in flight "
            f"({in_flight.kind} '{in_flight.address}') may or may not have been. Run apply "
            "again: it re-reads the workspace and continues where this one stopped, without "
            "duplicates.", done, total)

    # ------------------------------------------------------------------ quota

    def _wait_if_quota_spent(self) -> None:
        quota = self.client.quota
        if self.wait_for_quota and quota.remaining == 0 and quota.resets_in is not None:
            self._quota_wait(quota.resets_in)

    def _on_quota_exhausted(self, error: QuotaExhaustedError) -> None:
        resets_in = error.resets_in if error.resets_in is not None else self.client.quota.resets_in
        if not self.wait_for_quota:
            raise QuotaError(self._quota_message(resets_in)) from None
        self._quota_wait(resets_in)

    def _quota_wait(self, resets_in: Any) -> None:
        """Wait out the quota, whatever the server announced; give up when waits do not help."""
        if self._fruitless_quota_waits >= MAX_FRUITLESS_QUOTA_WAITS:
            raise QuotaError(
                f"gave up waiting for Toggl's hourly quota: {self._fruitless_quota_waits} waits in "
                f"a row let no write through (the server last announced a reset in {resets_in!r} "
                f"s). {len(self.progress.done)} of {self.progress.total} changes applied; re-run "
                "apply later to continue (it converges).") from None
        self._fruitless_quota_waits += 1
        self._countdown(quota_wait_seconds(resets_in, self._fruitless_quota_waits))

    def _quota_message(self, resets_in: int | None) -> str:
        when = f"quota resets in {duration(resets_in)}" if resets_in is not None else "quota resets within the hour"
        return (
            f"Toggl's hourly API quota is exhausted: {len(self.progress.done)} of "
            f"{self.progress.total} changes applied, {when}. Re-run to continue "
            "(apply converges), or pass --wait-for-quota to wait instead."
        )

    def _countdown(self, seconds: float) -> None:
        remaining = seconds
        while remaining > 0:
            self._emit("wait", "waiting for the hourly quota to reset", seconds_left=remaining)
            step = min(10.0, remaining)
            self.sleep(step)
            remaining -= step

    def _failure(self, op: WriteOp, error: TogglError, settled: str = "") -> ApplyFailed:
        first = next((i for i in op.change_indexes if i not in set(self.progress.done)),
                     op.change_indexes[0])
        done = set(self.progress.done)
        left = [quoted(c.address) for i, c in enumerate(self.changes) if i not in done]
        shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
        return ApplyFailed(
            f"apply stopped at [{len(self.progress.done) + 1}/{self.progress.total}] "
            f"{self.changes[first].kind} {quoted(self.changes[first].address)}: {error}\n{settled}"
            f"{len(self.progress.done)} of {self.progress.total} changes applied; not applied: "
            f"{shown}. Fix the cause and run apply again: it picks up where this one stopped."
        )

    # ------------------------------------------------------------------ read-back after a failure

    def _read_back(self, op: WriteOp, since: int | None, error: TogglError) -> bool:
        """After a failed write, read back what it did: True when all of it was applied.

        A 5xx or a dropped connection does not say whether the server committed the write (or,
        for a bulk call, how much of it). Marks the changes found applied as done, so the report
        counts exactly what was applied.
        """
        if error.status is not None and error.status < 500 and not isinstance(error, BulkCallError):
            return False  # a clear refusal: nothing to settle
        applied = self._applied_in(op, since)
        if applied is None:
            return False
        self.ambiguous_writes += 1
        pending = [i for i in op.change_indexes if i not in applied]
        if not pending:  # run() marks the whole op done
            self._emit("note", f"{len(applied)} change(s) were applied despite the error "
                               f"({error.message or error}); confirmed by reading back")
            return True
        self._mark_done(op, [i for i in op.change_indexes if i in applied])
        self._settled_note = (f"Reading back after the error: {len(applied)} of the "
                              f"{len(op.change_indexes)} changes of this call were applied.\n")
        return False

    def _applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        """Indexes of the op's changes whose effect is visible live; None when not checkable."""
        if op.kind in (OpKind.PATCH_PROJECTS, OpKind.UPDATE_PROJECT, OpKind.DELETE_PROJECT):
            ids = {self.object_ids[i]: i for i in op.change_indexes if i in self.object_ids}
            changed = {p.id: p for p in self._projects_changed_since(since)}
            if since is None and op.kind is OpKind.DELETE_PROJECT:
                # A full listing (no `since`) leaves deleted projects out altogether.
                return {index for pid, index in ids.items() if pid not in changed}
            return {index for pid, index in ids.items()
                    if pid in changed and self._project_shows(self.changes[index], changed[pid], op)}
        if op.kind in (OpKind.ARCHIVE_CLIENTS, OpKind.DELETE_CLIENTS):
            clients = {c.id: c for c in self.client.list_clients(self.workspace_id, status="both")}
            wanted_gone = op.kind is OpKind.DELETE_CLIENTS
            return {index for index in op.change_indexes
                    if (self.object_ids[index] not in clients if wanted_gone
                        else getattr(clients.get(self.object_ids[index]), "archived", False))}
        return None

    def _project_shows(self, change: Change, project: Project, op: WriteOp) -> bool:
        if op.kind is OpKind.DELETE_PROJECT:
            return project.server_deleted_at is not None
        wanted = dict(op.patch) if op.kind is OpKind.PATCH_PROJECTS else {
            f.field: f.after for f in change.fields}
        return all(_project_matches(project, name, list(value) if isinstance(value, tuple) else value,
                                    self._client_id) for name, value in wanted.items())

    def _projects_changed_since(self, since: int | None) -> list[Project]:
        """Projects changed since `since` (deleted ones included): one page, rarely two."""
        if since is None:
            return self.client.list_projects(self.workspace_id, active="both")
        found: list[Project] = []
        for page in range(1, MAX_SETTLE_PAGES + 1):
            items = self.client.list_projects_page(self.workspace_id, page=page, since=since)
            found.extend(items)
            if len(items) < MAX_PER_PAGE:
                return found
        return self.client.list_projects(self.workspace_id, active="both", since=since)

    # ------------------------------------------------------------------ creates (never a duplicate)

    def _create_once(self, create: Callable[[], Any], find: Callable[..., Any | None],
                     change: Change) -> Any:
        """Create, settling ambiguity by re-reading: adopt what exists, retry only what does not."""
        for _attempt in range(MAX_CREATE_ATTEMPTS):
            try:
                created = create()
                self.clock.saw_stamps([getattr(created, "at", None)])
                return created
            except AmbiguousWriteError:
                self.ambiguous_writes += 1
                found = find()
                if found is not None:
                    self._emit("note", f"{change.kind} {quoted(change.address)} was created despite the "
                                       "error; adopted it", change)
                    return self._adopted(found, change)
            except BadRequestError as error:
                # Toggl says the name exists, so a miss of the cheap read (a clock further off
                # than the margin, say) is worth one full listing before giving up.
                found = (find() or find(True)) if error.is_name_taken else None
                if found is None:
                    raise
                self._emit("note", f"{change.kind} {quoted(change.address)} already existed; adopted it",
                           change)
                return self._adopted(found, change)
        raise AmbiguousWriteError(
            f"could not create {change.kind} {quoted(change.address)} in {MAX_CREATE_ATTEMPTS} attempts"
        )

    def _adopted(self, found: Any, change: Change) -> Any:
        """An adopted object brought to what the spec says: name, archived state, notes, fields."""
        differences = _adoption_differences(found, change, self._client_id)
        if not differences:
            return found
        if isinstance(found, Project):
            body = {("client_id" if name == "client" else name):
                    (self._client_id(value) if name == "client" else value)
                    for name, value in differences.items()}
            self.client.update_project(self.workspace_id, found.id, body)
        elif isinstance(found, Client):
            self._reconcile_client(found, change, differences)
        elif isinstance(found, Tag):
            self.client.rename_tag(self.workspace_id, found.id, change.name)
        self._emit("note", f"{change.kind} {quoted(change.address)}: the adopted object differed from "
                           f"the spec ({', '.join(sorted(differences))}); updated it", change)
        return found

    def _reconcile_client(self, found: Client, change: Change, differences: Mapping[str, Any]) -> None:
        if "name" in differences or "notes" in differences:
            notes = change.after("notes") if "notes" in differences else found.notes
            self.client.update_client(self.workspace_id, found.id, change.name,
                                      **({} if notes is None and "notes" not in differences
                                         else {"notes": notes}))
        if differences.get("archived") is False:
            self.client.restore_client(self.workspace_id, found.id, project_ids=[])
        # archived: true is carried out by the plan's own archive write, which follows the create.

    def _create_client(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.changes[index]
        notes = change.after("notes")

        def create() -> Client:
            return self.client.create_client(self.workspace_id, change.name, notes=notes)

        def find(thorough: bool = False) -> Client | None:
            # Thorough: without the `name` filter, whose matching rules Toggl does not document.
            return _find_by_name(self.client.list_clients(
                self.workspace_id, status="both", name=None if thorough else change.name), change.name)

        new_id = self._create_once(create, find, change).id
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
        since = self.clock.since()

        def create() -> Project:
            return self.client.create_project(self.workspace_id, body)

        def find(thorough: bool = False) -> Project | None:
            changed = self._projects_changed_since(None if thorough else since)
            same_client = [p for p in changed if p.client_id == client_id and not p.server_deleted_at]
            return _find_by_name(same_client, change.name)

        self.object_ids[index] = self._create_once(create, find, change).id

    def _create_tag(self, op: WriteOp) -> None:
        index = op.change_indexes[0]
        change = self.changes[index]

        def create() -> Tag:
            return self.client.create_tag(self.workspace_id, change.name)

        def find(thorough: bool = False) -> Tag | None:
            if thorough:  # the one read below is already complete
                return None
            return _find_by_name(self.client.list_tags(self.workspace_id), change.name)

        self.object_ids[index] = self._create_once(create, find, change).id

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
            raise ApplyFailed(f"client {quoted(client_name)} does not exist in the workspace") from None

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


def _find_by_name(objects: Iterable[Any], name: str) -> Any | None:
    """The object of that name: the exact (NFC) spelling first, else one differing only in
    case. A case twin is another object, never the one created, when the exact one exists."""
    candidates = list(objects)
    for key in (spelling, name_key):
        wanted = key(name)
        for obj in candidates:
            if key(obj.name) == wanted:
                return obj
    return None


def _adoption_differences(found: Any, change: Change,
                          client_id: Callable[[str | None], int | None]) -> dict[str, Any]:
    """What the spec wants of a created object that the adopted one does not have."""
    wanted: dict[str, Any] = {"name": change.name}
    if isinstance(found, Project):
        wanted.update({f.field: f.after for f in change.fields if f.field != "name"})
        wanted["active"] = change.after("active", True)
        return {name: value for name, value in wanted.items()
                if not _project_matches(found, name, value, client_id)}
    if isinstance(found, Client):
        if any(f.field == "notes" for f in change.fields):
            wanted["notes"] = change.after("notes")
        wanted["archived"] = change.after("archived", False)
        live = {"name": found.name, "notes": found.notes, "archived": found.archived}
        return {name: value for name, value in wanted.items()
                if not same_value(name, live[name], value)
                and not (name == "archived" and value is True)}
    return {} if found.name == change.name else {"name": change.name}


def _project_matches(project: Project, name: str, value: Any,
                     client_id: Callable[[str | None], int | None]) -> bool:
    if name == "client":
        return project.client_id == client_id(value)
    if name == "name":
        return project.name == value
    return same_value(name, project.raw.get(name, getattr(project, name, None)), value)


def quota_wait_seconds(resets_in: Any, attempt: int) -> float:
    """How long to wait for the quota, whatever the server announced.

    A reset announced in the past, now, or as garbage would make a hot loop of refused writes;
    one announced past the hour (Toggl's quota is hourly) would wait for years. So the
    announcement is clamped to [0, MAX_QUOTA_WAIT_SECONDS], and repeated waits that did not
    help back off (5 s, 10 s, 20 s, ...) up to the same cap.
    """
    try:
        announced = float(resets_in)
    except (TypeError, ValueError):
        announced = 0.0
    if announced != announced:  # NaN
        announced = 0.0
    announced = min(max(announced, 0.0), MAX_QUOTA_WAIT_SECONDS)
    backoff = QUOTA_BACKOFF_START_SECONDS * 2 ** max(0, attempt - 1)
    floor = 1.0 if attempt <= 1 else backoff  # the reset is announced in whole seconds
    return min(MAX_QUOTA_WAIT_SECONDS, max(announced + 1.0, floor))


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
    What a change depends on beyond its own object (what a removal takes along, the client a
    create needs) is checked against the plan's fingerprints.
    """
    current_values = _current_values(live)
    taken = _taken_names(live)
    problems: list[str] = []
    problems += dependency_problems(plan, live)
    for change in plan.changes:
        if change.action is Action.CREATE:
            if _address_key(change) in taken[change.kind]:
                problems.append(f"{change.kind} {quoted(change.address)} now exists, but the plan creates it")
            continue
        found = current_values[change.kind].get(change.live_id or -1)
        if found is None:
            problems.append(f"{change.kind} {quoted(change.address)} (id {change.live_id}) no longer exists")
            continue
        at, values = found
        moved = [f.field for f in change.fields if f.field in values and values[f.field] != f.before]
        if at != change.live_at or moved:
            problems.append(f"{change.kind} {quoted(change.address)} (id {change.live_id}) changed since "
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
