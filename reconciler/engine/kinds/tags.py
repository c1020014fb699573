"""Tags: create, rename and delete (Toggl cannot archive a tag)."""

from __future__ import annotations

from reconciler.engine.changes import CREATE_REASON, guard_removal, make_change, reason_for
from reconciler.engine.kinds.base import KindPlanner, Phases
from reconciler.engine.layout import PlanContext
from reconciler.engine.plan import Action, Change, FieldChange
from reconciler.model import LiveTag, spelling


class TagPlanner(KindPlanner):
    kind = "tag"
    phases = Phases(create=4, removal=10)

    def changes(self, ctx: PlanContext) -> list[Change]:
        return tag_changes(ctx)


PLANNER = TagPlanner()


def tag_changes(ctx: PlanContext) -> list[Change]:
    pairs = ctx.pairs["tag"]
    changes: list[Change | None] = []
    for pair in pairs:
        live, entry = pair.live, pair.desired
        if entry.delete:
            changes.append(_tag_delete(ctx, live, "delete: true in the spec"))
        elif live is None:
            create = make_change("tag", Action.CREATE, entry.name, None, reason=CREATE_REASON)
            changes.append(create)
        elif spelling(live.name) != spelling(entry.name):
            fields = [FieldChange("name", live.name, entry.name)]
            reason = reason_for(fields, "")
            rename = make_change("tag", Action.RENAME, entry.name, live, fields, reason=reason)
            changes.append(rename)
    # Tags cannot be archived (the schema forbids the policy); anything but delete leaves them.
    if ctx.policy("tag") == "delete":
        matched = ctx.matched("tag")
        reason = "not in the spec; unmanaged.tags is delete"
        changes.extend(
            _tag_delete(ctx, live, reason) for live in ctx.live.tags if live.id not in matched
        )
    return [change for change in changes if change is not None]


def _tag_delete(ctx: PlanContext, live: LiveTag | None, reason: str) -> Change | None:
    if live is None:
        return None
    change = make_change("tag", Action.DELETE, live.name, live, reason=reason)
    return guard_removal(ctx, change, [(live.name, None)])
