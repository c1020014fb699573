"""From a plan's changes to the API writes that carry them out, bulk calls first.

Requests are this product's currency (Toggl allows 30 to 600 an hour), so project changes that
apply the same patch to many projects become one bulk PATCH per 100 ids, and client archives and
deletes use the bulk endpoints. The same function prices the plan (its bill) and drives the apply,
so the bill a user reviews is the number of writes the apply makes when nothing fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, Iterable, Sequence

from reconciler.engine.plan import Action, Bill, Change, Plan
from reconciler.model import LiveState

# Toggl caps a bulk project PATCH at 100 ids; URLs past ~2,000 characters risk proxies refusing them.
MAX_BULK_IDS = 100
MAX_BULK_PATH_CHARS = 2000
_BULK_PATH_OVERHEAD = len("/api/v9/workspaces/12345678901234567890/projects/")

# Project fields the bulk PATCH endpoint is known (color, observed) or expected to accept; the API
# notes leave the others unsettled, so a refused bulk patch falls back to per-project PUTs at apply.
BULK_PATCH_FIELDS: frozenset[str] = frozenset({"active", "color", "billable", "is_private", "client"})


class OpKind(Enum):
    CREATE_CLIENT = "create_client"
    UPDATE_CLIENT = "update_client"
    RESTORE_CLIENT = "restore_client"
    ARCHIVE_CLIENTS = "archive_clients"
    DELETE_CLIENTS = "delete_clients"
    CREATE_PROJECT = "create_project"
    UPDATE_PROJECT = "update_project"
    PATCH_PROJECTS = "patch_projects"
    DELETE_PROJECT = "delete_project"
    CREATE_TAG = "create_tag"
    RENAME_TAG = "rename_tag"
    DELETE_TAG = "delete_tag"


@dataclass(frozen=True)
class WriteOp:
    """One API write (or one bulk write) and the plan changes it carries out."""

    kind: OpKind
    change_indexes: tuple[int, ...]
    # PATCH_PROJECTS: the (field, value) pairs every project in the batch gets, in spec terms.
    patch: tuple[tuple[str, Any], ...] = ()


# The writes a single change needs, ignoring bulk grouping, by (kind, action).
_SINGLE_OP: dict[tuple[str, Action], OpKind] = {
    ("client", Action.CREATE): OpKind.CREATE_CLIENT,
    ("client", Action.UPDATE): OpKind.UPDATE_CLIENT,
    ("client", Action.RENAME): OpKind.UPDATE_CLIENT,
    ("client", Action.RESTORE): OpKind.RESTORE_CLIENT,
    ("client", Action.ARCHIVE): OpKind.ARCHIVE_CLIENTS,
    ("client", Action.DELETE): OpKind.DELETE_CLIENTS,
    ("project", Action.CREATE): OpKind.CREATE_PROJECT,
    ("project", Action.UPDATE): OpKind.UPDATE_PROJECT,
    ("project", Action.RENAME): OpKind.UPDATE_PROJECT,
    ("project", Action.RESTORE): OpKind.UPDATE_PROJECT,
    ("project", Action.ARCHIVE): OpKind.UPDATE_PROJECT,
    ("project", Action.DELETE): OpKind.DELETE_PROJECT,
    ("tag", Action.CREATE): OpKind.CREATE_TAG,
    ("tag", Action.RENAME): OpKind.RENAME_TAG,
    ("tag", Action.UPDATE): OpKind.RENAME_TAG,
    ("tag", Action.DELETE): OpKind.DELETE_TAG,
}
_GROUPABLE: frozenset[OpKind] = frozenset({OpKind.ARCHIVE_CLIENTS, OpKind.DELETE_CLIENTS})
_CLIENT_STATE_FIELDS = frozenset({"archived"})


def plan_writes(changes: Sequence[Change]) -> list[WriteOp]:
    """The ordered writes for `changes`; a batch stands where its first change stood."""
    slots: list[WriteOp | tuple[str, Any]] = []
    batches: dict[tuple[str, Any], list[int]] = {}
    for index, change in enumerate(changes):
        for item in _ops_for(index, change):
            if isinstance(item, WriteOp):
                slots.append(item)
                continue
            if item not in batches:
                batches[item] = []
                slots.append(item)
            batches[item].append(index)
    ops: list[WriteOp] = []
    for slot in slots:
        if isinstance(slot, WriteOp):
            ops.append(slot)
        else:
            ops.extend(_split_batch(slot, batches[slot], changes))
    return ops


def count_writes(changes: Sequence[Change]) -> int:
    return len(plan_writes(changes))


def patch_of(change: Change) -> tuple[tuple[str, Any], ...] | None:
    """The bulk patch a project change amounts to, or None when it needs a PUT (e.g. a rename)."""
    if change.kind != "project" or change.action in (Action.CREATE, Action.DELETE):
        return None
    names = {f.field for f in change.fields}
    if not names or not names <= BULK_PATCH_FIELDS:
        return None
    return tuple(sorted((f.field, _hashable(f.after)) for f in change.fields))


def _ops_for(index: int, change: Change) -> Iterable[WriteOp | tuple[str, Any]]:
    """The writes of one change: WriteOps, or batch keys for changes that can share a bulk call."""
    op_kind = _SINGLE_OP[(change.kind, change.action)]
    if change.kind == "client":
        yield from _client_ops(index, change, op_kind)
        return
    patch = patch_of(change)
    if patch is not None:
        yield ("patch", (_phase(change), patch))
        return
    yield WriteOp(op_kind, (index,))


def _client_ops(index: int, change: Change, op_kind: OpKind) -> Iterable[WriteOp | tuple[str, Any]]:
    # Toggl's client PUT cannot (un)archive and archive/restore cannot rename, so a client change
    # that does both needs one write of each kind.
    other_fields = [f for f in change.fields if f.field not in _CLIENT_STATE_FIELDS]
    if change.action in (Action.RESTORE, Action.ARCHIVE) and other_fields:
        yield WriteOp(OpKind.UPDATE_CLIENT, (index,))
    if op_kind in _GROUPABLE:
        yield (op_kind.value, None)
        return
    yield WriteOp(op_kind, (index,))
    if change.action is Action.CREATE and change.after("archived") is True:
        # Right after its create: a shared batch would run before later creates gave their ids,
        # and joining the removals' batch would pull the removals up to the creates' phase.
        yield WriteOp(OpKind.ARCHIVE_CLIENTS, (index,))


def _split_batch(key: tuple[str, Any], indexes: list[int], changes: Sequence[Change]) -> list[WriteOp]:
    name, detail = key
    if name == "patch":
        _, patch = detail
        if len(indexes) == 1:  # one project: a plain PUT is the better-trodden path
            return [WriteOp(OpKind.UPDATE_PROJECT, (indexes[0],))]
        return [WriteOp(OpKind.PATCH_PROJECTS, chunk, patch) for chunk in _chunks(indexes, changes)]
    return [WriteOp(OpKind(name), chunk) for chunk in _chunks(indexes, changes)]


def _chunks(indexes: list[int], changes: Sequence[Change]) -> list[tuple[int, ...]]:
    """Split ids into calls of at most MAX_BULK_IDS ids and MAX_BULK_PATH_CHARS of URL path."""
    chunks: list[tuple[int, ...]] = []
    current: list[int] = []
    path_chars = _BULK_PATH_OVERHEAD
    for index in indexes:
        id_chars = len(str(changes[index].live_id or 0)) + 1  # a created client has no id yet
        if current and (len(current) >= MAX_BULK_IDS or path_chars + id_chars > MAX_BULK_PATH_CHARS):
            chunks.append(tuple(current))
            current, path_chars = [], _BULK_PATH_OVERHEAD
        current.append(index)
        path_chars += id_chars
    if current:
        chunks.append(tuple(current))
    return chunks


def _phase(change: Change) -> str:
    # Removals run after creates and updates; a batch must not pull a change across that line.
    return "removal" if change.action.is_removal else "upsert"


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def with_bill(plan: Plan, live: LiveState) -> Plan:
    """The plan with its request bill: reads made, writes to make, and what a per-object tool spends."""
    per_object_reads = 1 + len(live.clients) + len(live.projects) + len(live.tags)
    bill = Bill(
        reads=live.reads,
        writes=count_writes(plan.changes),
        per_object_reads=per_object_reads,
        per_object_writes=len(plan.changes),
        quota=live.quota,
    )
    return replace(plan, bill=bill)
