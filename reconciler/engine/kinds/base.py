"""What every kind's planner provides: its kind, its phases, and its changes (pure).

A kind module (`kinds/clients.py`, `kinds/tasks.py`, ...) exposes one `PLANNER`, an instance
of a `KindPlanner` subclass, and `kinds.REGISTRY` lists them all. The planner core iterates
the registry: whether the spec mentions the kind (`mentioned`; a kind the spec does not
mention is neither read nor planned), then its `changes`, in registry order, so a later kind
may use what an earlier one recorded on the context (members use the groups this plan creates).
The order of the changes in a plan comes from `phases`.

To add a kind: write `kinds/<kind>.py` with a subclass of `KindPlanner` and add its `PLANNER`
to `REGISTRY` in the order its changes depend on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reconciler.engine.layout import PlanContext
from reconciler.engine.plan import Change
from reconciler.model import DesiredState, Kind


@dataclass(frozen=True)
class Phases:
    """Where a kind's changes run in a plan: creates, renames, updates and restores in
    `create`; archives and deletes in `removal` (removals run after every create, in the
    reverse order of the kinds, so that nothing is removed while something still needs it)."""

    create: int
    removal: int | None = None  # None: the kind never removes anything

    def of(self, change: Change) -> int:
        if change.action.is_removal and self.removal is not None:
            return self.removal
        return self.create


class KindPlanner:
    """One kind's planner. Subclasses set `kind` and `phases` and implement `changes`."""

    kind: ClassVar[Kind]
    phases: ClassVar[Phases]

    def mentioned(self, desired: DesiredState) -> bool:
        """Whether the spec manages this kind at all (the first three kinds: always)."""
        return True

    def changes(self, ctx: PlanContext) -> list[Change]:
        raise NotImplementedError
