"""The registry: every kind has its write module, every op kind its one handler."""

from __future__ import annotations

from reconciler.engine.plan import Plan
from reconciler.model import ALL_KINDS, LiveState
from reconciler.writes import BY_KIND, OP_KINDS, REGISTRY
from tests.writes.fakes import FakeToggl


def test_every_kind_has_one_module_and_every_op_kind_one_handler() -> None:
    from reconciler.apply import Executor

    assert set(BY_KIND) == set(ALL_KINDS)
    executor = Executor(FakeToggl(), Plan(workspace_id=1), LiveState(workspace_id=1))  # type: ignore[arg-type]
    handled = {op for writer in executor.writers.values() for op in writer.handlers()}
    assert handled == set(OP_KINDS.values()) == {op for w in REGISTRY for op in w.op_kinds}
