"""Groups: organization groups attached to this workspace, by name.

Matched like clients (exact spelling, then case only, then `previous_names`) against every
group of the organization, since group names are unique there: a spec group that exists but
is not attached to this workspace is attached by the update. Membership is a sorted list of
e-mails; only the users of this workspace can be named, so members the group has in other
workspaces are kept as they are.

Removal (`delete: true`, or `unmanaged.groups: delete` for groups attached to this workspace)
deletes a group only when it is attached to no other workspace; otherwise it detaches it from
this one (`options.group_removal`), and the reason says which.

Change options, besides `group_removal`: `user_ids` (create, update, rename: every user the
group has after the change) and `workspace_ids` (update, rename: every workspace it is
attached to after the change), since Toggl's group PUT replaces all three at once.
"""

from __future__ import annotations

from typing import Any, Sequence

from reconciler.engine.changes import CREATE_REASON, guard_removal, make_change, reason_for
from reconciler.engine.kinds.base import KindPlanner, Phases
from reconciler.engine.kinds.directory import directory, needs_plan, resolve_user
from reconciler.engine.layout import PlanContext, refuse_renames_out_of_protection
from reconciler.engine.matching import Pair, match_by_name
from reconciler.engine.plan import Action, BlastRadius, Change, FieldChange
from reconciler.model import DesiredGroup, DesiredState, LiveGroup, escape_name, spelling
from reconciler.untrusted import quoted


class GroupPlanner(KindPlanner):
    kind = "group"
    phases = Phases(create=5, removal=9)

    def mentioned(self, desired: DesiredState) -> bool:
        return desired.groups is not None

    def changes(self, ctx: PlanContext) -> list[Change]:
        pairs: list[Pair[DesiredGroup, LiveGroup]] = match_by_name(
            "group", ctx.desired.groups or (), ctx.live.groups or (), ctx.notes)
        ctx.pairs["group"] = pairs
        refuse_renames_out_of_protection(ctx, "group", pairs)
        changes: list[Change | None] = []
        for pair in pairs:
            entry = pair.desired
            if entry.delete:
                changes.append(_removal(ctx, pair.live, "delete: true in the spec",
                                        entry.previous_names))
            elif pair.live is None:
                changes.append(_create(ctx, entry))
            else:
                changes.append(_update(ctx, pair))
        if ctx.policy("group") == "delete":
            reason = "not in the spec; unmanaged.groups is delete"
            changes.extend(_removal(ctx, live, reason) for live in unmanaged_groups(ctx))
        return [change for change in changes if change is not None]


PLANNER = GroupPlanner()


def unmanaged_groups(ctx: PlanContext) -> list[LiveGroup]:
    """Groups attached to this workspace that no spec entry matched."""
    matched = ctx.matched("group")
    return [group for group in ctx.live.groups or ()
            if group.id not in matched and ctx.live.workspace_id in group.workspace_ids]


def _wanted_users(ctx: PlanContext, entry: DesiredGroup) -> tuple[list[str], list[int]]:
    """(sorted e-mails, user ids) of the entry's members; unknown e-mails are problems."""
    emails: list[str] = []
    ids: list[int] = []
    sources = entry.member_sources
    for position, email in enumerate(entry.members or ()):
        source = sources[position] if position < len(sources) else entry.source
        user = resolve_user(ctx, email, f"group {quoted_name(entry.name)}: member", source)
        if user is not None and user.id not in ids:
            ids.append(user.id)
            emails.append(user.email)
    return sorted(emails), sorted(ids)


def quoted_name(name: str) -> str:
    return quoted(escape_name(name))


def _create(ctx: PlanContext, entry: DesiredGroup) -> Change:
    needs_plan(ctx, "groups", "groups need", entry.source)
    emails, ids = _wanted_users(ctx, entry)
    fields = [FieldChange("members", None, emails)] if entry.members is not None else []
    return make_change("group", Action.CREATE, entry.name, None, fields,
                       options={"user_ids": ids}, reason=CREATE_REASON)


def _update(ctx: PlanContext, pair: Pair[DesiredGroup, LiveGroup]) -> Change | None:
    live, entry = pair.live, pair.desired
    assert live is not None
    people = directory(ctx)
    fields: list[FieldChange] = []
    if spelling(live.name) != spelling(entry.name):
        fields.append(FieldChange("name", live.name, entry.name))
    user_ids = sorted(live.user_ids)
    if entry.members is not None:
        emails, ids = _wanted_users(ctx, entry)
        # Users of other workspaces cannot be named here: they stay in the group.
        outside = [uid for uid in live.user_ids if uid not in people.users_by_id]
        before = people.emails_of(live.user_ids)
        if before != emails:
            fields.append(FieldChange("members", before, emails))
        user_ids = sorted({*ids, *outside})
    wid = ctx.live.workspace_id
    if wid not in live.workspace_ids:
        fields.append(FieldChange("attached", False, True))
    if not fields:
        return None
    needs_plan(ctx, "groups", "groups need", entry.source)
    action = Action.RENAME if any(f.field == "name" for f in fields) else Action.UPDATE
    reason = reason_for([f for f in fields if f.field != "attached"], "")
    if wid not in live.workspace_ids:
        reason = "; ".join(part for part in (reason, "attached to this workspace") if part)
    options: dict[str, Any] = {"user_ids": user_ids,
                               "workspace_ids": sorted({*live.workspace_ids, wid})}
    return make_change("group", action, entry.name, live, fields, options=options,
                       reason=reason)


def _removal(ctx: PlanContext, live: LiveGroup | None, reason: str,
             previous: Sequence[str] = ()) -> Change | None:
    if live is None:
        return None
    wid = ctx.live.workspace_id
    others = [w for w in live.workspace_ids if w != wid]
    if others and wid not in live.workspace_ids:
        return None  # attached only elsewhere: nothing of this workspace to remove
    if others:
        mode = "detach"
        reason += (f"; attached to {len(others)} other workspace"
                   f"{'' if len(others) == 1 else 's'}: detached from this workspace only")
    else:
        mode = "delete"
        reason += "; attached to no other workspace: deleted from the organization"
    change = make_change(
        "group", Action.DELETE, live.name, live,
        blast=BlastRadius(0, 0, people=len(live.user_ids)),
        options={"group_removal": mode}, reason=reason,
    )
    return guard_removal(ctx, change, [(live.name, None), *((old, None) for old in previous)])
