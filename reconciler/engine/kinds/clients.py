"""Clients: create, update (rename, notes), archive, restore and delete.

Client archives and deletes run in the last phase: an archive takes the client's active
projects along in Toggl, a restore may bring some back (`layout` decides both before any
change is built, and projects are planned around them).
"""

from __future__ import annotations

from typing import Any, Sequence

from reconciler.engine.changes import (
    CREATE_REASON,
    action_for,
    guard_removal,
    make_change,
    reason_for,
    same_value,
)
from reconciler.engine.kinds.base import KindPlanner, Phases
from reconciler.engine.layout import (
    PlanContext,
    client_blast,
    projects_to_restore,
    unmatched_clients,
)
from reconciler.engine.matching import Pair
from reconciler.engine.plan import Action, Change, FieldChange
from reconciler.model import CLIENT_FIELDS, DesiredClient, LiveClient, spelling


class ClientPlanner(KindPlanner):
    kind = "client"
    phases = Phases(create=2, removal=12)

    def changes(self, ctx: PlanContext) -> list[Change]:
        return client_changes(ctx)


PLANNER = ClientPlanner()


def client_changes(ctx: PlanContext) -> list[Change]:
    changes: list[Change | None] = []
    for pair in ctx.clients.pairs:
        if pair.desired.delete:
            changes.append(_client_delete(ctx, pair.live, "delete: true in the spec",
                                          pair.desired.previous_names))
        elif pair.live is None:
            changes.append(_client_create(pair.desired))
        else:
            changes.append(_client_update(ctx, pair))
    changes.extend(_unmanaged_clients(ctx))
    return [change for change in changes if change is not None]


def _client_create(entry: DesiredClient) -> Change:
    fields = [FieldChange(f, None, entry.fields[f]) for f in CLIENT_FIELDS if f in entry.fields]
    return make_change("client", Action.CREATE, entry.name, None, fields, reason=CREATE_REASON)


def _client_update(ctx: PlanContext, pair: Pair[DesiredClient, LiveClient]) -> Change | None:
    live, entry = pair.live, pair.desired
    assert live is not None
    fields: list[FieldChange] = []
    if spelling(live.name) != spelling(entry.name):  # NFC and NFD of one name: no rename
        fields.append(FieldChange("name", live.name, entry.name))
    if "notes" in entry.fields and not same_value("notes", live.notes, entry.fields["notes"]):
        fields.append(FieldChange("notes", live.notes, entry.fields["notes"]))
    wants_archived = entry.fields.get("archived") is True
    if live.id in ctx.archiving or (live.archived and not wants_archived):
        fields.append(FieldChange("archived", live.archived, wants_archived))
    action = action_for(fields)
    if action is None:
        return None
    extra: dict[str, Any] = {}
    if action is Action.RESTORE:
        extra["options"] = {"restore_project_ids": projects_to_restore(ctx, live.id)}
    if action is Action.ARCHIVE:
        extra["blast"] = client_blast(ctx, live.id, action)
    reason = reason_for(fields, "the spec sets archived: true")
    return make_change("client", action, entry.name, live, fields, reason=reason, **extra)


def _client_delete(
    ctx: PlanContext, live: LiveClient | None, reason: str, previous: Sequence[str] = ()
) -> Change | None:
    if live is None or live.id in ctx.clients.kept_for_projects:
        return None  # kept: its projects would lose their protection (warned in matching)
    change = make_change(
        "client", Action.DELETE, live.name, live,
        blast=client_blast(ctx, live.id, Action.DELETE), reason=reason,
    )
    return guard_removal(ctx, change, [(live.name, None), *((old, None) for old in previous)])


def _unmanaged_clients(ctx: PlanContext) -> list[Change | None]:
    policy = ctx.policy("client")
    reason = f"not in the spec; unmanaged.clients is {policy}"
    if policy == "delete":
        return [_client_delete(ctx, live, reason) for live in unmatched_clients(ctx)]
    if policy == "archive":
        return [
            make_change(
                "client", Action.ARCHIVE, live.name, live, [FieldChange("archived", False, True)],
                blast=client_blast(ctx, live.id, Action.ARCHIVE), reason=reason,
            )
            for live in unmatched_clients(ctx)
            if live.id in ctx.archiving
        ]
    return []
