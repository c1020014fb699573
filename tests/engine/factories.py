"""Small builders for desired and live states, so each test states only what it is about."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import (
    DesiredClient,
    DesiredProject,
    DesiredState,
    DesiredTag,
    KINDS,
    Kind,
    LiveClient,
    LiveProject,
    LiveState,
    LiveTag,
    SafetyLimits,
    UnmanagedPolicy,
)


def client(
    name: str, *, previous: Iterable[str] = (), delete: bool = False, **fields: Any
) -> DesiredClient:
    return DesiredClient(name, fields=fields, previous_names=tuple(previous), delete=delete)


def project(
    name: str,
    client: str | None = None,
    *,
    previous: Iterable[str] = (),
    delete: bool = False,
    delete_time_entries: bool = False,
    move_from: str | None = None,
    **fields: Any,
) -> DesiredProject:
    return DesiredProject(
        name,
        client=client,
        fields=fields,
        previous_names=tuple(previous),
        delete=delete,
        delete_time_entries=delete_time_entries,
        move_from=move_from,
    )


def tag(name: str, *, previous: Iterable[str] = (), delete: bool = False) -> DesiredTag:
    return DesiredTag(name, previous_names=tuple(previous), delete=delete)


def desired(
    clients: Iterable[DesiredClient] = (),
    projects: Iterable[DesiredProject] = (),
    tags: Iterable[DesiredTag] = (),
    *,
    unmanaged: Mapping[Kind, UnmanagedPolicy] | None = None,
    protected: Mapping[Kind, tuple[str, ...]] | None = None,
    safety: SafetyLimits | None = None,
) -> DesiredState:
    policies: dict[Kind, UnmanagedPolicy] = {kind: "ignore" for kind in KINDS}
    policies.update(unmanaged or {})
    return DesiredState(
        workspace=1,
        clients=tuple(clients),
        projects=tuple(projects),
        tags=tuple(tags),
        unmanaged=policies,
        protected=dict(protected or {}),
        safety=safety or SafetyLimits(),
        spec_hash="sha256:test",
    )


def live_client(
    id: int, name: str, *, archived: bool = False, notes: str | None = None
) -> LiveClient:
    return LiveClient(id, name, archived=archived, notes=notes, at=f"at-c{id}")


def live_project(
    id: int,
    name: str,
    client_id: int | None = None,
    *,
    active: bool = True,
    seconds: int = 0,
    **fields: Any,
) -> LiveProject:
    values: dict[str, Any] = {"color": "#0b83d9", "is_private": False, "billable": None}
    values.update(fields)
    return LiveProject(
        id, name, client_id=client_id, active=active, fields=values, at=f"at-p{id}",
        actual_seconds=seconds,
    )


def live_tag(id: int, name: str) -> LiveTag:
    return LiveTag(id, name, at=f"at-t{id}")


def live(
    clients: Iterable[LiveClient] = (),
    projects: Iterable[LiveProject] = (),
    tags: Iterable[LiveTag] = (),
    *,
    tier: str | None = None,
) -> LiveState:
    return LiveState(
        workspace_id=42,
        workspace_name="Test",
        tier=tier,  # type: ignore[arg-type]
        clients=tuple(clients),
        projects=tuple(projects),
        tags=tuple(tags),
    )


def only_change(plan: Plan) -> Change:
    assert len(plan.changes) == 1, [c.to_json() for c in plan.changes]
    return plan.changes[0]


def actions(plan: Plan) -> list[tuple[str, str, str]]:
    """(action, kind, address) of every change, in plan order: compact to compare."""
    return [(c.action.value, c.kind, c.address) for c in plan.changes]


def field_map(change: Change) -> dict[str, tuple[Any, Any]]:
    return {f.field: (f.before, f.after) for f in change.fields}


def removal(plan: Plan, action: Action = Action.ARCHIVE) -> list[str]:
    return [c.address for c in plan.changes if c.action is action]
