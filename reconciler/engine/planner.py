"""The planner: desired state + live state -> an ordered Plan (pure, linear in the objects).

Three steps, each in its own module. `matching` pairs each spec entry with at most one live
object (exact spelling, then case only, then a previous name, then, for projects, the project
its `move_from` names: a move). `layout` then works out where every surviving project sits
when client archives run (the last phase), because a client archive takes its projects along
in Toggl and a client restore may bring some back; and it refuses a plan that would leave a
protected object where no pattern covers it. Finally each pair and each unmatched live object
yields at most one Change, built by each kind's planner (`engine.kinds`, iterated in
registry order; the plan's order comes from their phases); `unmanaged` lists what the
`ignore` policy keeps.

This module holds only the entry point, `build_plan`, and the order of the changes.
"""

from __future__ import annotations

import re
from typing import Mapping

from reconciler.engine.changes import check_tier, spec_sources
from reconciler.engine.kinds import PHASES, REGISTRY
from reconciler.engine.layout import (
    PlanContext,
    decide_client_states,
    lay_out,
    refuse_clashes,
    refuse_unprotecting,
)
from reconciler.engine.matching import (
    Notes,
    Pair,
    ProjectIndex,
    match_clients,
    match_projects,
    match_tags,
    new_pairs,
)
from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.rules import check_house_rules
from reconciler.engine.unmanaged import unmanaged_listing
from reconciler.errors import PlanningError
from reconciler.model import DesiredProject, DesiredState, Kind, LiveProject, LiveState

_ACTION_ORDER: Mapping[Action, int] = {
    action: rank
    for rank, action in enumerate(
        (Action.CREATE, Action.RENAME, Action.UPDATE, Action.RESTORE, Action.ARCHIVE, Action.DELETE)
    )
}


# ---------------------------------------------------------------- ordering and entry point


def _phase(change: Change) -> int:
    return PHASES[change.kind].of(change)


def _order_key(change: Change) -> tuple[int, int, str, str, int]:
    return (
        _phase(change),
        _ACTION_ORDER[change.action],
        change.address.casefold(),
        change.address,
        change.live_id if change.live_id is not None else -1,
    )


_LOCATED = re.compile(r"^(.*?):(\d+):(\d+): ")


def in_spec_order(problems: list[str]) -> list[str]:
    """Problems by file, line and column, as `validate` lists its own (the kinds and the tier
    check find them in their own orders); ones with no place keep theirs, after."""
    def place(problem: str) -> tuple[int, str, int, int]:
        found = _LOCATED.match(problem)
        if found is None:
            return (1, "", 0, 0)
        return (0, found.group(1), int(found.group(2)), int(found.group(3)))
    return sorted(problems, key=place)


def build_plan(desired: DesiredState, live: LiveState) -> Plan:
    """Diff the spec against the workspace; raises PlanningError for what Toggl would refuse."""
    notes = Notes()
    ctx = _matched_and_laid_out(desired, live, notes)
    changes: list[Change] = []
    for planner in REGISTRY:
        if planner.mentioned(desired):
            changes.extend(planner.changes(ctx))
    check_tier(changes, live.tier, notes, spec_sources(desired))
    if notes.problems:
        raise PlanningError(in_spec_order(notes.problems))
    matched: dict[Kind, set[int]] = {"project": ctx.matched("project"),
                                      "tag": ctx.matched("tag")}
    check_house_rules(desired.rules, live, {**matched, "client": ctx.matched("client")},
                      changes, notes)
    if notes.problems:
        raise PlanningError(in_spec_order(notes.problems))
    return Plan(
        workspace_id=live.workspace_id,
        workspace_name=live.workspace_name or _name_to_create(desired, live),
        changes=tuple(sorted(changes, key=_order_key)),
        unmanaged=tuple(unmanaged_listing(ctx, matched)),
        warnings=tuple(notes.warnings),
        spec_hash=desired.spec_hash,
    )


def _matched_and_laid_out(desired: DesiredState, live: LiveState, notes: Notes) -> PlanContext:
    """Clients, projects and tags matched, and where projects sit when client archives run:
    what every kind's planner starts from (the later kinds match their own entries)."""
    # Keys are computed once here, with the pairs, and reused by every later lookup.
    project_pairs: list[Pair[DesiredProject, LiveProject]] = new_pairs(desired.projects)
    clients = match_clients(desired, live, project_pairs, notes)
    index = ProjectIndex(live.projects, clients)
    match_projects(project_pairs, index, notes)
    tag_pairs = match_tags(desired, live, notes)
    ctx = PlanContext(desired, live, notes, clients, index,
                      pairs={"project": project_pairs, "tag": tag_pairs})
    refuse_clashes(ctx, project_pairs)
    lay_out(ctx, project_pairs)
    decide_client_states(ctx)
    refuse_unprotecting(ctx, project_pairs, tag_pairs)
    return ctx


def _name_to_create(desired: DesiredState, live: LiveState) -> str | None:
    """A workspace the plan creates has no live name yet: the spec's is the plan's."""
    if live.workspace_missing and isinstance(desired.workspace, str):
        return desired.workspace
    return None
