"""From a plan's changes to the API writes that carry them out, bulk calls first.

Requests are this product's currency (Toggl allows 30 to 600 an hour), so changes that apply the
same patch to many objects become one bulk call per 100 ids (projects, tasks, project users), and
client archives and deletes use the bulk endpoints. How each kind's changes become writes is that
kind's module in reconciler.writes; this module orders them. The same function prices the plan
(its bill) and drives the apply, so the bill a user reviews is the number of writes the apply
makes when nothing fails.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from reconciler.engine.plan import Bill, Change, Plan, reads_by_kind, writes_by_kind
from reconciler.model import LiveState
from reconciler.writes import writes_of
from reconciler.writes.base import MAX_BULK_IDS, MAX_BULK_PATH_CHARS, Batch, OpKind, WriteOp
from reconciler.writes.projects import BULK_PATCH_FIELDS, patch_of

__all__ = ["BULK_PATCH_FIELDS", "MAX_BULK_IDS", "MAX_BULK_PATH_CHARS", "OpKind", "WriteOp",
           "count_writes", "patch_of", "plan_writes", "with_bill"]


def plan_writes(changes: Sequence[Change]) -> list[WriteOp]:
    """The ordered writes for `changes`; a batch stands where its first change stood."""
    slots: list[WriteOp | Batch] = []
    batches: dict[Batch, list[int]] = {}
    for index, change in enumerate(changes):
        for item in writes_of(change.kind).ops_for(index, change):
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
            continue
        split = writes_of(slot.kind).split_batch
        assert split is not None, f"{slot.kind} batches its changes but cannot split them"
        ops.extend(split(slot, batches[slot], changes))
    return ops


def count_writes(changes: Sequence[Change]) -> int:
    return len(plan_writes(changes))


def with_bill(plan: Plan, live: LiveState) -> Plan:
    """The plan with its request bill: reads made, writes to make, and what a per-object tool spends."""
    per_object_reads = 1 + len(live.clients) + len(live.projects) + len(live.tags)
    for read in (live.users, live.groups, live.members, live.tasks):  # kinds the spec mentions
        per_object_reads += len(read or ())
    by_kind = writes_by_kind(plan.changes, count_writes)  # bulk calls never mix kinds
    bill = Bill(
        reads=live.reads,
        writes=sum(by_kind.values()),
        per_object_reads=per_object_reads,
        per_object_writes=len(plan.changes),
        quota=live.quota,
        reads_by_kind=reads_by_kind(live),
        writes_by_kind=by_kind,
    )
    return replace(plan, bill=bill)
