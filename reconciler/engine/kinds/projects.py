"""Projects: create, update (rename, move, archive, restore, fields) and delete.

Projects have the most rules: their active state may be set by a client archive or restore
of the last phase (see `layout`), a client archive defaults them to archived, and only some
fields are compared plainly.
"""

from __future__ import annotations

from typing import Sequence

from reconciler.engine.changes import (
    CREATE_REASON,
    action_for,
    guard_removal,
    make_change,
    reason_for,
    same_value,
)
from reconciler.engine.kinds.base import KindPlanner, Phases
from reconciler.engine.layout import PlanContext, project_names
from reconciler.engine.matching import Pair, claimed_ids
from reconciler.engine.plan import Action, BlastRadius, Change, FieldChange
from reconciler.untrusted import quoted
from reconciler.model import (
    PROJECT_FIELDS,
    DesiredProject,
    LiveProject,
    escape_name,
    spelling,
)

# Fields a project diff compares besides name/client/active, which have their own rules.
_PLAIN_PROJECT_FIELDS: tuple[str, ...] = tuple(
    name for name in PROJECT_FIELDS if name not in ("client", "active")
)


class ProjectPlanner(KindPlanner):
    kind = "project"
    phases = Phases(create=3, removal=11)

    def changes(self, ctx: PlanContext) -> list[Change]:
        return project_changes(ctx, ctx.pairs["project"])


PLANNER = ProjectPlanner()


# ---------------------------------------------------------------- project changes


def project_changes(
    ctx: PlanContext, pairs: Sequence[Pair[DesiredProject, LiveProject]]
) -> list[Change]:
    changes: list[Change | None] = []
    for pair in pairs:
        entry = pair.desired
        if entry.delete:
            reason = "delete: true in the spec"
            changes.append(
                _project_delete(ctx, pair.live, entry.delete_time_entries, reason, pair)
            )
        elif pair.live is None:
            changes.append(_project_create(ctx, pair))
        else:
            changes.append(_project_update(ctx, pair))
    matched = claimed_ids(pairs)
    changes.extend(
        _unmanaged_project(ctx, live) for live in ctx.live.projects if live.id not in matched
    )
    return [change for change in changes if change is not None]


# A project create's `options.members` when its entry lists members under
# `unmanaged.members: remove`: apply removes whoever Toggl makes a member of the new project on
# its own (its creator, in the web app) unless listed.
EXCLUSIVE_MEMBERS = "exclusive"


def _project_create(ctx: PlanContext, pair: Pair[DesiredProject, LiveProject]) -> Change:
    entry = pair.desired
    fields = [FieldChange("client", None, entry.client)] if entry.client else []
    wanted = ctx.wants_active(pair)
    if ctx.target_client_id(pair) in ctx.archiving:
        _refuse_active_under_archive(ctx, entry, wanted)
    # Always sent: Toggl creates a project archived unless told `active: true`.
    fields.append(FieldChange("active", None, wanted))
    fields.extend(
        FieldChange(f, None, entry.fields[f]) for f in _PLAIN_PROJECT_FIELDS if f in entry.fields
    )
    exclusive = entry.members is not None and ctx.policy("member") == "remove"
    return make_change(
        "project", Action.CREATE, entry.name, None, fields, client=entry.client,
        reason=CREATE_REASON, **({"options": {"members": EXCLUSIVE_MEMBERS}} if exclusive else {}),
    )


def _project_update(ctx: PlanContext, pair: Pair[DesiredProject, LiveProject]) -> Change | None:
    live, entry = pair.live, pair.desired
    assert live is not None
    fields = _identity_fields(ctx, live, pair)
    fields.extend(_active_field(ctx, live, pair))
    fields.extend(
        FieldChange(name, live.fields.get(name), entry.fields[name])
        for name in _PLAIN_PROJECT_FIELDS
        if name in entry.fields and not same_value(name, live.fields.get(name), entry.fields[name])
    )
    action = action_for(fields)
    if action is None:
        return None
    archive_reason = (
        "the spec sets active: false"
        if "active" in entry.fields
        else f"its client {quoted(escape_name(entry.client or ''))} is archived in the spec"
    )
    moved = any(f.field == "client" for f in fields)
    reason = reason_for(fields, archive_reason)
    if moved:
        # A move takes the project and its tracked time to another client: shown with its
        # blast radius and counted against the thresholds like a removal (engine.safety).
        hours = f"{live.actual_seconds / 3600:.1f} h tracked"
        reason += f" (move_from in the spec; {hours})" if pair.via == "move" else f" ({hours})"
    change = make_change(
        "project", action, entry.name, live, fields, client=entry.client,
        blast=BlastRadius(live.actual_seconds, 0) if action is Action.ARCHIVE or moved else None,
        reason=reason,
    )
    return guard_removal(ctx, change, project_names(ctx, live, pair))


def _identity_fields(
    ctx: PlanContext, live: LiveProject, pair: Pair[DesiredProject, LiveProject]
) -> list[FieldChange]:
    entry = pair.desired
    fields: list[FieldChange] = []
    if spelling(live.name) != spelling(entry.name):  # NFC and NFD of one name: no rename
        fields.append(FieldChange("name", live.name, entry.name))
    # Client ids, not names: a change of case alone is not a move, and of two clients whose
    # names differ only in case, each keeps its own projects.
    wanted = ctx.target_client_id(pair)
    if ctx.projects.home(live) != wanted or (entry.client is not None and wanted is None):
        fields.append(FieldChange("client", ctx.projects.client_of(live), entry.client))
    return fields


def _active_field(
    ctx: PlanContext, live: LiveProject, pair: Pair[DesiredProject, LiveProject]
) -> list[FieldChange]:
    wanted = ctx.wants_active(pair)
    if ctx.target_client_id(pair) in ctx.archiving:
        # The client archive of phase 6 sets this project's state: no change of its own.
        _refuse_active_under_archive(ctx, pair.desired, wanted)
        return []
    live_active = live.active or live.id in ctx.restored
    return [] if live_active == wanted else [FieldChange("active", live_active, wanted)]


def _refuse_active_under_archive(ctx: PlanContext, entry: DesiredProject, wanted: bool) -> None:
    if wanted:
        ctx.notes.problems.append(
            f"project {quoted(entry.address)} is wanted active, but its client "
            f"{quoted(escape_name(entry.client or ''))} "
            "is archived by this plan, which archives all its projects"
        )


def _project_delete(
    ctx: PlanContext, live: LiveProject | None, with_entries: bool, reason: str,
    pair: Pair[DesiredProject, LiveProject] | None = None,
) -> Change | None:
    if live is None:
        return None
    client = ctx.projects.client_of(live)
    change = make_change(
        "project", Action.DELETE, live.name, live, client=client,
        blast=BlastRadius(live.actual_seconds, 0),
        options={"te_deletion_mode": "delete" if with_entries else "unassign"},
        reason=reason,
    )
    return guard_removal(ctx, change, project_names(ctx, live, pair))


def _unmanaged_project(ctx: PlanContext, live: LiveProject) -> Change | None:
    policy = ctx.policy("project")
    reason = f"not in the spec; unmanaged.projects is {policy}"
    if policy == "delete":
        return _project_delete(ctx, live, False, reason)
    taken_along = live.client_id in ctx.archiving
    if policy != "archive" or not live.active or taken_along:
        return None
    client = ctx.projects.client_of(live)
    change = make_change(
        "project", Action.ARCHIVE, live.name, live, [FieldChange("active", True, False)],
        client=client, blast=BlastRadius(live.actual_seconds, 0), reason=reason,
    )
    return guard_removal(ctx, change, project_names(ctx, live))
