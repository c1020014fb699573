"""The write modules of every kind, and the registry the planner's bill and the executor use.

To add a kind: write `reconciler/writes/<kind>.py` declaring its op kinds, `ops_for` (and
`split_batch` when its changes share bulk calls), a `KindWriter` with one handler per op kind,
and the `apply --plan` checks, all in one `WRITES = KindWrites(...)`; then list it below.
"""

from __future__ import annotations

from typing import Mapping

from reconciler.model import Kind
from reconciler.writes import clients, projects, tags
from reconciler.writes.base import KindWrites, OpKind

REGISTRY: tuple[KindWrites, ...] = (
    clients.WRITES,
    projects.WRITES,
    tags.WRITES,
)

BY_KIND: Mapping[Kind, KindWrites] = {writes.kind: writes for writes in REGISTRY}
OP_KINDS: Mapping[str, OpKind] = {op.value: op for writes in REGISTRY for op in writes.op_kinds}
assert len(OP_KINDS) == sum(len(writes.op_kinds) for writes in REGISTRY), "op kinds must be unique"


def writes_of(kind: Kind) -> KindWrites:
    return BY_KIND[kind]
