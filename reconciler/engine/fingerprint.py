"""What each change depends on beyond its own object, recorded at plan time, checked at apply.

A change's own object is fingerprinted by its id and `at` (and the values of the fields it
changes). That misses what a change reaches through other objects: a client archive takes along
every project under the client at the moment it runs, so a project moved under it after the
review would be archived unseen; a project delete takes its tracked time; a create needs the
client it goes under to still be the one the plan saw. `fingerprint_plan` records these,
`dependency_problems` names each one that no longer holds, so `apply --plan` refuses the plan
as stale before its first write.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import LiveState, name_key


def fingerprint_plan(plan: Plan, live: LiveState) -> Plan:
    """The plan with every change's dependencies as they are in `live`."""
    return replace(plan, changes=tuple(_fingerprinted(change, live, plan) for change in plan.changes))


def _fingerprinted(change: Change, live: LiveState, plan: Plan) -> Change:
    found = _fingerprint(change, live, _client_ids(live, plan))
    return replace(change, fingerprint=found) if found else change


def _fingerprint(change: Change, live: LiveState, client_ids: Mapping[str, int | None]) -> dict[str, Any]:
    if change.kind == "client" and change.action.is_removal and change.live_id is not None:
        return {"projects": _projects_under(live, change.live_id)}
    if change.kind != "project":
        return {}
    if change.action is Action.DELETE and change.live_id is not None:
        return {"tracked_seconds": _tracked_seconds(live, change.live_id)}
    wanted_client = _wanted_client(change)
    if wanted_client is not None:
        return {"client_id": client_ids.get(name_key(wanted_client))}
    return {}


def dependency_problems(plan: Plan, live: LiveState) -> list[str]:
    """Each recorded dependency that no longer holds in `live`, in words."""
    client_ids = _client_ids(live, plan)
    problems: list[str] = []
    for change in plan.changes:
        saved = change.fingerprint
        if not saved:
            continue
        now = _fingerprint(change, live, client_ids)
        problems += _differences(change, saved, now)
    return problems


def _differences(change: Change, saved: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    where = f"{change.kind} '{change.address}'"
    if "projects" in saved and _pairs(saved["projects"]) != _pairs(now.get("projects", [])):
        before, after = len(saved["projects"]), len(now.get("projects", []))
        return [f"{where} would now {change.action.value} {after} project(s) along with it, not the "
                f"{before} the plan showed: projects moved under it (or left it) since the plan"]
    if "tracked_seconds" in saved and saved["tracked_seconds"] != now.get("tracked_seconds"):
        return [f"{where} has {_hours(now.get('tracked_seconds'))} tracked now, "
                f"the plan showed {_hours(saved['tracked_seconds'])}"]
    if "client_id" in saved and saved["client_id"] != now.get("client_id"):
        client = _wanted_client(change)
        if now.get("client_id") is None:
            return [f"{where} needs client '{client}', which no longer exists"]
        return [f"{where} needs client '{client}', which is now another client "
                f"(id {now.get('client_id')}, the plan saw id {saved['client_id']})"]
    return []


def _wanted_client(change: Change) -> str | None:
    """The client a project create or move goes under (None: no client, or not a move)."""
    if change.action is Action.CREATE:
        return change.client
    for item in change.fields:
        if item.field == "client":
            return item.after if isinstance(item.after, str) else None
    return None


def _client_ids(live: LiveState, plan: Plan) -> dict[str, int | None]:
    """Client name -> live id after the plan's renames; None for clients the plan creates."""
    ids: dict[str, int | None] = {name_key(c.name): c.id for c in live.clients}
    for change in plan.changes:
        if change.kind != "client":
            continue
        if change.action is Action.CREATE:
            ids[name_key(change.name)] = None
        elif change.live_id is not None:  # as the executor does: renames count from the start
            ids[name_key(change.name)] = change.live_id
    return ids


def _projects_under(live: LiveState, client_id: int) -> list[list[Any]]:
    return sorted([p.id, p.active] for p in live.projects if p.client_id == client_id)


def _tracked_seconds(live: LiveState, project_id: int) -> int | None:
    for project in live.projects:
        if project.id == project_id:
            return project.actual_seconds
    return None


def _pairs(items: Any) -> list[tuple[int, bool]]:
    return sorted((int(item[0]), bool(item[1])) for item in items)


def _hours(seconds: Any) -> str:
    return "unknown time" if not isinstance(seconds, int) else f"{seconds / 3600:.2f} h"
