"""Small builders for desired and live states, so each test states only what it is about."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import (
    DesiredClient,
    DesiredGroup,
    DesiredMember,
    DesiredProject,
    DesiredSettings,
    DesiredState,
    DesiredTag,
    DesiredTask,
    KINDS,
    Kind,
    LiveClient,
    LiveGroup,
    LiveMember,
    LiveProject,
    LiveState,
    LiveTag,
    LiveTask,
    LiveUser,
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
    members: Iterable[DesiredMember] | None = None,
    tasks: Iterable[DesiredTask | str] | None = None,
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
        members=None if members is None else tuple(members),
        tasks=None if tasks is None else tuple(
            DesiredTask(t) if isinstance(t, str) else t for t in tasks),
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


# ---------------------------------------------------------------- the workspace kinds


def member(user: str | None = None, *, group: str | None = None, **fields: Any) -> DesiredMember:
    return DesiredMember(user=user, group=group, fields=fields)


def task(name: str, *, previous: Iterable[str] = (), delete: bool = False,
         **fields: Any) -> DesiredTask:
    return DesiredTask(name, fields=fields, previous_names=tuple(previous), delete=delete)


def group(name: str, members: Iterable[str] | None = None, *, previous: Iterable[str] = (),
          delete: bool = False) -> DesiredGroup:
    return DesiredGroup(name, members=None if members is None else tuple(members),
                        previous_names=tuple(previous), delete=delete)


def with_kinds(spec: DesiredState, *, settings: Mapping[str, Any] | None = None,
               groups: Iterable[DesiredGroup] | None = None,
               organization: str | int | None = None, **changes: Any) -> DesiredState:
    """A desired state with the workspace kinds added (policies merged into `unmanaged`)."""
    policies = dict(spec.unmanaged)
    policies.update(changes.pop("unmanaged", {}) or {})
    return replace(
        spec,
        settings=None if settings is None else DesiredSettings(dict(settings)),
        groups=None if groups is None else tuple(groups),
        organization=organization,
        unmanaged=policies,
        **changes,
    )


def live_user(id: int, email: str) -> LiveUser:
    return LiveUser(id, email, name=email.split("@")[0])


def live_group(id: int, name: str, user_ids: Iterable[int] = (),
               workspace_ids: Iterable[int] = (42,)) -> LiveGroup:
    return LiveGroup(id, name, tuple(user_ids), tuple(workspace_ids), at=f"at-g{id}")


def live_member(id: int, project_id: int, *, user_id: int | None = None,
                group_id: int | None = None, manager: bool = False,
                rate: float | None = None) -> LiveMember:
    return LiveMember(id, project_id, user_id=user_id, group_id=group_id, manager=manager,
                      rate=rate, at=f"at-m{id}")


def live_task(id: int, name: str, project_id: int, *, active: bool = True,
              estimated_seconds: int | None = None, user_id: int | None = None,
              tracked_seconds: int = 0) -> LiveTask:
    return LiveTask(id, name, project_id, active=active, estimated_seconds=estimated_seconds,
                    user_id=user_id, tracked_seconds=tracked_seconds, at=f"at-k{id}")


def with_live(state: LiveState, **changes: Any) -> LiveState:
    """A live state with the workspace kinds read (tuples of their records)."""
    return replace(state, **{name: tuple(value) if isinstance(value, (list, tuple)) else value
                             for name, value in changes.items()})
