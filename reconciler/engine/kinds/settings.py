"""Workspace settings: one `update` of the keys the spec writes that differ from Toggl's.

Only the keys written are managed; the others are never sent. Values compare as every field
does (`changes.same_value`): numbers by value (90 and 90.0 are one rate), booleans apart from
numbers. A paid-only key (`model.PAID_WORKSPACE_KEYS`) that would be sent to a Free
workspace is a plan error at the key's `file:line`.
"""

from __future__ import annotations

from reconciler.engine.changes import make_change, same_value
from reconciler.engine.kinds.base import KindPlanner, Phases
from reconciler.engine.kinds.directory import needs_plan
from reconciler.engine.layout import PlanContext
from reconciler.engine.plan import Action, Change, FieldChange
from reconciler.model import SETTINGS_FIELDS, DesiredState

ADDRESS = "settings"


class SettingsPlanner(KindPlanner):
    kind = "settings"
    phases = Phases(create=1)

    def mentioned(self, desired: DesiredState) -> bool:
        return desired.settings is not None

    def changes(self, ctx: PlanContext) -> list[Change]:
        wanted = ctx.desired.settings.fields if ctx.desired.settings is not None else {}
        live_values = ctx.live.settings or {}
        fields = [
            FieldChange(key, live_values.get(key), wanted[key])
            for key in SETTINGS_FIELDS
            if key in wanted and (ctx.live.workspace_missing
                                  or not same_value(key, live_values.get(key), wanted[key]))
        ]
        if not fields:
            return []
        sources = ctx.desired.settings.sources if ctx.desired.settings is not None else {}
        for change in fields:
            needs_plan(ctx, f"settings.{change.field}", f"settings.{change.field} needs",
                       sources.get(change.field))
        name = ctx.live.workspace_name or str(ctx.desired.workspace)
        missing = ctx.live.workspace_missing
        change = make_change(
            "settings", Action.UPDATE, name, None, fields, address=ADDRESS,
            live_id=None if missing else ctx.live.workspace_id,
            reason="set on the new workspace" if missing
            else "changed: " + ", ".join(f.field for f in fields),
        )
        return [change]


PLANNER = SettingsPlanner()
