"""Safety checks on a plan: protected objects and octoDNS-style removal thresholds (pure).

Protection is consulted by the planner, which drops any archive or delete of a protected
object. Thresholds are checked by the shell after planning, so that `--force` can skip them.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import KIND_SECTIONS, KINDS, DesiredState, Kind, LiveState, SafetyLimits
from reconciler.model import project_address

_REMEDY = "Check the plan, then re-run with --force, or raise safety.{setting} in the spec."


def protecting_pattern(
    desired: DesiredState, kind: Kind, name: str, client: str | None = None
) -> str | None:
    """The first `protected` pattern (name or fnmatch glob) that covers this object, if any.

    Matching is case-insensitive, like every name in the spec. A project pattern may name the
    project alone or its `Client/Project` address.
    """
    candidates = {name.casefold()}
    if kind == "project":
        candidates.add(project_address(client, name).casefold())
    for pattern in desired.protected.get(kind, ()):
        folded = pattern.casefold()
        if any(fnmatchcase(candidate, folded) for candidate in candidates):
            return pattern
    return None


def is_protected(desired: DesiredState, kind: Kind, name: str, client: str | None = None) -> bool:
    return protecting_pattern(desired, kind, name, client) is not None


def removal_counts(plan: Plan) -> dict[Kind, int]:
    """Objects each kind loses to archives and deletes, including projects that client
    archives take along (a client archive archives its active projects in Toggl)."""
    counts: dict[Kind, int] = {kind: 0 for kind in KINDS}
    for change in plan.changes:
        if change.action.is_removal:
            counts[change.kind] += 1
        if _takes_projects_along(change):
            counts["project"] += change.blast.projects if change.blast else 0
    return counts


def _takes_projects_along(change: Change) -> bool:
    # A client delete leaves its projects in place (without a client): not a removal of them.
    return change.kind == "client" and change.action is Action.ARCHIVE


def check_thresholds(plan: Plan, live: LiveState, limits: SafetyLimits) -> list[str]:
    """One message per limit the plan goes over; an empty list means the plan is within limits."""
    counts = removal_counts(plan)
    live_counts: dict[Kind, int] = {
        "client": len(live.clients),
        "project": len(live.projects),
        "tag": len(live.tags),
    }
    problems = [
        message
        for kind in KINDS
        if (message := _percent_problem(kind, counts[kind], live_counts[kind], limits))
    ]
    total = sum(counts.values())
    if total > limits.max_removals:
        problems.append(_total_problem(counts, total, limits))
    return problems


def _percent_problem(kind: Kind, removals: int, existing: int, limits: SafetyLimits) -> str:
    # Small workspaces are exempt: removing 2 of 3 tags is 67% but rarely a disaster.
    if existing == 0 or existing < limits.min_existing:
        return ""
    percent = 100.0 * removals / existing
    if percent <= limits.max_removal_percent:
        return ""
    return (
        f"Too many {kind} removals: {percent:.1f}% is over {limits.max_removal_percent:g}% "
        f"({removals} of {existing} live {KIND_SECTIONS[kind]}). "
        + _REMEDY.format(setting="max_removal_percent")
    )


def _total_problem(counts: dict[Kind, int], total: int, limits: SafetyLimits) -> str:
    parts = ", ".join(f"{counts[kind]} {KIND_SECTIONS[kind]}" for kind in KINDS)
    return (
        f"Too many removals: {total} archives and deletes is over {limits.max_removals} "
        f"({parts}). " + _REMEDY.format(setting="max_removals")
    )
