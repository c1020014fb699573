"""Project members: the users (by e-mail) and groups (by name) a project entry lists.

Only projects whose entry has `members:` are managed. A listed member is created, or its
`manager` / `rate` updated; a member the project has but the entry does not list is removed
under `unmanaged.members: remove` and kept (listed as unmanaged) under `ignore`. A user's
member is a Toggl project_user, a group's a project_group (`options.member`); groups carry
no manager or rate. The project's live id comes from the project match (None: the project is
created by this plan, and its members after it).

Address: `<project address>/user:<e-mail>` (the e-mail as the workspace spells it) or
`<project address>/group:<escaped group name>`; `parent` is the project address.
"""

from __future__ import annotations

from typing import Any, Sequence

from reconciler.engine.changes import CREATE_REASON, guard_removal, make_change, same_value
from reconciler.engine.kinds.directory import (
    NEW_GROUP,
    at,
    directory,
    needs_plan,
    resolve_user,
    workspace_label,
)
from reconciler.engine.kinds.base import KindPlanner, Phases, per_project
from reconciler.engine.layout import PlanContext, refuse_address_lapse
from reconciler.engine.matching import Pair
from reconciler.engine.plan import Action, BlastRadius, Change, FieldChange
from reconciler.model import (
    MEMBER_FIELDS,
    DesiredGroup,
    DesiredMember,
    DesiredProject,
    DesiredState,
    LiveGroup,
    LiveMember,
    LiveProject,
    SourceLocation,
    escape_name,
    name_key,
)
from reconciler.untrusted import quoted


class MemberPlanner(KindPlanner):
    kind = "member"
    phases = Phases(create=6, removal=8)

    def mentioned(self, desired: DesiredState) -> bool:
        return desired.mentions_members

    def changes(self, ctx: PlanContext) -> list[Change]:
        # Members are keyed by user or group within their project, not paired by name.
        return per_project(ctx, "member", lambda project: project.members, ctx.live.members,
                           _project_members)


PLANNER = MemberPlanner()


def member_key(ctx: PlanContext, live: LiveMember) -> str:
    """`user:<e-mail>` / `group:<escaped name>` of a live member (ids Toggl gave if unknown)."""
    people = directory(ctx)
    if live.group_id is not None:
        return f"group:{escape_name(people.group_name(live.group_id))}"
    # An e-mail may hold `/` (RFC 5322 allows it): escaped like names, the address stays whole.
    return f"user:{escape_name(people.email_of(live.user_id) or f'#{live.user_id}')}"


def _users_reached(ctx: PlanContext, live: LiveMember) -> set[int]:
    if live.group_id is None:
        return {live.user_id} if live.user_id is not None else set()
    group = directory(ctx).groups_by_id.get(live.group_id)
    return set(group.user_ids) if group is not None else set()


def _access_kept(ctx: PlanContext, project: Pair[DesiredProject, LiveProject],
                 live_members: Sequence[LiveMember], matched: set[int]) -> set[int] | None:
    """The users who still reach the project once the plan is applied, through a member that
    stays or one the entry adds; None when the project is public (everyone in the workspace
    may track on it: a removal takes nobody's access)."""
    entry, people = project.desired, directory(ctx)
    live_fields = project.live.fields if project.live is not None else {}
    if not entry.fields.get("is_private", live_fields.get("is_private", True)):
        return None
    kept: set[int] = set()
    for live in live_members:
        if live.id in matched:
            kept |= _users_reached(ctx, live)
    for member in entry.members or ():
        if member.user is not None:
            user = people.user(member.user)
            kept |= {user.id} if user is not None else set()
        elif member.group is not None:
            group = people.live_group(member.group)
            kept |= set(group.user_ids) if group is not None else set()
    return kept


def _project_members(
    ctx: PlanContext, project: Pair[DesiredProject, LiveProject],
    live_members: Sequence[LiveMember], claimed: set[int],
) -> list[Change]:
    entry = project.desired
    parent = entry.address
    by_user: dict[int | None, LiveMember] = {}
    by_group: dict[int | None, LiveMember] = {}
    for live in live_members:
        if live.group_id is None:
            by_user[live.user_id] = live
        else:
            by_group[live.group_id] = live
    matched: set[int] = set()
    changes: list[Change | None] = []
    user_of = directory(ctx).user
    for member in entry.members or ():
        if member.user is not None and not member.fields:
            # The common case, kept cheap: a user listed without fields, and a member already.
            user = user_of(member.user)
            live = by_user.get(user.id) if user is not None else None
            if live is not None and live.id not in matched:
                matched.add(live.id)
                continue
        source = member.source or entry.source
        found = _resolve(ctx, member, parent, source)
        if found is None:
            continue
        is_user, target_id, shown = found
        live = (by_user if is_user else by_group).get(target_id)
        if live is not None and live.id in matched:
            continue  # listed twice (the spec refuses that; nothing to do twice)
        if live is not None:
            matched.add(live.id)
        changes.append(_ensure(ctx, member, live, parent, is_user, target_id, shown, source))
    claimed.update(matched)
    live_parent = ctx.projects.live_address_of(project.live) if project.live else parent
    if ctx.guarded["member"] and parent != live_parent:
        for live in live_members:  # a project rename or move takes its members along
            key = member_key(ctx, live)
            refuse_address_lapse(ctx, "member", (key, live_parent), (key, parent),
                                 f"{live_parent}/{key}", f"{parent}/{key}")
    if ctx.policy("member") == "ignore":
        ctx.kept.extend(("member", parent, live) for live in live_members
                        if live.id not in matched)
    else:
        kept = _access_kept(ctx, project, live_members, matched)
        lost: set[int] = set()  # each person counted once, on the first removal that takes them
        for live in live_members:
            if live.id not in matched:
                losing = set() if kept is None else _users_reached(ctx, live) - kept - lost
                lost |= losing
                changes.append(_remove(ctx, live, parent, live_parent, len(losing)))
    return [change for change in changes if change is not None]


def _resolve(ctx: PlanContext, member: DesiredMember, parent: str,
             source: SourceLocation | None) -> tuple[bool, int, str] | None:
    """(is a user, the user's or group's id, how the address names it), or None (a problem)."""
    if member.user is not None:
        user = resolve_user(ctx, member.user, lambda: f"project {quoted(parent)}: member", source)
        return (True, user.id, user.email) if user is not None else None
    what = f"project {quoted(parent)}: member"
    group_id = resolve_group(ctx, member.group or "", what, source)
    return (False, group_id, member.group or "") if group_id is not None else None


def resolve_group(ctx: PlanContext, name: str, what: str,
                  source: SourceLocation | None) -> int | None:
    """A group's live id, NEW_GROUP for one this plan creates, or None (a problem noted)."""
    by_key, by_live_id = _group_pairs(ctx)
    pair = by_key.get(name_key(name))
    if pair is not None:
        if pair.desired.delete:
            ctx.notes.problems.append(
                f"{at(source)}{what}: group {quoted(escape_name(name))} is deleted by the spec")
            return None
        return pair.live.id if pair.live is not None else NEW_GROUP
    live = directory(ctx).live_group(name)
    if live is None:
        variants = directory(ctx).groups_by_key.get(name_key(name), [])
        if len(variants) > 1:  # `DESIGN` against live `Design` and `design`: which one?
            listed = " and ".join(f"{quoted(escape_name(g.name))} (id {g.id})" for g in variants)
            ctx.notes.problems.append(
                f"{at(source)}{what}: group {quoted(escape_name(name))} could be {listed}, "
                "which differ only in letter case; write the exact spelling of one")
            return None
        ctx.notes.problems.append(
            f"{at(source)}{what}: group {quoted(escape_name(name))} is neither a group of the "
            "organization nor in `groups:`; add it to `groups:` to create it"
        )
        return None
    renamed = by_live_id.get(live.id)
    if renamed is not None:
        ctx.notes.problems.append(
            f"{at(source)}{what}: group {quoted(escape_name(name))} is renamed to "
            f"{quoted(escape_name(renamed.desired.name))} by the spec; use the new name"
        )
        return None
    if "group" in ctx.pairs and ctx.policy("group") == "delete" \
            and ctx.protection("group", (live.name, None)) is None:
        # Not in `groups:`, so this plan deletes (or detaches) it: the member would go with it.
        ctx.notes.problems.append(
            f"{at(source)}{what}: group {quoted(escape_name(name))} is removed by this plan "
            "(unmanaged.groups is delete); list it under `groups:` to keep it"
        )
        return None
    if ctx.live.workspace_id not in live.workspace_ids:
        ctx.notes.problems.append(
            f"{at(source)}{what}: group {quoted(escape_name(name))} is not attached to "
            f"{workspace_label(ctx)}; list it under `groups:` to attach it"
        )
        return None
    return live.id


GroupPair = Pair[DesiredGroup, LiveGroup]
GroupPairs = tuple[dict[str, GroupPair], dict[int, GroupPair]]


def _group_pairs(ctx: PlanContext) -> GroupPairs:
    """The spec's groups by name key and by the live id they manage (built once per plan)."""
    found = ctx.shared.get("group_pairs")
    if found is None:
        pairs = ctx.pairs.get("group", ())
        found = ({name_key(pair.desired.name): pair for pair in pairs},
                 {pair.live.id: pair for pair in pairs if pair.live is not None})
        ctx.shared["group_pairs"] = found
    return found  # type: ignore[no-any-return]


def _ensure(ctx: PlanContext, member: DesiredMember, live: LiveMember | None, parent: str,
            is_user: bool, target_id: int, shown: str, source: SourceLocation | None,
            ) -> Change | None:
    key = f"user:{escape_name(shown)}" if is_user else f"group:{escape_name(shown)}"
    wanted = {f: member.fields[f] for f in MEMBER_FIELDS if f in member.fields} if is_user else {}
    if live is None:
        fields = [FieldChange(f, None, value) for f, value in wanted.items()]
        reason = CREATE_REASON
    else:
        current = {"manager": live.manager, "rate": live.rate}
        fields = [FieldChange(f, current[f], value) for f, value in wanted.items()
                  if not same_value(f, current[f], value)]
        if not fields:
            return None
        reason = "changed: " + ", ".join(f.field for f in fields)
    if any(f.field == "rate" and f.after is not None for f in fields):
        needs_plan(ctx, "members.rate", "members.rate needs", source)
    options: dict[str, Any] = {"member": "user" if is_user else "group"}
    if live is None:
        new_group = target_id == NEW_GROUP
        options["user_id" if is_user else "group_id"] = None if new_group else target_id
    return make_change(
        "member", Action.CREATE if live is None else Action.UPDATE, shown, live, fields,
        address=f"{parent}/{key}", parent=parent, options=options, reason=reason,
    )


def _remove(ctx: PlanContext, live: LiveMember, parent: str, live_parent: str,
            people: int) -> Change | None:
    """`people`: how many lose their access to the project with this removal."""
    key = member_key(ctx, live)
    is_user = live.group_id is None
    name = key.split(":", 1)[1]
    if not is_user:
        name = directory(ctx).group_name(live.group_id)
    change = make_change(
        "member", Action.DELETE, name, live, address=f"{parent}/{key}", parent=parent,
        blast=BlastRadius(0, 0, people=people), options={"member": "user" if is_user else "group"},
        reason="not listed on the project; unmanaged.members is remove",
    )
    return guard_removal(ctx, change, [(key, parent), (key, live_parent)])
