"""The write modules of every kind, and the registry the planner's bill and the executor use.

To add a kind: write `reconciler/writes/<kind>.py` declaring its op kinds, `ops_for` (and
`split_batch` when its changes share bulk calls), a `KindWriter` with one handler per op kind,
and the `apply --plan` checks, all in one `WRITES = KindWrites(...)`; then list it below.
"""

from __future__ import annotations

from typing import Mapping

from reconciler.model import Kind
from reconciler.writes import (
    clients,
    groups,
    members,
    projects,
    settings,
    tags,
    tasks,
    workspaces,
)
from reconciler.writes.base import KindWrites, OpKind

# In the order of the phases' create side. The plan's order decides when each op runs; this
# order only decides which writer seeds its ids first (a writer may read an earlier one's).
REGISTRY: tuple[KindWrites, ...] = (
    workspaces.WRITES,
    settings.WRITES,
    clients.WRITES,
    projects.WRITES,
    tags.WRITES,
    groups.WRITES,
    members.WRITES,
    tasks.WRITES,
)

BY_KIND: Mapping[Kind, KindWrites] = {writes.kind: writes for writes in REGISTRY}
OP_KINDS: Mapping[str, OpKind] = {op.value: op for writes in REGISTRY for op in writes.op_kinds}
assert len(OP_KINDS) == sum(len(writes.op_kinds) for writes in REGISTRY), "op kinds must be unique"


def writes_of(kind: Kind) -> KindWrites:
    return BY_KIND[kind]
