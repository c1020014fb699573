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

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import LiveGroup, LiveState, name_key, project_address
from reconciler.untrusted import quoted


@dataclass(frozen=True)
class _Index:
    """What the fingerprints look up, built once per plan (linear in the workspace)."""

    client_ids: Mapping[str, int | None]  # client name after the plan -> live id (None: created)
    projects_under: Mapping[int, list[list[Any]]]  # client id -> [[project id, active], ...]
    tracked_seconds: Mapping[int, int]  # project id -> tracked seconds
    live: LiveState
    # The workspace kinds, built only for plans that have such changes:
    task_seconds: Mapping[int, int] = field(default_factory=dict)  # task id -> tracked seconds
    groups: Mapping[int, LiveGroup] = field(default_factory=dict)  # group id -> group
    # Project address after the plan -> live id (None: the plan creates it).
    project_ids: Mapping[str, int | None] = field(default_factory=dict)

    @classmethod
    def of(cls, live: LiveState, plan: Plan) -> _Index:
        under: dict[int, list[list[Any]]] = {}
        for project in live.projects:
            if project.client_id is not None:
                under.setdefault(project.client_id, []).append([project.id, project.active])
        kinds = {change.kind for change in plan.changes}
        return cls(_client_ids(live, plan), {cid: sorted(items) for cid, items in under.items()},
                   {project.id: project.actual_seconds for project in live.projects}, live,
                   {task.id: task.tracked_seconds for task in live.tasks or ()}
                   if "task" in kinds else {},
                   {group.id: group for group in live.groups or ()} if "group" in kinds else {},
                   _project_ids(live, plan) if kinds & {"task", "member"} else {})


def fingerprint_plan(plan: Plan, live: LiveState) -> Plan:
    """The plan with every change's dependencies as they are in `live`."""
    if not plan.changes:  # the common drift check: no index to build
        return plan
    index = _Index.of(live, plan)
    return replace(plan, changes=tuple(_fingerprinted(change, index) for change in plan.changes))


def _fingerprinted(change: Change, index: _Index) -> Change:
    found = _fingerprint(change, index)
    return replace(change, fingerprint=found) if found else change


def _fingerprint(change: Change, index: _Index) -> dict[str, Any]:
    if change.kind in _WORKSPACE_KIND_FINGERPRINTS:
        return _WORKSPACE_KIND_FINGERPRINTS[change.kind](change, index)
    if change.kind == "client" and change.action.is_removal and change.live_id is not None:
        return {"projects": index.projects_under.get(change.live_id, [])}
    if change.kind != "project":
        return {}
    if change.action is Action.DELETE and change.live_id is not None:
        return {"tracked_seconds": index.tracked_seconds.get(change.live_id)}
    wanted_client = _wanted_client(change)
    if wanted_client is not None:
        return {"client_id": index.client_ids.get(name_key(wanted_client))}
    return {}


# ---------------------------------------------------------------- the workspace kinds
#
#   task delete:           {"tracked_seconds": n} (the time the delete takes off the task)
#   group removal:         {"user_ids": [...], "workspace_ids": [...]} (who loses access, and
#                          whether it is still attached elsewhere: delete or detach)
#   member / task create:  {"project_id": id | None} (the live project it goes into; None:
#                          created by this plan)
#   workspace create:      {"workspace_missing": true} (it still does not exist)


def _task_fingerprint(change: Change, index: _Index) -> dict[str, Any]:
    if change.action is Action.DELETE and change.live_id is not None:
        return {"tracked_seconds": index.task_seconds.get(change.live_id)}
    return _project_fingerprint(change, index)


def _project_fingerprint(change: Change, index: _Index) -> dict[str, Any]:
    if change.action is Action.CREATE and change.parent is not None:
        return {"project_id": index.project_ids.get(name_key(change.parent))}
    return {}


def _group_fingerprint(change: Change, index: _Index) -> dict[str, Any]:
    if change.action is not Action.DELETE or change.live_id is None:
        return {}
    group = index.groups.get(change.live_id)
    if group is None:
        return {"user_ids": None, "workspace_ids": None}
    return {"user_ids": sorted(group.user_ids), "workspace_ids": sorted(group.workspace_ids)}


def _workspace_fingerprint(change: Change, index: _Index) -> dict[str, Any]:
    return {"workspace_missing": index.live.workspace_missing}


_WORKSPACE_KIND_FINGERPRINTS = {
    "task": _task_fingerprint,
    "member": _project_fingerprint,
    "group": _group_fingerprint,
    "workspace": _workspace_fingerprint,
}


def _project_ids(live: LiveState, plan: Plan) -> dict[str, int | None]:
    """Project address (name key) after the plan's renames and moves -> live id; the plan's
    project creates -> None. Clients keep their live names unless the plan renames them."""
    client_names = {client.id: client.name for client in live.clients}
    project_changes: dict[int, Change] = {}
    ids: dict[str, int | None] = {}
    for change in plan.changes:
        if change.kind == "client" and change.live_id is not None:
            client_names[change.live_id] = change.name
        elif change.kind == "project" and change.live_id is not None:
            project_changes[change.live_id] = change
    for project in live.projects:
        moved = project_changes.get(project.id)
        if moved is not None and moved.action is not Action.DELETE:
            ids[name_key(moved.address)] = project.id
            continue
        client = client_names.get(project.client_id) if project.client_id is not None else None
        ids.setdefault(name_key(project_address(client, project.name)), project.id)
    for change in plan.changes:
        if change.kind == "project" and change.action is Action.CREATE:
            ids[name_key(change.address)] = None
    return ids


def dependency_problems(plan: Plan, live: LiveState) -> list[str]:
    """Each recorded dependency that no longer holds in `live`, in words."""
    index = _Index.of(live, plan)
    problems: list[str] = []
    for change in plan.changes:
        if change.fingerprint:
            problems += _differences(change, change.fingerprint, _fingerprint(change, index))
    return problems


def _differences(change: Change, saved: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    where = f"{change.kind} {quoted(change.address)}"
    if "projects" in saved and _pairs(saved["projects"]) != _pairs(now.get("projects", [])):
        before, after = len(saved["projects"]), len(now.get("projects", []))
        return [f"{where} would now {change.action.value} {after} project(s) along with it, not the "
                f"{before} the plan showed: projects moved under it (or left it) since the plan"]
    if "tracked_seconds" in saved and saved["tracked_seconds"] != now.get("tracked_seconds"):
        return [f"{where} has {_hours(now.get('tracked_seconds'))} tracked now, "
                f"the plan showed {_hours(saved['tracked_seconds'])}"]
    problems = _workspace_kind_differences(change, where, saved, now)
    if problems:
        return problems
    if "client_id" in saved and saved["client_id"] != now.get("client_id"):
        client = _wanted_client(change)
        if now.get("client_id") is None:
            return [f"{where} needs client {quoted(client)}, which no longer exists"]
        return [f"{where} needs client {quoted(client)}, which is now another client "
                f"(id {now.get('client_id')}, the plan saw id {saved['client_id']})"]
    return []


def _workspace_kind_differences(change: Change, where: str, saved: Mapping[str, Any],
                                now: Mapping[str, Any]) -> list[str]:
    if "project_id" in saved and saved["project_id"] != now.get("project_id"):
        parent = quoted(change.parent or "")
        if now.get("project_id") is None:
            return [f"{where} needs project {parent}, which no longer exists"]
        if saved["project_id"] is None:
            return [f"{where}: project {parent} exists now (id {now['project_id']}), the plan "
                    "was to create it"]
        return [f"{where} needs project {parent}, which is now another project "
                f"(id {now['project_id']}, the plan saw id {saved['project_id']})"]
    if "user_ids" in saved and (saved["user_ids"], saved.get("workspace_ids")) != (
            now.get("user_ids"), now.get("workspace_ids")):
        if now.get("user_ids") is None:
            return [f"{where} no longer exists"]
        problems = []
        if saved["user_ids"] != now["user_ids"]:
            problems.append(f"{where} has {len(now['user_ids'])} user(s) now, the plan showed "
                            f"{len(saved['user_ids'] or [])}")
        if saved.get("workspace_ids") != now.get("workspace_ids"):
            problems.append(f"{where} is attached to {len(now['workspace_ids'])} workspace(s) "
                            f"now, the plan showed {len(saved.get('workspace_ids') or [])}: "
                            "whether it is deleted or detached may differ")
        return problems
    if saved.get("workspace_missing") is True and now.get("workspace_missing") is not True:
        return [f"{where} exists now; the plan was to create it"]
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


def _pairs(items: Any) -> list[tuple[int, bool]]:
    return sorted((int(item[0]), bool(item[1])) for item in items)


def _hours(seconds: Any) -> str:
    return "unknown time" if not isinstance(seconds, int) else f"{seconds / 3600:.2f} h"
