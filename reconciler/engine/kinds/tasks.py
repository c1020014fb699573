"""Tasks: name-keyed within their project, like projects within their client.

Only projects whose entry has `tasks:` are managed. Entries are matched against the project's
live tasks (exact spelling, then case only, then `previous_names`); a matched task is renamed
or updated (`estimated_hours`, `assignee` by e-mail), archived (`active: false`, Toggl's
"done") or restored; a task the entry does not list follows `unmanaged.tasks` (ignore,
archive, delete). A delete takes the task's tracked time off it (blast radius and fingerprint:
`tracked_seconds`). Tasks need a paid plan: any task change on a Free workspace is a plan
error at the entry's `file:line`.

Address: `<project address>/<escaped task name>`; `parent` is the project address. Fields are
in spec terms: `estimated_hours` (Toggl's estimated_seconds / 3600), `assignee` (an e-mail).
"""

from __future__ import annotations

from typing import Any, Sequence

from reconciler.engine.changes import (
    CREATE_REASON,
    action_for,
    guard_removal,
    make_change,
    reason_for,
)
from reconciler.engine.kinds.base import KindPlanner, Phases, per_project
from reconciler.engine.kinds.directory import directory, needs_plan, resolve_user
from reconciler.engine.layout import PlanContext, refuse_address_lapse
from reconciler.engine.matching import Pair, exact_matches, match_by_name
from reconciler.engine.plan import Action, BlastRadius, Change, FieldChange
from reconciler.model import (
    DesiredProject,
    DesiredState,
    DesiredTask,
    LiveProject,
    LiveTask,
    SourceLocation,
    escape_name,
    hours_to_seconds,
    seconds_to_hours,
    spelling,
)
from reconciler.untrusted import quoted

Names = list[tuple[str, str | None]]


class TaskPlanner(KindPlanner):
    kind = "task"
    phases = Phases(create=7, removal=7)

    def mentioned(self, desired: DesiredState) -> bool:
        return desired.mentions_tasks

    def changes(self, ctx: PlanContext) -> list[Change]:
        return per_project(ctx, "task", lambda project: project.tasks, ctx.live.tasks,
                           _project_tasks)


PLANNER = TaskPlanner()


def task_address(parent: str, name: str) -> str:
    return f"{parent}/{escape_name(name)}"


def _project_tasks(
    ctx: PlanContext, project: Pair[DesiredProject, LiveProject], live_tasks: Sequence[LiveTask],
    claimed: set[int],
) -> list[Change]:
    entry = project.desired
    parent = entry.address
    live_parent = ctx.projects.live_address_of(project.live) if project.live else parent
    matches = exact_matches(entry.tasks or (), live_tasks)
    if matches is None:
        pairs: list[Pair[DesiredTask, LiveTask]] = match_by_name(
            "task", entry.tasks or (), live_tasks, ctx.notes,
            entry_address=lambda task: task_address(parent, task.name),
            live_address=lambda task: task_address(live_parent, task.name),
        )
        matches = [(pair.desired, pair.live) for pair in pairs]
    matched = {live.id for _, live in matches if live is not None}
    claimed.update(matched)
    changes: list[Change | None] = []
    guarded = ctx.guarded["task"]
    for task, live in matches:
        if live is not None and not task.fields and live.active and live.name == task.name \
                and not task.delete and (not guarded or parent == live_parent):
            continue  # the common case, kept cheap: listed by name alone, and as it is
        source = task.source or entry.source
        names: Names = ([(task.name, parent), *((old, parent) for old in task.previous_names)]
                        if guarded else [])
        if task.delete:
            if live is not None:
                changes.append(_delete(ctx, live, parent, live_parent,
                                       "delete: true in the spec", source, names))
        elif live is None:
            changes.append(_create(ctx, task, parent, source))
        else:
            changes.append(_update(ctx, task, live, parent, live_parent, source, names))
    if guarded and parent != live_parent:
        for live in live_tasks:  # unlisted ones too: they move with the project
            if live.id not in matched:
                refuse_address_lapse(ctx, "task", (live.name, live_parent), (live.name, parent),
                                     task_address(live_parent, live.name),
                                     task_address(parent, live.name))
    policy = ctx.policy("task")
    if policy == "ignore":
        ctx.kept.extend(("task", parent, live) for live in live_tasks if live.id not in matched)
    else:
        reason = f"not in the spec; unmanaged.tasks is {policy}"
        for live in live_tasks:
            if live.id in matched:
                continue
            if policy == "delete":
                changes.append(_delete(ctx, live, parent, live_parent, reason, entry.source))
            elif live.active:
                changes.append(_archive_unmanaged(ctx, live, parent, live_parent, reason,
                                                  entry.source))
    return [change for change in changes if change is not None]


def _assignee(ctx: PlanContext, task: DesiredTask, parent: str,
              source: SourceLocation | None) -> tuple[str | None, int | None] | None:
    """(e-mail as the workspace spells it, user id) of the entry's assignee; (None, None) to
    unassign; None when the entry does not say, or names no user (a problem then)."""
    if "assignee" not in task.fields:
        return None
    email = task.fields["assignee"]
    if email is None:
        return (None, None)
    user = resolve_user(ctx, str(email),
                        lambda: f"task {quoted(task_address(parent, task.name))}: assignee",
                        source)
    return (user.email, user.id) if user is not None else None


def _create(ctx: PlanContext, task: DesiredTask, parent: str,
            source: SourceLocation | None) -> Change:
    needs_plan(ctx, "tasks", "tasks need", source)
    assignee = _assignee(ctx, task, parent, source)
    values = {**task.fields, **({"assignee": assignee[0]} if assignee is not None else {})}
    fields = [FieldChange(name, None, values[name])
              for name in ("active", "estimated_hours", "assignee") if name in values]
    options = {"user_id": assignee[1]} if assignee is not None and assignee[1] is not None else {}
    return make_change("task", Action.CREATE, task.name, None, fields,
                       address=task_address(parent, task.name), parent=parent,
                       options=options, reason=CREATE_REASON)


def _update(ctx: PlanContext, task: DesiredTask, live: LiveTask, parent: str, live_parent: str,
            source: SourceLocation | None, names: Names) -> Change | None:
    fields: list[FieldChange] = []
    if spelling(live.name) != spelling(task.name):
        fields.append(FieldChange("name", live.name, task.name))
    wants_active = bool(task.fields.get("active", True))  # listed: active unless it says not
    if live.active != wants_active:
        fields.append(FieldChange("active", live.active, wants_active))
    fields.extend(_estimate_field(task, live))
    options: dict[str, Any] = {}
    assignee = _assignee(ctx, task, parent, source)
    if assignee is not None and assignee[1] != live.user_id:
        fields.append(FieldChange("assignee", _assignee_of(ctx, live), assignee[0]))
        options["user_id"] = assignee[1]
    if ctx.guarded["task"]:
        refuse_address_lapse(ctx, "task", (live.name, live_parent), (task.name, parent),
                             task_address(live_parent, live.name), task_address(parent, task.name))
    action = action_for(fields)
    if action is None:
        return None
    needs_plan(ctx, "tasks", "tasks need", source)
    change = make_change(
        "task", action, task.name, live, fields, address=task_address(parent, task.name),
        parent=parent, options=options,
        blast=BlastRadius(live.tracked_seconds, 0) if action is Action.ARCHIVE else None,
        reason=reason_for(fields, "the spec sets active: false"),
    )
    return guard_removal(ctx, change, [(live.name, live_parent), (live.name, parent), *names])


def _estimate_field(task: DesiredTask, live: LiveTask) -> list[FieldChange]:
    # No estimate and an estimate of 0 are one thing to Toggl's reports: never a change.
    if "estimated_hours" not in task.fields:
        return []
    hours = task.fields["estimated_hours"]
    if (live.estimated_seconds or 0) == (hours_to_seconds(hours) or 0):
        return []
    return [FieldChange("estimated_hours", seconds_to_hours(live.estimated_seconds), hours)]


def _assignee_of(ctx: PlanContext, live: LiveTask) -> str | None:
    """The live assignee's e-mail (`#id` for a user this workspace does not list)."""
    if live.user_id is None:
        return None
    return directory(ctx).email_of(live.user_id) or f"#{live.user_id}"


def _delete(ctx: PlanContext, live: LiveTask, parent: str, live_parent: str, reason: str,
            source: SourceLocation | None, names: Sequence[tuple[str, str | None]] = (),
            ) -> Change | None:
    change = make_change(
        "task", Action.DELETE, live.name, live, address=task_address(parent, live.name),
        parent=parent, blast=BlastRadius(live.tracked_seconds, 0), reason=reason,
    )
    kept = guard_removal(ctx, change, [(live.name, live_parent), (live.name, parent), *names])
    if kept is not None:
        needs_plan(ctx, "tasks", "tasks need", source)
    return kept


def _archive_unmanaged(ctx: PlanContext, live: LiveTask, parent: str, live_parent: str,
                       reason: str, source: SourceLocation | None) -> Change | None:
    change = make_change(
        "task", Action.ARCHIVE, live.name, live, [FieldChange("active", True, False)],
        address=task_address(parent, live.name), parent=parent,
        blast=BlastRadius(live.tracked_seconds, 0), reason=reason,
    )
    kept = guard_removal(ctx, change, [(live.name, live_parent), (live.name, parent)])
    if kept is not None:
        needs_plan(ctx, "tasks", "tasks need", source)
    return kept
