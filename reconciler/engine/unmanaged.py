"""The `ignore` listing: live objects no spec entry matched and no policy removes.

Each comes with the spec entry that would adopt it as it is, so `plan` can show (and `export`
can reuse) what to write to bring it under management.
"""

from __future__ import annotations

from typing import Any, Mapping

from reconciler.engine.kinds.directory import directory
from reconciler.engine.kinds.groups import unmanaged_groups
from reconciler.engine.kinds.members import member_key
from reconciler.engine.kinds.tasks import task_address
from reconciler.engine.layout import PlanContext, unmatched_clients
from reconciler.engine.plan import UnmanagedObject
from reconciler.model import (
    ALL_KINDS,
    Kind,
    LiveClient,
    LiveGroup,
    LiveMember,
    LiveProject,
    LiveTask,
    escape_name,
    seconds_to_hours,
    project_address,
)


# ---------------------------------------------------------------- unmanaged objects (ignore)


def unmanaged_listing(ctx: PlanContext, matched: Mapping[Kind, set[int]]) -> list[UnmanagedObject]:
    """Objects left alone by the `ignore` policy, each with a spec entry that would adopt it."""
    listing: list[UnmanagedObject] = []
    if ctx.policy("client") == "ignore":
        listing.extend(_client_entry(live) for live in unmatched_clients(ctx))
    if ctx.policy("project") == "ignore":
        listing.extend(
            _project_entry(ctx, live)
            for live in ctx.live.projects
            if live.id not in matched["project"]
        )
    if ctx.policy("tag") != "delete":
        listing.extend(
            UnmanagedObject("tag", escape_name(live.name), live.id, live.name)
            for live in ctx.live.tags
            if live.id not in matched["tag"]
        )
    listing.extend(_workspace_kinds(ctx))
    return sorted(
        listing, key=lambda obj: (ALL_KINDS.index(obj.kind), obj.address.casefold(), obj.live_id)
    )


def _client_entry(live: LiveClient) -> UnmanagedObject:
    entry: dict[str, Any] = {"name": live.name}
    if live.notes:
        entry["notes"] = live.notes
    if live.archived:
        entry["archived"] = True
    return UnmanagedObject("client", escape_name(live.name), live.id, entry)


def _project_entry(ctx: PlanContext, live: LiveProject) -> UnmanagedObject:
    client = ctx.projects.client_of(live)
    entry: dict[str, Any] = {"name": live.name}
    if client:
        entry["client"] = client
    # color / is_private go in when Toggl reported them: a null would not validate.
    for name in ("color", "is_private"):
        if live.fields.get(name) is not None:
            entry[name] = live.fields[name]
    if not live.active:
        entry["active"] = False
    if live.fields.get("billable") is not None:
        entry["billable"] = live.fields["billable"]
    return UnmanagedObject("project", project_address(client, live.name), live.id, entry)


# ---------------------------------------------------------------- the workspace kinds
#
# Only kinds the plan read, and only where the spec manages them: groups attached to this
# workspace when the spec has `groups:`, members and tasks of the projects whose entry lists
# them (a project without `members:` / `tasks:` leaves them alone without listing them).


def _workspace_kinds(ctx: PlanContext) -> list[UnmanagedObject]:
    listing: list[UnmanagedObject] = []
    if "group" in ctx.pairs and ctx.policy("group") == "ignore":
        listing.extend(_group_entry(ctx, live) for live in unmanaged_groups(ctx))
    for kind, parent, live in ctx.kept:
        if kind == "member":
            listing.append(_member_entry(ctx, parent, live))
        elif kind == "task":
            listing.append(_task_entry(ctx, parent, live))
    return listing


def _group_entry(ctx: PlanContext, live: LiveGroup) -> UnmanagedObject:
    entry = {"name": live.name, "members": directory(ctx).emails_of(live.user_ids)}
    return UnmanagedObject("group", escape_name(live.name), live.id, entry)


def _member_entry(ctx: PlanContext, parent: str, live: LiveMember) -> UnmanagedObject:
    key = member_key(ctx, live)
    entry: dict[str, Any]
    if live.group_id is not None:
        entry = {"group": directory(ctx).group_name(live.group_id)}
    else:
        entry = {"user": key.split(":", 1)[1]}
        if live.manager:
            entry["manager"] = True
        if live.rate is not None:
            entry["rate"] = live.rate
    return UnmanagedObject("member", f"{parent}/{key}", live.id, entry)


def _task_entry(ctx: PlanContext, parent: str, live: LiveTask) -> UnmanagedObject:
    entry: dict[str, Any] = {"name": live.name}
    if not live.active:
        entry["active"] = False
    if live.estimated_seconds:
        entry["estimated_hours"] = seconds_to_hours(live.estimated_seconds)
    assignee = directory(ctx).email_of(live.user_id)
    if assignee is not None:
        entry["assignee"] = assignee
    return UnmanagedObject("task", task_address(parent, live.name), live.id, entry)
