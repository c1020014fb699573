"""User groups: organization groups (`/organizations/{oid}/groups`, documented) and the
workspace view of them (`/organizations/{oid}/workspaces/{wid}/groups`, recorded;
`/workspaces/{wid}/groups`, documented paths only).

One table holds them: a group belongs to the organization and is assigned to workspaces, so a
group created through `/workspaces/{wid}/groups` is an organization group assigned to `wid`.
Shapes: the organization form is recorded (toggl_rb, Apr 2024: `group_id, name, at,
workspaces, users`); the workspace form is not recorded nor described by the reference, so we
answer Toggl's older documented group fields `id, wid, name, at` (a choice).
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, Mapping

from reconciler.sandbox import access, rules
from reconciler.sandbox.errors import ApiError, bad_request, paid_plan_required
from reconciler.sandbox.identity import ORGANIZATION_ID, USER_ID
from reconciler.sandbox.timefmt import micro_z_style
from reconciler.sandbox.users import users_by_id

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

# Documented texts (v9 reference, groups: POST/PUT 400 and PUT 404).
GROUP_NOT_FOUND = "Invalid group ID."
GROUP_NAME_TAKEN = "Name has already been taken"
GROUP_NAME_MISSING = "Group name must be present"
MAX_GROUP_NAME_LENGTH = 200  # documented: "Group name too long, maximum length is 200"
_PATCH_FIELDS = ("name", "users", "workspaces")


# ------------------------------------------------------------------ shapes


def organization_group_json(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """Recorded key set; `users` entries as recorded (`user_id, name, avatar_url, joined`)."""
    known = users_by_id(store)
    return {
        "group_id": row["id"], "name": row["name"], "at": micro_z_style(row["at_ts"]),
        "workspaces": json.loads(row["workspace_ids"]),
        "users": [_member(user_id, known) for user_id in json.loads(row["user_ids"])],
    }


def workspace_group_json(row: sqlite3.Row, wid: int) -> dict[str, Any]:
    return {"id": row["id"], "wid": wid, "name": row["name"], "at": micro_z_style(row["at_ts"])}


def _member(user_id: int, known: Mapping[int, Any]) -> dict[str, Any]:
    user = known.get(user_id)
    name = user.fullname if user is not None else ""
    return {"user_id": user_id, "name": name, "avatar_url": "", "joined": True}


# ------------------------------------------------------------------ reads


def _check_organization(organization_id: int) -> None:
    if organization_id != ORGANIZATION_ID:
        raise ApiError(403, "User does not have access to this resource")  # recorded text


def _live_groups(store: Store) -> list[sqlite3.Row]:
    return store.db.execute(
        "SELECT * FROM groups WHERE deleted_ts IS NULL ORDER BY name_key, id"
    ).fetchall()


def _group_row(store: Store, group_id: int) -> sqlite3.Row:
    row = store.db.execute(
        "SELECT * FROM groups WHERE id = ? AND deleted_ts IS NULL", (group_id,)
    ).fetchone()
    return rules.require_found(row, GROUP_NOT_FOUND)


def groups_of_workspace(store: Store, wid: int) -> list[sqlite3.Row]:
    store.workspace_row(wid)
    return [row for row in _live_groups(store) if wid in json.loads(row["workspace_ids"])]


def list_organization_groups(
    store: Store, organization_id: int, query: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Documented filters: `name` (groups whose name contains it; case-insensitive is our
    choice) and `workspace` (groups assigned to that workspace id)."""
    _check_organization(organization_id)
    query = query or {}
    rows = _live_groups(store)
    if query.get("name"):
        wanted = rules.name_key(query["name"])
        rows = [row for row in rows if wanted in row["name_key"]]
    if query.get("workspace"):
        try:
            workspace = int(query["workspace"])
        except ValueError:
            raise bad_request("Invalid number") from None  # documented 400 "Invalid number ..."
        rows = [row for row in rows if workspace in json.loads(row["workspace_ids"])]
    return [organization_group_json(store, row) for row in rows]


def list_groups_in_workspace(
    store: Store, organization_id: int, wid: int
) -> list[dict[str, Any]]:
    """Recorded: the organization groups assigned to the workspace, sorted by name."""
    _check_organization(organization_id)
    return [organization_group_json(store, row) for row in groups_of_workspace(store, wid)]


def list_workspace_groups(store: Store, wid: int) -> list[dict[str, Any]]:
    return [workspace_group_json(row, wid) for row in groups_of_workspace(store, wid)]


# ------------------------------------------------------------------ writes


def _name(store: Store, body: Mapping[str, Any], own_id: int | None = None) -> str:
    """Documented texts; names are unique in the organization, case-insensitively (ours)."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request(GROUP_NAME_MISSING)
    name = name.strip()
    if len(name) > MAX_GROUP_NAME_LENGTH:
        raise bad_request(f"Group name too long, maximum length is {MAX_GROUP_NAME_LENGTH}")
    taken = store.db.execute(
        "SELECT 1 FROM groups WHERE name_key = ? AND deleted_ts IS NULL AND id IS NOT ?",
        (rules.name_key(name), own_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(GROUP_NAME_TAKEN)
    return name


def _workspace_ids(store: Store, value: Any) -> list[int]:
    ids = rules.require_id_array(value if value is not None else [])
    known = {int(row["id"]) for row in store.workspace_rows()}
    for wid in ids:
        if wid not in known:  # documented text
            raise bad_request(f"Workspace {wid} not exists in the organization {ORGANIZATION_ID}")
    return list(dict.fromkeys(ids))


def _user_ids(store: Store, value: Any) -> list[int]:
    """Members must be users of the organization (= of its workspaces here: users.py)."""
    ids = rules.require_id_array(value if value is not None else [])
    known = users_by_id(store)
    for user_id in ids:
        if user_id not in known:  # documented text
            raise bad_request(f"User {user_id} not exists in the organization {ORGANIZATION_ID}")
    return list(dict.fromkeys(ids))


def _check_plan(store: Store, workspace_ids: list[int]) -> None:
    """Groups are a paid feature: 402 in a free organization or for a free workspace."""
    if store.config.tier == "free" or any(access.is_free(store, wid) for wid in workspace_ids):
        raise paid_plan_required(access.GROUPS_PAID)


def _checked(store: Store, body: Mapping[str, Any], own_id: int | None = None
             ) -> tuple[str, list[int], list[int]]:
    """(name, workspace ids, user ids) of a create or replace, validated, plan checked."""
    name = _name(store, body, own_id)
    workspace_ids = _workspace_ids(store, body.get("workspaces"))
    user_ids = _user_ids(store, body.get("users"))
    _check_plan(store, workspace_ids)
    return name, workspace_ids, user_ids


def _insert(store: Store, name: str, workspace_ids: list[int], user_ids: list[int]) -> int:
    cursor = store.db.execute(
        "INSERT INTO groups (name, name_key, workspace_ids, user_ids, at_ts) "
        "VALUES (?, ?, ?, ?, ?)",
        (name, rules.name_key(name), json.dumps(workspace_ids), json.dumps(user_ids),
         store.now()),
    )
    return int(cursor.lastrowid)


def _update(store: Store, row: sqlite3.Row, name: str, workspace_ids: list[int],
            user_ids: list[int]) -> None:
    store.db.execute(
        "UPDATE groups SET name = ?, name_key = ?, workspace_ids = ?, user_ids = ?, at_ts = ? "
        "WHERE id = ?",
        (name, rules.name_key(name), json.dumps(workspace_ids), json.dumps(user_ids),
         store.now(), row["id"]),
    )


def create_organization_group(
    store: Store, organization_id: int, body: Any
) -> dict[str, Any]:
    """`POST /organizations/{oid}/groups` `{name, users, workspaces}`."""
    _check_organization(organization_id)
    access.require_admin(store)
    body = rules.require_object(body)
    group_id = _insert(store, *_checked(store, body))
    return organization_group_json(store, _group_row(store, group_id))


def replace_organization_group(
    store: Store, organization_id: int, group_id: int, body: Any
) -> dict[str, Any]:
    """`PUT`: name, users and workspaces as sent (absent lists become empty: a replace)."""
    _check_organization(organization_id)
    access.require_admin(store)
    body = rules.require_object(body)
    row = _group_row(store, group_id)
    _update(store, row, *_checked(store, body, group_id))
    return organization_group_json(store, _group_row(store, group_id))


def patch_organization_group(
    store: Store, organization_id: int, group_id: int, body: Any
) -> dict[str, Any]:
    """`PATCH` with JSON-Patch operations on `/name`, `/users`, `/workspaces` (`add` and
    `remove` of ids for the lists, `replace` for any). The body format is our reading of the
    documented verb; no source shows it."""
    _check_organization(organization_id)
    access.require_admin(store)
    row = _group_row(store, group_id)
    state: dict[str, Any] = {
        "name": row["name"], "workspaces": json.loads(row["workspace_ids"]),
        "users": json.loads(row["user_ids"]),
    }
    for operation in rules.require_patch_ops(body):
        _apply_operation(state, operation)
    _update(store, row, *_checked(store, state, group_id))
    return organization_group_json(store, _group_row(store, group_id))


def _apply_operation(state: dict[str, Any], operation: Mapping[str, Any]) -> None:
    field = operation["path"].lstrip("/")
    if field not in _PATCH_FIELDS:
        raise bad_request(f"Invalid path: {operation['path']}")  # our wording
    value = operation.get("value")
    if field == "name" or operation["op"] == "replace":
        state[field] = value
        return
    listed = value if isinstance(value, list) else [value]
    if operation["op"] == "add":
        state[field] = list(state[field]) + listed
    else:
        state[field] = [item for item in state[field] if item not in listed]


def delete_group(store: Store, group_id: int) -> None:
    """Deletes the group and its project groups (its access to projects goes with it)."""
    access.require_admin(store)
    _group_row(store, group_id)
    now = store.now()
    store.db.execute("UPDATE groups SET deleted_ts = ?, at_ts = ? WHERE id = ?",
                     (now, now, group_id))
    store.db.execute("UPDATE project_groups SET deleted_ts = ?, at_ts = ? WHERE group_id = ? "
                     "AND deleted_ts IS NULL", (now, now, group_id))


def delete_organization_group(store: Store, organization_id: int, group_id: int) -> None:
    _check_organization(organization_id)
    delete_group(store, group_id)


def create_workspace_group(store: Store, wid: int, body: Any) -> dict[str, Any]:
    """`POST /workspaces/{wid}/groups` `{name}`: an organization group assigned to `wid`."""
    store.workspace_row(wid)
    access.require_admin(store)
    body = rules.require_object(body)
    name = _name(store, body)
    _check_plan(store, [wid])
    group_id = _insert(store, name, [wid], [])
    return workspace_group_json(_group_row(store, group_id), wid)


def _workspace_group_row(store: Store, wid: int, group_id: int) -> sqlite3.Row:
    row = _group_row(store, group_id)
    store.workspace_row(wid)
    if wid not in json.loads(row["workspace_ids"]):
        raise ApiError(404, GROUP_NOT_FOUND)
    return row


def rename_workspace_group(store: Store, wid: int, group_id: int, body: Any) -> dict[str, Any]:
    access.require_admin(store)
    body = rules.require_object(body)
    row = _workspace_group_row(store, wid, group_id)
    name = _name(store, body, group_id)
    _check_plan(store, json.loads(row["workspace_ids"]))
    _update(store, row, name, json.loads(row["workspace_ids"]), json.loads(row["user_ids"]))
    return workspace_group_json(_group_row(store, group_id), wid)


def delete_workspace_group(store: Store, wid: int, group_id: int) -> None:
    _workspace_group_row(store, wid, group_id)
    delete_group(store, group_id)


def add_group(store: Store, name: str, workspace_ids: list[int],
              user_ids: list[int] | None = None) -> int:
    """Setup helper for tests: a group with the sandbox user as member by default."""
    with store.transaction():
        return _insert(store, name, workspace_ids, [USER_ID] if user_ids is None else user_ids)
