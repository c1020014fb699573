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
from typing import Any, Callable, Iterable, Literal, Sequence

from reconciler.durations import duration
from reconciler.engine.batching import plan_writes
from reconciler.engine.fingerprint import dependency_problems
from reconciler.engine.plan import Action, Change, Plan
from reconciler.errors import QuotaError, ReconcilerError
from reconciler.model import WORKSPACE_KIND_SECTIONS, LiveState, email_key
from reconciler.server_clock import ServerClock
from reconciler.toggl import TogglClient
from reconciler.toggl.errors import (
    AmbiguousWriteError,
    BadRequestError,
    QuotaExhaustedError,
    TogglError,
)
from reconciler.toggl.types import BulkResult
from reconciler.untrusted import quoted
from reconciler.writes import REGISTRY, writes_of
from reconciler.writes.base import (
    ApplyFailed,
    BulkCallError,
    Handler,
    IdBook,
    KindWriter,
    OpKind,
    UnresolvedReference,
    WriteOp,
)

__all__ = ["ApplyEvent", "ApplyFailed", "ApplyInterrupted", "ApplyResult", "Executor",
           "apply_plan", "quota_wait_seconds", "stale_objects"]

EventKind = Literal["done", "note", "wait"]
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
# Each attempt after an ambiguous failure costs one cheap re-read; five keeps a 20%-faulty API
# from stopping an apply while still bounding the requests one stubborn create can spend.
MAX_CREATE_ATTEMPTS = 5
# --wait-for-quota: Toggl's quota is hourly, so no honest reset is further away than an hour;
# a reset "in -5 s" or "in 0 s" that is still refused is waited out with a growing back-off.
MAX_QUOTA_WAIT_SECONDS = 3600.0 + 60.0
QUOTA_BACKOFF_START_SECONDS = 5.0
# Waits in a row that let no write through before the apply gives up (exit 4).
MAX_FRUITLESS_QUOTA_WAITS = 4


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


class ApplyInterrupted(ReconcilerError):
    """Ctrl-C mid-apply: how many changes were applied, and that re-running continues."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, message: str, applied: int, total: int) -> None:
        super().__init__(message)
        self.applied = applied
        self.total = total


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
        self.live = live
        self.changes: Sequence[Change] = plan.changes
        self.on_event = on_event
        self.wait_for_quota = wait_for_quota
        self.sleep = sleep
        # Best registered before the plan's reads (the CLI does); else live's newest `at` seeds it.
        self.clock = server_clock or ServerClock(client)
        self.clock.saw_stamps(_live_stamps(live))
        self.ids = IdBook(workspace_id=plan.workspace_id, organization_id=live.organization_id)
        self.ids.user_ids.update({email_key(user.email): user.id for user in live.users or ()})
        self.object_ids: dict[int, int] = {
            index: change.live_id for index, change in enumerate(self.changes) if change.live_id
        }
        self.progress = _Progress(total=len(self.changes))
        self.ambiguous_writes = 0
        self._fruitless_quota_waits = 0
        self._settled_note = ""
        # One writer per kind, in the registry's order (a writer may read ids an earlier one
        # seeded); every op kind has exactly one handler.
        self.writers: dict[str, KindWriter] = {writes.kind: writes.writer(self) for writes in REGISTRY}
        self._handlers: dict[OpKind, Handler] = {}
        self._writer_of: dict[OpKind, KindWriter] = {}
        for writer in self.writers.values():
            for op_kind, handler in writer.handlers().items():
                self._handlers[op_kind] = handler
                self._writer_of[op_kind] = writer

    @property
    def workspace_id(self) -> int:
        """The workspace written to: the plan's, or the one this apply created (plan's id 0)."""
        return self.ids.workspace_id

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
            except UnresolvedReference as error:
                raise self._failure(op, error) from None
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

    def _failure(self, op: WriteOp, error: Exception, settled: str = "") -> ApplyFailed:
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
        return self._writer_of[op.kind].applied_in(op, since)

    # ------------------------------------------------------------------ creates (never a duplicate)

    def create_once(self, create: Callable[[], Any], find: Callable[..., Any | None],
                    change: Change, reconcile: Callable[[Any], Sequence[str]] = lambda found: (),
                    taken: Callable[[BadRequestError], bool] = lambda error: error.is_name_taken,
                    ) -> Any:
        """Create, settling ambiguity by re-reading: adopt what exists, retry only what does not.

        `find(thorough=False)` looks for the object the create would make (cheaply; thorough:
        a complete listing), `reconcile(found)` brings an adopted object to what the spec says
        and names the fields it had to change, `taken(error)` says whether a 400 means the
        object exists already.
        """
        for _attempt in range(MAX_CREATE_ATTEMPTS):
            try:
                created = create()
                self.clock.saw_stamps([getattr(created, "at", None)])
                return created
            except AmbiguousWriteError:
                self.ambiguous_writes += 1
                found = find()
                if found is not None:
                    self.emit_note(f"{change.kind} {quoted(change.address)} was created despite the "
                                   "error; adopted it", change)
                    return self._adopted(found, change, reconcile)
            except BadRequestError as error:
                # Toggl says the name exists, so a miss of the cheap read (a clock further off
                # than the margin, say) is worth one full listing before giving up.
                found = (find() or find(True)) if taken(error) else None
                if found is None:
                    raise
                self.emit_note(f"{change.kind} {quoted(change.address)} already existed; adopted it",
                               change)
                return self._adopted(found, change, reconcile)
        raise AmbiguousWriteError(
            f"could not create {change.kind} {quoted(change.address)} in {MAX_CREATE_ATTEMPTS} attempts"
        )

    def _adopted(self, found: Any, change: Change, reconcile: Callable[[Any], Sequence[str]]) -> Any:
        """An adopted object brought to what the spec says (the kind's `reconcile` knows how)."""
        differences = reconcile(found)
        if differences:
            self.emit_note(f"{change.kind} {quoted(change.address)}: the adopted object differed "
                           f"from the spec ({', '.join(differences)}); updated it", change)
        return found

    def emit_note(self, message: str, change: Change | None = None) -> None:
        self._emit("note", message, change)

    # ------------------------------------------------------------------ bulk results

    def settle_bulk(self, result: BulkResult, ids: Sequence[int],
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


def _live_stamps(live: LiveState) -> list[str | None]:
    """Every `at` of the live state: the newest seeds the server clock."""
    stamps = [c.at for c in live.clients] + [p.at for p in live.projects] + [t.at for t in live.tags]
    for objects in (live.groups, live.members, live.tasks):
        stamps += [obj.at for obj in objects or ()]
    return stamps


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


def apply_plan(client: TogglClient, plan: Plan, live: LiveState, **options: Any) -> ApplyResult:
    return Executor(client, plan, live, **options).run()


def stale_objects(plan: Plan, live: LiveState) -> list[str]:
    """Why a saved plan no longer fits the workspace: touched objects that moved, names now taken.

    An object moved when its `at` changed, or when a field the plan changes no longer holds the
    value the plan saw (Toggl's `at` has one-second resolution, so `at` alone can miss an edit).
    What a change depends on beyond its own object (what a removal takes along, the client a
    create needs) is checked against the plan's fingerprints. What each kind's live objects
    are, and what a create collides with, is that kind's write module's to say.
    """
    kinds = {change.kind for change in plan.changes}
    unread = sorted(kind for kind in kinds if not writes_of(kind).was_read(live))
    current = {kind: writes_of(kind).current(live) for kind in kinds}
    taken = {kind: writes_of(kind).taken(live) for kind in kinds}
    problems: list[str] = []
    problems += dependency_problems(plan, live)
    # Fail closed: a kind the fresh read left out cannot be shown to be as the plan saw it.
    problems += [f"the plan changes {WORKSPACE_KIND_SECTIONS[kind]}, but the workspace's "
                 f"{WORKSPACE_KIND_SECTIONS[kind]} were not read to check it" for kind in unread]
    for change in plan.changes:
        if change.kind in unread:
            continue
        writes = writes_of(change.kind)
        where = f"{change.kind} {quoted(change.address)}"
        if change.action is Action.CREATE:
            if writes.create_key(change) in taken[change.kind]:
                problems.append(f"{where} now exists, but the plan creates it")
            continue
        if change.live_id is None:  # e.g. settings of a workspace the plan creates: nothing seen
            continue
        found = current[change.kind].get(writes.object_key(change))
        if found is None:
            problems.append(f"{where} (id {change.live_id}) no longer exists")
            continue
        at, values = found
        moved = [f.field for f in change.fields
                 if f.field in values and not writes.same(f.field, values[f.field], f.before)]
        if (writes.has_at and at != change.live_at) or moved:
            problems.append(f"{where} (id {change.live_id}) changed since "
                            f"the plan (at {at}, the plan saw {change.live_at})")
    return problems
