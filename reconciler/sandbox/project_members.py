"""Project members: project users (`/workspaces/{wid}/project_users`: list, create, PUT,
bulk PATCH, DELETE) and project groups (`/workspaces/{wid}/project_groups`: list, create,
DELETE). Facts and choices: docs/TOGGL-API-FACTS.md, "Project users" / "Project groups".

Documented: the project-user list is a bare array of `at, gid, group_id, id, labor_cost,
labor_cost_last_updated, manager, project_id, rate, rate_last_updated, user_id,
workspace_id`, filtered by `project_ids` (at most 200: 400 "project_ids cannot exceed 200
elements.") and `user_id` (400 "Invalid user_id"); not paged (the paged form is a separate
POST .../project_users/paginated). A rate is a paid feature (v8: "only for pro
workspaces"): 402 on a free workspace. Writes are admin-only (403).
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, Mapping

from reconciler.sandbox import access, rules
from reconciler.sandbox.errors import ApiError, bad_request, paid_plan_required
from reconciler.sandbox.timefmt import micro_z_style
from reconciler.sandbox.users import is_user

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

PROJECT_USER_NOT_FOUND = "Project user not found"  # our wording
PROJECT_GROUP_NOT_FOUND = "Project group not found"  # our wording
ALREADY_MEMBER = "User is already a member of this project"  # our wording
GROUP_ALREADY_MEMBER = "Group is already a member of this project"  # our wording
INVALID_PROJECT = "Invalid project_id"  # our wording (the task endpoints document it)
INVALID_USER = "Invalid user_id"  # documented (GET project_users, 400)
INVALID_GROUP = "Invalid group_id"  # our wording
MAX_PROJECT_IDS = 200  # documented
MAX_PATCH_IDS = 100  # our choice, like the other bulk edits; the text is documented
_RATE_FIELDS = ("rate", "labor_cost")


# ------------------------------------------------------------------ shapes


def project_user_json(row: sqlite3.Row) -> dict[str, Any]:
    """Documented fields; `gid`/`group_id` are null: a project user is a direct member."""
    return {
        "id": row["id"], "project_id": row["project_id"], "user_id": row["user_id"],
        "workspace_id": row["wid"], "manager": bool(row["manager"]), "rate": row["rate"],
        "rate_last_updated": _maybe(row["rate_ts"]), "labor_cost": row["labor_cost"],
        "labor_cost_last_updated": _maybe(row["labor_cost_ts"]), "group_id": None, "gid": None,
        "at": micro_z_style(row["at_ts"]),
    }


def project_group_json(row: sqlite3.Row) -> dict[str, Any]:
    """No source shows the shape: ours, after the project user's (`id, project_id,
    group_id, workspace_id, at`)."""
    return {"id": row["id"], "project_id": row["project_id"], "group_id": row["group_id"],
            "workspace_id": row["wid"], "at": micro_z_style(row["at_ts"])}


def _maybe(timestamp: float | None) -> str | None:
    return None if timestamp is None else micro_z_style(timestamp)


# ------------------------------------------------------------------ reads


def _project_ids_filter(query: Mapping[str, str]) -> list[int] | None:
    text = query.get("project_ids")
    if not text:
        return None
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise bad_request("Invalid project_ids") from None  # our wording
    if not all(rules.is_id(item) for item in ids):
        raise bad_request("Invalid project_ids")  # our wording (and no SQLite overflow)
    if len(ids) > MAX_PROJECT_IDS:
        raise bad_request(f"project_ids cannot exceed {MAX_PROJECT_IDS} elements.")  # documented
    return ids


def _listing_filter(store: Store, wid: int,
                    query: Mapping[str, str]) -> tuple[list[str], list[Any]]:
    """The SQL conditions and arguments both member listings share: the workspace's live
    rows, of the `project_ids` asked for."""
    store.workspace_row(wid)
    conditions, args = ["wid = ?", "deleted_ts IS NULL"], [wid]
    project_ids = _project_ids_filter(query)
    if project_ids is not None:
        conditions.append(f"project_id IN ({', '.join('?' for _ in project_ids)})")
        args.extend(project_ids)
    return conditions, args


def list_project_users(store: Store, wid: int, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """All projects' users in ONE answer, by id. `with_group_members` is accepted and
    changes nothing: group access is listed by /project_groups (a choice)."""
    conditions, args = _listing_filter(store, wid, query)
    if query.get("user_id"):
        try:
            user_id = int(query["user_id"])
        except ValueError:
            raise bad_request(INVALID_USER) from None
        if not rules.is_id(user_id):
            raise bad_request(INVALID_USER)
        args.append(user_id)
        conditions.append("user_id = ?")
    rows = store.db.execute(
        f"SELECT * FROM project_users WHERE {' AND '.join(conditions)} ORDER BY id", args
    ).fetchall()
    return [project_user_json(row) for row in rows]


def list_project_groups(store: Store, wid: int, query: Mapping[str, str]) -> list[dict[str, Any]]:
    conditions, args = _listing_filter(store, wid, query)
    rows = store.db.execute(
        f"SELECT * FROM project_groups WHERE {' AND '.join(conditions)} ORDER BY id", args
    ).fetchall()
    return [project_group_json(row) for row in rows]


# ------------------------------------------------------------------ project users: writes


def _project_id(store: Store, wid: int, body: Mapping[str, Any]) -> int:
    project_id = body.get("project_id")
    if not rules.is_id(project_id) or store.live_row("projects", wid, project_id) is None:
        raise bad_request(INVALID_PROJECT)
    return int(project_id)


def _manager(value: Any) -> int:
    if not isinstance(value, bool):
        raise bad_request("/manager expects a boolean")  # documented (PATCH) text
    return int(value)


def _money(store: Store, wid: int, field: str, value: Any) -> float | None:
    """A rate or labour cost: a number 0..10,000,000 or null; paid plans only (402)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"/{field} expects an float64 or null")  # documented (PATCH) text
    checked = rules.optional_number({field: value}, field)
    if access.is_free(store, wid):
        raise paid_plan_required(access.MEMBER_RATE_PAID)
    return checked


def _member_values(store: Store, wid: int, changes: Mapping[str, Any],
                   row: sqlite3.Row | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "manager" in changes:
        values["manager"] = _manager(changes["manager"])
    now = store.now()
    for field in _RATE_FIELDS:
        if field in changes:
            value = _money(store, wid, field, changes[field])
            if row is None or row[field] != value:
                values[field] = value
                values[f"{field}_ts"] = None if value is None else now
    values["at_ts"] = now
    return values


def _project_user_row(store: Store, wid: int, member_id: int) -> sqlite3.Row:
    row = store.db.execute(
        "SELECT * FROM project_users WHERE id = ? AND wid = ? AND deleted_ts IS NULL",
        (member_id, wid),
    ).fetchone()
    return rules.require_found(row, PROJECT_USER_NOT_FOUND)


def create_project_user(store: Store, wid: int, body: Any) -> dict[str, Any]:
    """`POST /workspaces/{wid}/project_users` `{project_id, user_id, manager, rate,
    labor_cost}`; one membership per user and project (400 otherwise, our wording)."""
    body = rules.require_object(body)
    store.workspace_row(wid)
    access.require_admin(store)
    project_id = _project_id(store, wid, body)
    user_id = body.get("user_id")
    if not rules.is_id(user_id) or not is_user(store, user_id):
        raise bad_request(INVALID_USER)
    values = _member_values(store, wid, body)
    values.setdefault("manager", 0)
    taken = store.db.execute(
        "SELECT 1 FROM project_users WHERE project_id = ? AND user_id = ? AND deleted_ts IS NULL",
        (project_id, user_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(ALREADY_MEMBER)
    columns = {"wid": wid, "project_id": project_id, "user_id": user_id, **values}
    cursor = store.db.execute(
        f"INSERT INTO project_users ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})", tuple(columns.values()),
    )
    return project_user_json(_project_user_row(store, wid, int(cursor.lastrowid)))


def _update_member(store: Store, row: sqlite3.Row, changes: Mapping[str, Any]) -> None:
    values = _member_values(store, int(row["wid"]), changes, row)
    assignments = ", ".join(f"{column} = ?" for column in values)
    store.db.execute(f"UPDATE project_users SET {assignments} WHERE id = ?",
                     (*values.values(), row["id"]))


def update_project_user(store: Store, wid: int, member_id: int, body: Any) -> dict[str, Any]:
    """`PUT .../project_users/{id}`: a partial merge of manager, rate, labor_cost (documented
    body; `*_change_mode` are accepted and ignored)."""
    body = rules.require_object(body)
    store.workspace_row(wid)
    access.require_admin(store)
    _update_member(store, _project_user_row(store, wid, member_id), body)
    return project_user_json(_project_user_row(store, wid, member_id))


def delete_project_user(store: Store, wid: int, member_id: int) -> None:
    store.workspace_row(wid)
    access.require_admin(store)
    _project_user_row(store, wid, member_id)
    now = store.now()
    store.db.execute("UPDATE project_users SET deleted_ts = ?, at_ts = ? WHERE id = ?",
                     (now, now, member_id))


def _patch_ids(text: str) -> list[int]:
    ids = [int(part) for part in text.split(",") if part]
    if not ids:
        raise bad_request("PATCH expects at least one ID")  # documented
    if any(not rules.is_id(item) for item in ids):
        raise bad_request("Invalid value as user IDs")  # documented
    if len(ids) > MAX_PATCH_IDS:
        raise bad_request(f"PATCH request is limited to {MAX_PATCH_IDS} entries at once")
    return ids


def _patch_changes(body: Any) -> dict[str, Any]:
    """Documented: `replace` of /manager, /rate, /labor_cost (`add` is "Operation not
    supported (add /rate)"); `remove` clears a rate (our reading)."""
    if not isinstance(body, list) or not body:
        raise bad_request("No patchable fields defined")  # documented
    changes: dict[str, Any] = {}
    for operation in body:
        if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
            raise bad_request("Invalid path")  # documented
        op, path = operation.get("op"), operation["path"]
        if op not in ("add", "replace", "remove"):
            raise bad_request(f"Invalid op: {op}")  # documented prefix
        field = path.lstrip("/")
        if field not in ("manager", *_RATE_FIELDS):
            raise bad_request(f"Path not found: {path}")  # documented prefix
        if op == "add" or (op == "remove" and field == "manager"):
            raise bad_request(f"Operation not supported ({op} {path})")  # documented
        changes[field] = operation.get("value") if op == "replace" else None
    return changes


def patch_project_users(store: Store, wid: int, ids_text: str, body: Any) -> dict[str, Any]:
    """`PATCH .../project_users/{ids}`: `{success: [ids], failure: [{id, message}]}`
    (documented shape), each id on its own."""
    ids = _patch_ids(ids_text)
    changes = _patch_changes(body)
    store.workspace_row(wid)
    access.require_admin(store)

    def patch_one(member_id: int) -> str | None:
        store.db.execute("SAVEPOINT bulk_member")
        try:
            _update_member(store, _project_user_row(store, wid, member_id), changes)
        except ApiError as error:
            store.rollback_to("bulk_member")
            store.db.execute("RELEASE bulk_member")
            return error.message or "Invalid value"
        store.db.execute("RELEASE bulk_member")
        return None

    return rules.bulk_outcome(ids, patch_one)


# ------------------------------------------------------------------ project groups: writes


def create_project_group(store: Store, wid: int, body: Any) -> dict[str, Any]:
    """`POST /workspaces/{wid}/project_groups` `{project_id, group_id}`: the group must be
    assigned to the workspace; one per group and project."""
    body = rules.require_object(body)
    store.workspace_row(wid)
    access.require_admin(store)
    project_id = _project_id(store, wid, body)
    group_id = body.get("group_id")
    group = store.db.execute("SELECT * FROM groups WHERE id = ? AND deleted_ts IS NULL",
                             (group_id,)).fetchone() if rules.is_id(group_id) else None
    if group is None or wid not in json.loads(group["workspace_ids"]):
        raise bad_request(INVALID_GROUP)
    taken = store.db.execute(
        "SELECT 1 FROM project_groups WHERE project_id = ? AND group_id = ? "
        "AND deleted_ts IS NULL", (project_id, group_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(GROUP_ALREADY_MEMBER)
    cursor = store.db.execute(
        "INSERT INTO project_groups (wid, project_id, group_id, at_ts) VALUES (?, ?, ?, ?)",
        (wid, project_id, group_id, store.now()),
    )
    row = store.db.execute("SELECT * FROM project_groups WHERE id = ?",
                           (cursor.lastrowid,)).fetchone()
    return project_group_json(row)


def delete_project_group(store: Store, wid: int, project_group_id: int) -> None:
    store.workspace_row(wid)
    access.require_admin(store)
    row = store.db.execute(
        "SELECT 1 FROM project_groups WHERE id = ? AND wid = ? AND deleted_ts IS NULL",
        (project_group_id, wid),
    ).fetchone()
    rules.require_found(row, PROJECT_GROUP_NOT_FOUND)
    now = store.now()
    store.db.execute("UPDATE project_groups SET deleted_ts = ?, at_ts = ? WHERE id = ?",
                     (now, now, project_group_id))


def remove_from_project(store: Store, project_id: int, now: float) -> None:
    """A deleted project takes its tasks, project users and project groups with it."""
    for table in ("tasks", "project_users", "project_groups"):
        store.db.execute(
            f"UPDATE {table} SET deleted_ts = ?, at_ts = ? WHERE project_id = ? "
            "AND deleted_ts IS NULL", (now, now, project_id),
        )
