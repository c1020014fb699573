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
from typing import Any, Callable, ClassVar, Iterable, Sequence

from reconciler.engine.layout import PlanContext
from reconciler.engine.matching import Pair
from reconciler.engine.plan import Change
from reconciler.model import DesiredProject, DesiredState, Kind, LiveProject


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


# (ctx, the project's pair, its live records of the kind, the live ids claimed so far) ->
# that project's changes; it adds the ids it manages to the claimed set.
ProjectPlan = Callable[[PlanContext, Pair[DesiredProject, LiveProject], Sequence[Any], set[int]],
                       list[Change]]


def per_project(ctx: PlanContext, kind: Kind, listed: Callable[[DesiredProject], Any],
                live_records: Iterable[Any] | None, plan_project: ProjectPlan) -> list[Change]:
    """The changes of a kind that lives inside projects (members, tasks): every project entry
    that lists it (`listed` is not None) and is not deleted, with its own live records (those
    of a project created by this plan: none). The live ids managed become `ctx.claimed[kind]`;
    such a kind has no pairs of its own (it is paired project by project)."""
    by_project: dict[int, list[Any]] = {}
    for record in live_records or ():
        by_project.setdefault(record.project_id, []).append(record)
    changes: list[Change] = []
    claimed: set[int] = set()
    for pair in ctx.pairs["project"]:
        if listed(pair.desired) is None or pair.desired.delete:
            continue
        live = by_project.get(pair.live.id, []) if pair.live is not None else []
        changes.extend(plan_project(ctx, pair, live, claimed))
    ctx.pairs[kind] = ()
    ctx.claimed[kind] = claimed
    return changes
