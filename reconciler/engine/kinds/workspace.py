"""The workspace itself: with `organization:`, apply creates a workspace that is missing.

The live read says whether the spec's workspace exists (`LiveState.workspace_missing`); when it
does not, the plan starts with one `create` of it in the organization, and since every list
of the live state is empty, every other change of the plan is a create.
"""

from __future__ import annotations

from reconciler.engine.changes import make_change
from reconciler.engine.kinds.base import KindPlanner, Phases
from reconciler.engine.kinds.directory import at
from reconciler.engine.layout import PlanContext
from reconciler.engine.plan import Action, Change
from reconciler.model import DesiredState, escape_name
from reconciler.untrusted import quoted


class WorkspacePlanner(KindPlanner):
    kind = "workspace"
    phases = Phases(create=0)

    def mentioned(self, desired: DesiredState) -> bool:
        return desired.organization is not None

    def changes(self, ctx: PlanContext) -> list[Change]:
        if not ctx.live.workspace_missing:
            return []
        desired = ctx.desired
        where = at(desired.organization_source)
        if not isinstance(desired.workspace, str):
            ctx.notes.problems.append(
                f"{where}workspace {desired.workspace} does not exist, and a workspace given by "
                "id cannot be created: write its name in `workspace:`"
            )
            return []
        if ctx.live.organization_id is None:
            ctx.notes.problems.append(
                f"{where}organization {quoted(str(desired.organization))} was not found, so "
                f"workspace {quoted(desired.workspace)} cannot be created in it"
            )
            return []
        if ctx.live.organization_refusal is not None:
            ctx.notes.problems.append(
                f"{where}workspace {quoted(desired.workspace)} cannot be created in organization "
                f"{quoted(str(desired.organization))}: {ctx.live.organization_refusal}, and Toggl "
                "answers such a create 403. Create the workspace in Toggl, upgrade the "
                "organization, or name an organization that allows more workspaces."
            )
            return []
        name = desired.workspace
        return [make_change(
            "workspace", Action.CREATE, name, None, address=escape_name(name),
            options={"organization_id": ctx.live.organization_id},
            reason=f"not in organization {quoted(str(desired.organization))}; created there",
        )]


PLANNER = WorkspacePlanner()
