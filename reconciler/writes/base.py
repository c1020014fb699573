"""What every kind's write module declares, and the helpers they share.

A kind module (`reconciler.writes.clients`, `...projects`, ...) holds everything about writing
one kind: its op kinds, how its changes become WriteOps (bulk calls where Toggl has them), the
handler of each op, how an ambiguous write of it is read back, and what `apply --plan` checks
of its live objects. The executor (`reconciler.apply.Executor`) keeps what all kinds share:
quota waits, read-back after a failure, never-duplicate creates, progress, interruption.

The planning half (`KindWrites.ops_for` / `split_batch`, the stale checks) is pure: the bill a
user reviews is computed from it without a request. The writing half (`KindWriter`) runs only
inside an apply, through the executor's client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Mapping, Sequence

from reconciler.engine.plan import Change
from reconciler.errors import ReconcilerError
from reconciler.model import (
    Kind,
    LiveState,
    email_key,
    name_key,
    project_key,
    spelling,
    split_address,
)
from reconciler.toggl.errors import NotFoundError, TogglError
from reconciler.untrusted import quoted

if TYPE_CHECKING:  # the executor is the shell; kind modules only reach it through a writer
    from reconciler.apply import Executor

# Toggl caps a bulk PATCH at 100 ids; URLs past ~2,000 characters risk proxies refusing them.
MAX_BULK_IDS = 100
MAX_BULK_PATH_CHARS = 2000
BULK_PATH_OVERHEAD = len("/api/v9/workspaces/12345678901234567890/projects/")
# Statuses with which a server refuses a whole bulk PATCH it does not support.
BULK_REFUSED = frozenset({400, 404, 405, 501})


@dataclass(frozen=True)
class OpKind:
    """One kind of API write (`create_client`, `patch_tasks`, ...), declared by a kind module."""

    value: str

    def __repr__(self) -> str:
        return f"OpKind({self.value!r})"


@dataclass(frozen=True)
class WriteOp:
    """One API write (or one bulk write) and the plan changes it carries out."""

    kind: OpKind
    change_indexes: tuple[int, ...]
    # Bulk patches: the (field, value) pairs every object in the batch gets, in spec terms.
    patch: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Batch:
    """Changes with equal batches share bulk calls; the batch stands where its first change stood.

    `key` is the kind module's own: it must hold the phase (upsert or removal) so that a batch
    never pulls a change across that line, and whatever else must be equal to share a call.
    """

    kind: Kind
    key: Hashable


def where(change: Change) -> str:
    """How messages name a change's object: `task 'Acme/Site/Design'`."""
    return f"{change.kind} {quoted(change.address)}"


def parent_key(change: Change) -> tuple[str, str]:
    """The `project_key` of a task's or member's project, from its parent address."""
    client, name = split_address(change.parent or "")
    return project_key(client, name)


def phase(change: Change) -> str:
    # Removals run after creates and updates; a batch must not pull a change across that line.
    return "removal" if change.action.is_removal else "upsert"


def hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((k, hashable(v)) for k, v in value.items()))
    return value


def unhashable(value: Any) -> Any:
    """A patch value back in JSON terms (tuples were lists)."""
    return list(value) if isinstance(value, tuple) else value


def chunks(indexes: Sequence[int], changes: Sequence[Change],
           max_ids: int = MAX_BULK_IDS) -> list[tuple[int, ...]]:
    """Split ids into calls of at most `max_ids` ids and MAX_BULK_PATH_CHARS of URL path."""
    found: list[tuple[int, ...]] = []
    current: list[int] = []
    path_chars = BULK_PATH_OVERHEAD
    for index in indexes:
        id_chars = len(str(changes[index].live_id or 0)) + 1  # a created object has no id yet
        if current and (len(current) >= max_ids or path_chars + id_chars > MAX_BULK_PATH_CHARS):
            found.append(tuple(current))
            current, path_chars = [], BULK_PATH_OVERHEAD
        current.append(index)
        path_chars += id_chars
    if current:
        found.append(tuple(current))
    return found


# ---------------------------------------------------------------------------- ids across kinds


@dataclass
class IdBook:
    """The ids one kind's writes need of another's, kept current as the apply creates objects.

    Projects name their client, tasks and members their project (by address), members and
    groups their users (by e-mail) and groups (by name). Each kind's writer seeds what it owns
    from the live state and the plan, and adds what it creates.
    """

    workspace_id: int
    organization_id: int | None = None
    client_ids: dict[str, int] = field(default_factory=dict)  # name_key -> id
    client_ids_spelled: dict[str, int] = field(default_factory=dict)  # NFC spelling -> id
    project_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # project_key -> id
    user_ids: dict[str, int] = field(default_factory=dict)  # email_key -> user id
    group_ids: dict[str, int] = field(default_factory=dict)  # name_key -> group id

    def client_id(self, client_name: str | None) -> int | None:
        if client_name is None:
            return None
        if spelling(client_name) in self.client_ids_spelled:
            return self.client_ids_spelled[spelling(client_name)]
        try:
            return self.client_ids[name_key(client_name)]
        except KeyError:
            raise UnresolvedReference(f"client {quoted(client_name)} does not exist in the workspace") from None

    def add_client(self, name: str, client_id: int) -> None:
        self.client_ids[name_key(name)] = client_id
        self.client_ids_spelled[spelling(name)] = client_id

    def project_id(self, address: str | None) -> int:
        client, name = split_address(address or "")
        try:
            return self.project_ids[project_key(client, name)]
        except KeyError:
            raise UnresolvedReference(f"project {quoted(address or '')} does not exist in the workspace") from None

    def add_project(self, client: str | None, name: str, project_id: int) -> None:
        self.project_ids[project_key(client, name)] = project_id

    def user_id(self, email: str, recorded: Any = None) -> int:
        """The user of an e-mail; `recorded` is the id the plan recorded (change options), used
        when the users were not read for this apply (user ids do not change)."""
        found = self.user_ids.get(email_key(email))
        if found is not None:
            return found
        if _is_id(recorded):
            return int(recorded)
        raise UnresolvedReference(f"{quoted(email)} is not a user of the workspace") from None

    def group_id(self, name: str, recorded: Any = None) -> int:
        found = self.group_ids.get(name_key(name))
        if found is not None:
            return found
        if _is_id(recorded):
            return int(recorded)
        raise UnresolvedReference(f"group {quoted(name)} does not exist in the organization") from None

    def organization(self) -> int:
        if self.organization_id is None:
            raise UnresolvedReference("the workspace's organization is not known (it was not read)")
        return self.organization_id


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class ApplyFailed(ReconcilerError):
    """A hard failure mid-apply; the message says what was done and what is left."""


class BulkCallError(TogglError):
    """Objects a bulk call reported as failed and that failed again one by one."""


class UnresolvedReference(ApplyFailed):
    """An op needs an id the apply does not know (a client, project, user or group): nothing
    was sent; the executor reports it with what was applied and what is left."""


# ---------------------------------------------------------------------------- the two halves


Handler = Callable[[WriteOp], None]


class KindWriter:
    """The writing half of a kind, one per apply: its handlers and its read-backs."""

    def __init__(self, executor: Executor) -> None:
        self.ex = executor

    def handlers(self) -> Mapping[OpKind, Handler]:
        raise NotImplementedError

    def applied_in(self, op: WriteOp, since: int | None) -> set[int] | None:
        """Indexes of the op's changes whose effect is visible live; None when not checkable."""
        return None

    # Shorthands for the handlers.
    def change(self, op: WriteOp) -> Change:
        return self.ex.changes[op.change_indexes[0]]

    def live_id(self, index: int) -> int:
        return self.ex.object_ids[index]

    @property
    def wid(self) -> int:
        # Read at each call: a workspace created by this apply gives its id to every later op.
        return self.ex.ids.workspace_id


@dataclass(frozen=True)
class KindWrites:
    """The declaration of one kind's writes: what the registry (reconciler.writes) lists."""

    kind: Kind
    op_kinds: tuple[OpKind, ...]
    # change -> its writes: WriteOps, or Batches for changes that can share a bulk call.
    ops_for: Callable[[int, Change], Iterable[WriteOp | Batch]]
    writer: Callable[[Executor], KindWriter]
    # A batch's indexes -> the bulk calls (only kinds that batch need it).
    split_batch: Callable[[Batch, list[int], Sequence[Change]], list[WriteOp]] | None = None
    # `apply --plan`: live id -> (at, values in spec terms) of this kind's live objects, ...
    current: Callable[[LiveState], Mapping[int, tuple[str | None, Mapping[str, Any]]]] = (
        lambda live: {})
    # ... the keys of its live objects a create would collide with, and a create's key.
    taken: Callable[[LiveState], set[Any]] = lambda live: set()
    create_key: Callable[[Change], Any] = lambda change: name_key(change.name)
    # Whether the kind's live objects carry an `at` that a saved plan's `live_at` can match.
    has_at: bool = True
    # Whether a live value still is the value the plan saw (e-mails: ignoring case).
    same: Callable[[str, Any, Any], bool] = lambda field_name, live, seen: live == seen
    # Whether the live state holds this kind's objects (the workspace kinds are read only
    # when asked): `apply --plan` refuses to check a plan against a kind it did not read.
    was_read: Callable[[LiveState], bool] = lambda live: True
    # The key of a change's live object in `current` (ids of two tables may coincide).
    object_key: Callable[[Change], Any] = lambda change: change.live_id
    # What a change depends on beyond its own object (a delete's tracked time, a create's
    # project, a group removal's people) is its fingerprint: engine.fingerprint checks those.


# ---------------------------------------------------------------------------- helpers for writers


def find_by_name(objects: Iterable[Any], name: str) -> Any | None:
    """The object of that name: the exact (NFC) spelling first, else one differing only in
    case. A case twin is another object, never the one created, when the exact one exists."""
    candidates = list(objects)
    for key in (spelling, name_key):
        wanted = key(name)
        for obj in candidates:
            if key(obj.name) == wanted:
                return obj
    return None


def ignore_not_found(call: Callable[[], Any]) -> None:
    # A removal whose object is already gone (e.g. a retried DELETE that had succeeded) is done.
    try:
        call()
    except NotFoundError:
        pass
