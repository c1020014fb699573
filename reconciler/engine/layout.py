"""Layout: where every surviving project sits when client archives run, and client states.

Client archives and deletes run in the last phase. A client archive takes its active projects
along in Toggl and a client restore may bring some back, so the planner first works out which
projects will be under each client by then (moved to their spec client, or left in place unless
deleted first), then which clients are archived and which projects restores bring back. Project
and client changes are planned around these side effects. Orphans of a client delete that would
clash with a clientless namesake are refused here too, since they follow from the same layout.

`PlanContext` carries what every later step needs: the states, notes, matches and this layout.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

from reconciler.engine.matching import ClientMatch, Notes, Pair, ProjectIndex, claimed_ids
from reconciler.engine.plan import Action, BlastRadius
from reconciler.engine.safety import Protector, has_patterns, protecting_pattern
from reconciler.model import (
    ALL_KINDS,
    KIND_SECTIONS,
    WORKSPACE_KIND_SECTIONS,
    DesiredProject,
    DesiredState,
    DesiredTag,
    Kind,
    LiveClient,
    LiveProject,
    LiveState,
    LiveTag,
    escape_name,
    project_address,
    split_address,
)
from reconciler.untrusted import quoted

Names = tuple[str, str | None]  # (name, client name) of one address an object has or had


# ---------------------------------------------------------------- the shared context


@dataclass(frozen=True)
class _Member:
    """A project under a client when client archives run; `wanted` is None if unmanaged."""

    live: LiveProject
    wanted: Pair[DesiredProject, LiveProject] | None


@dataclass
class PlanContext:
    desired: DesiredState
    live: LiveState
    notes: Notes
    clients: ClientMatch
    projects: ProjectIndex
    members: dict[int, list[_Member]] = field(default_factory=dict)
    # Per kind: whether any pattern could protect it (asked for every object; computed once).
    guarded: dict[Kind, bool] = field(default_factory=dict)
    archiving: set[int] = field(default_factory=set)  # live client ids archived in phase 6
    restored: set[int] = field(default_factory=set)  # project ids a client restore brings back
    # Each kind's spec entries paired with live objects, once its planner has matched them
    # (clients: `clients.pairs`); later kinds read earlier ones here (members: projects, groups).
    pairs: dict[Kind, Sequence[Pair[Any, Any]]] = field(default_factory=dict)
    # What several kinds' planners share, built once by the first that needs it (the
    # workspace's users by e-mail: `kinds.directory`).
    shared: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.guarded = {kind: has_patterns(self.desired, kind) for kind in ALL_KINDS}
        self.pairs.setdefault("client", self.clients.pairs)

    # Kinds that record only which live ids their entries manage (members: no pairs needed).
    claimed: dict[Kind, set[int]] = field(default_factory=dict)
    # Tasks and members the `ignore` policy keeps, with the address of their project: their
    # planners meet them project by project, so the unmanaged listing needs no second pass.
    kept: list[tuple[Kind, str, Any]] = field(default_factory=list)

    def matched(self, kind: Kind) -> set[int]:
        """Live ids of this kind that a spec entry manages (empty before the kind is matched)."""
        if kind in self.claimed:
            return self.claimed[kind]
        return claimed_ids(self.pairs.get(kind, ()))

    def policy(self, kind: Kind) -> str:
        return self.desired.unmanaged.get(kind, "ignore")

    def protection(self, kind: Kind, *names: Names) -> Protector | None:
        """The pattern protecting an object under any of its names (live or spec), if any."""
        if not self.guarded[kind]:
            return None  # the common case: skip folding names no pattern will look at
        for name, client in names:
            guard = protecting_pattern(self.desired, kind, name, client)
            if guard is not None:
                return guard
        return None

    def wants_active(self, pair: Pair[DesiredProject, LiveProject]) -> bool:
        fields = pair.desired.fields
        if "active" in fields:
            return bool(fields["active"])
        # Archiving a client archives its projects, so they default to archived with it.
        client_key = pair.key[0]
        return not (client_key and client_key in self.clients.archived_in_spec)

    def target_client_id(self, pair: Pair[DesiredProject, LiveProject]) -> int | None:
        client_key = pair.key[0]
        return self.clients.live_id_by_key.get(client_key) if client_key else None


def project_names(
    ctx: PlanContext, live: LiveProject, pair: Pair[DesiredProject, LiveProject] | None = None
) -> list[Names]:
    """Every address a live project has, had or gets, as far as this plan and spec know.

    Its live address (its client's name now), the address once its client is renamed, the
    addresses its client's previous names give it, and with a spec entry, the planned
    address, its previous names and its `move_from`. Protection by any of them protects it.
    """
    if not ctx.guarded["project"]:
        return []  # the common case: no pattern will look at these names
    clients = ctx.clients
    live_client = clients.live_name_of(live.client_id)
    names: list[Names] = [(live.name, live_client), (live.name, clients.name_of(live.client_id))]
    names.extend((live.name, old) for old in clients.previous_names.get(live.client_id or -1, ()))
    if pair is not None:
        entry = pair.desired
        names.append((entry.name, entry.client))
        names.extend((old, entry.client) for old in entry.previous_names)
        names.extend((old, live_client) for old in entry.previous_names)
        if entry.move_from is not None:
            old_client, old_name = split_address(entry.move_from)
            names.append((old_name, old_client))
    return names


# ---------------------------------------------------------------- orphans of client deletes


def refuse_clashes(ctx: PlanContext, pairs: Sequence[Pair[DesiredProject, LiveProject]]) -> None:
    """Orphans of a client delete must not meet a clientless namesake (Toggl keeps names
    unique per client), nor take a name the spec deletes, unless the plan moves them first."""
    index = ctx.projects
    leaving = _leaving_ids(ctx, pairs)
    # A clientless entry's key is the final key an orphan of that name would have.
    deleted_names = {
        (None, pair.key[1]) for pair in pairs if pair.desired.delete and pair.desired.client is None
    }
    for key, group in index.by_final_key.items():
        if key not in index.orphans:
            continue  # most keys: no orphan, so no clash
        staying = [project for project in group if project.id not in leaving]
        orphan = next((project for project in staying if index.is_orphan(project)), None)
        if orphan is None or (len(staying) == 1 and key not in deleted_names):
            continue
        holders = ", ".join(quoted(index.address_of(p)) for p in staying if p is not orphan)
        what = f"where {holders} holds that name" if holders else "a name the spec deletes"
        ctx.notes.problems.append(
            f"deleting client {quoted(escape_name(index.client_of(orphan) or ''))} would leave its "
            f"project {quoted(escape_name(orphan.name))} without a client, {what}: move or delete "
            f"{quoted(index.address_of(orphan))} in the spec"
        )


def _leaving_ids(ctx: PlanContext, pairs: Sequence[Pair[DesiredProject, LiveProject]]) -> set[int]:
    """Projects the plan moves under a client or deletes before they could clash.

    A spec delete of a clientless project does not count: the orphan would take its name
    and the next plan would delete that one too.
    """
    leaving: set[int] = set()
    for pair in pairs:
        if pair.live is None:
            continue
        deleted = pair.desired.delete and ctx.projects.is_orphan(pair.live)
        if deleted or (pair.desired.client and not pair.desired.delete):
            leaving.add(pair.live.id)
    matched = claimed_ids(pairs)
    leaving.update(
        p.id
        for p in ctx.live.projects
        if p.id not in matched and _unmanaged_delete_applies(ctx, p)
    )
    return leaving


# ---------------------------------------------------------------- where projects sit


def lay_out(ctx: PlanContext, pairs: Sequence[Pair[DesiredProject, LiveProject]]) -> None:
    """Where each live project sits in phase 6: moved to its spec client, or left in place
    unless a (non-protected) delete removes it first."""
    members: dict[int, list[_Member]] = defaultdict(list)
    matched: set[int] = set()
    for pair in pairs:
        if pair.live is None:
            continue
        matched.add(pair.live.id)
        if pair.desired.delete:
            protected_by = ctx.protection("project", *project_names(ctx, pair.live, pair))
            if protected_by and pair.live.client_id is not None:
                members[pair.live.client_id].append(_Member(pair.live, None))
            continue
        target = ctx.target_client_id(pair)
        if target is not None:
            members[target].append(_Member(pair.live, pair))
    for project in ctx.live.projects:
        if project.id not in matched and project.client_id is not None:
            if not _unmanaged_delete_applies(ctx, project):
                members[project.client_id].append(_Member(project, None))
    ctx.members = dict(members)


def _unmanaged_delete_applies(ctx: PlanContext, project: LiveProject) -> bool:
    return ctx.policy("project") == "delete" and not ctx.protection(
        "project", *project_names(ctx, project)
    )


# ---------------------------------------------------------------- client archive / restore


def decide_client_states(ctx: PlanContext) -> None:
    """Fix which clients are archived in phase 6 and which projects client restores bring back;
    projects are planned around these side effects."""
    for pair in ctx.clients.pairs:
        live, entry = pair.live, pair.desired
        if live is None or entry.delete:
            continue
        wants_archived = entry.fields.get("archived") is True
        if wants_archived and not live.archived and _may_archive_client(ctx, live, entry.name,
                                                                        entry.previous_names):
            ctx.archiving.add(live.id)
        elif live.archived and not wants_archived:
            ctx.restored.update(projects_to_restore(ctx, live.id))
    if ctx.policy("client") == "archive":
        for live in unmatched_clients(ctx):
            if not live.archived and _may_archive_client(ctx, live, live.name):
                ctx.archiving.add(live.id)


def _may_archive_client(
    ctx: PlanContext, live: LiveClient, name: str, previous: tuple[str, ...] = ()
) -> bool:
    old_names = [(old, None) for old in previous]
    guard = ctx.protection("client", (live.name, None), (name, None), *old_names)
    if guard:
        ctx.notes.warnings.append(
            f"client {quoted(escape_name(name))} is protected by {guard.describe('client')}: "
            "not archived"
        )
        return False
    client_name = ctx.clients.name_of(live.id)
    for member in ctx.members.get(live.id, []):
        project = member.live
        names = project_names(ctx, project, member.wanted)
        guard = ctx.protection("project", *names) if project.active else None
        if guard:
            ctx.notes.warnings.append(
                f"client {quoted(escape_name(name))} is not archived: it would archive project "
                f"{quoted(project_address(client_name, project.name))}, protected by "
                f"{guard.describe('project')}"
            )
            return False
    return True


def projects_to_restore(ctx: PlanContext, client_id: int) -> list[int]:
    # Only projects already under the client: moves happen after client restores.
    return [
        member.live.id
        for member in ctx.members.get(client_id, [])
        if member.wanted is not None
        and member.live.client_id == client_id
        and not member.live.active
        and ctx.wants_active(member.wanted)
    ]


def unmatched_clients(ctx: PlanContext) -> list[LiveClient]:
    kept = claimed_ids(ctx.clients.pairs) | ctx.clients.referenced_ids
    return [client for client in ctx.live.clients if client.id not in kept]


def client_blast(ctx: PlanContext, client_id: int, action: Action) -> BlastRadius:
    members = ctx.members.get(client_id, [])
    seconds = sum(member.live.actual_seconds for member in members)
    if action is Action.DELETE:
        return BlastRadius(seconds, len(members))
    return BlastRadius(seconds, sum(1 for member in members if member.live.active))


# ---------------------------------------------------------------- protection must not lapse


def refuse_unprotecting(
    ctx: PlanContext,
    project_pairs: Sequence[Pair[DesiredProject, LiveProject]],
    tag_pairs: Sequence[Pair[DesiredTag, LiveTag]],
) -> None:
    """A protected object must still be covered by a pattern after this plan.

    Without a state file, protection can only follow an object through the names it has: a
    rename or move (its own, or its client's) to an address no pattern covers would leave it
    unprotected for the next plan, which could then archive or delete it. Such a plan is
    refused; the remedy is to protect the new address too, in the same change.
    """
    for kind, pairs in (("client", ctx.clients.pairs), ("tag", tag_pairs)):
        if has_patterns(ctx.desired, kind):
            _refuse_renames_out_of_protection(ctx, kind, pairs)
    if has_patterns(ctx.desired, "project"):
        by_live_id = {pair.live.id: pair for pair in project_pairs if pair.live is not None}
        for project in ctx.live.projects:
            _check_project_stays_protected(ctx, project, by_live_id.get(project.id))


def _refuse_renames_out_of_protection(
    ctx: PlanContext, kind: Kind, pairs: Sequence[Pair[Any, Any]]
) -> None:
    for pair in pairs:
        live, entry = pair.live, pair.desired
        if live is None or entry.delete:
            continue
        guard = protecting_pattern(ctx.desired, kind, live.name)
        if guard is not None and protecting_pattern(ctx.desired, kind, entry.name) is None:
            ctx.notes.problems.append(_lapse_problem(
                kind, escape_name(live.name), escape_name(entry.name), guard))


def refuse_renames_out_of_protection(
    ctx: PlanContext, kind: Kind, pairs: Sequence[Pair[Any, Any]]
) -> None:
    """For kinds named by name alone (groups): a rename must stay inside protection."""
    if has_patterns(ctx.desired, kind):
        _refuse_renames_out_of_protection(ctx, kind, pairs)


def refuse_address_lapse(ctx: PlanContext, kind: Kind, before: Names, after: Names,
                         before_address: str, after_address: str) -> None:
    """Tasks and members: an object protected where it is must stay covered where it goes
    (a task rename, or its project's rename or move)."""
    if not ctx.guarded[kind]:
        return
    guard = protecting_pattern(ctx.desired, kind, *before)
    if guard is not None and protecting_pattern(ctx.desired, kind, *after) is None:
        ctx.notes.problems.append(_lapse_problem(kind, before_address, after_address, guard))


def _check_project_stays_protected(
    ctx: PlanContext, project: LiveProject, pair: Pair[DesiredProject, LiveProject] | None
) -> None:
    live_client = ctx.clients.live_name_of(project.client_id)
    guard = protecting_pattern(ctx.desired, "project", project.name, live_client)
    if guard is None:
        return
    if pair is not None and not pair.desired.delete:
        after: Names = (pair.desired.name, pair.desired.client)
    elif ctx.projects.is_orphan(project):
        after = (project.name, None)
    else:
        after = (project.name, ctx.clients.name_of(project.client_id))
    if protecting_pattern(ctx.desired, "project", *after) is None:
        ctx.notes.problems.append(_lapse_problem(
            "project", project_address(live_client, project.name), project_address(*after[::-1]),
            guard))


def _lapse_problem(kind: Kind, before: str, after: str, guard: Protector) -> str:
    section = {**KIND_SECTIONS, **WORKSPACE_KIND_SECTIONS}[kind]
    return (
        f"{kind} {quoted(before)} is protected by {guard.describe(kind)}, but after this plan it "
        f"would be {quoted(after)}, which no pattern covers, and could then be archived or deleted: "
        f"add {quoted(after)} to protected.{section} in the same change (or remove its protection "
        "first, in a change of its own)"
    )
