"""The `ignore` listing: live objects no spec entry matched and no policy removes.

Each comes with the spec entry that would adopt it as it is, so `plan` can show (and `export`
can reuse) what to write to bring it under management.
"""

from __future__ import annotations

from typing import Any, Mapping

from reconciler.engine.layout import PlanContext, unmatched_clients
from reconciler.engine.plan import UnmanagedObject
from reconciler.model import KINDS, Kind, LiveClient, LiveProject, escape_name, project_address


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
    return sorted(
        listing, key=lambda obj: (KINDS.index(obj.kind), obj.address.casefold(), obj.live_id)
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
