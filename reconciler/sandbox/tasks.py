"""Tasks: the workspace-wide paged list, the per-project list, get, create, PUT merge, delete
and the bulk JSON-Patch edit. Facts and choices: docs/TOGGL-API-FACTS.md, "Tasks".

Documented: tasks need a paid plan (v8: "available only for starter and other paid
workspaces"), so every task endpoint answers 402 on a free workspace; names are unique in
their project (v8: "unique in project"; case-insensitive like projects here, a choice);
`GET /workspaces/{wid}/tasks` answers `{data, page, per_page, sort_field, sort_order,
total_count}` with 50 tasks a page by default and only active tasks unless `active` says
otherwise (v8: "by default true"); `tracked_seconds` is in MILLISECONDS (v9 reference; see
SandboxConfig.task_tracked_unit).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Callable, Mapping

from reconciler.sandbox import access, params, rules
from reconciler.sandbox.encoding import encode_json, json_array
from reconciler.sandbox.errors import ApiError, bad_request
from reconciler.sandbox.identity import USER_ID
from reconciler.sandbox.timefmt import seconds_style
from reconciler.sandbox.users import is_user

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

TASK_NOT_FOUND = "Task not found"  # our wording
INVALID_PROJECT = "Invalid project_id"  # documented (GET project tasks, 400)
INVALID_USER = "Invalid user_id"  # documented for project users; the same text here is ours
DEFAULT_PAGE_SIZE = 50  # documented default of per_page
MAX_ESTIMATED_SECONDS = 500_000 * 3600  # the spec's estimated_hours limit, in seconds
SORT_FIELDS: Mapping[str, str] = {"name": "t.name_key", "created_at": "t.created_ts"}
_ACTIVE: Mapping[str, str] = {"true": "t.active = 1", "false": "t.active = 0", "both": "1 = 1"}
PATCH_PATHS = frozenset({"name", "active", "estimated_seconds", "user_id"})

TASK_SELECT = """
SELECT t.*, p.name AS project_name, p.color AS project_color, p.billable AS project_billable,
    c.name AS client_name, COALESCE((
        SELECT SUM(e.duration) FROM time_entries e
        WHERE e.task_id = t.id AND e.deleted_ts IS NULL AND e.duration >= 0), 0) AS tracked
FROM tasks t JOIN projects p ON p.id = t.project_id LEFT JOIN clients c ON c.id = p.client_id
"""


# ------------------------------------------------------------------ shapes


def task_json(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """The documented response fields (v9 reference, POST project tasks), in their order."""
    tracked = int(row["tracked"])
    if store.config.task_tracked_unit == "milliseconds":
        tracked *= 1000
    billable = row["project_billable"]
    return {
        "id": row["id"], "name": row["name"], "workspace_id": row["wid"],
        "project_id": row["project_id"], "user_id": row["user_id"],
        "active": bool(row["active"]), "estimated_seconds": row["estimated_seconds"],
        "tracked_seconds": tracked, "at": seconds_style(row["at_ts"]),
        "server_deleted_at": (None if row["deleted_ts"] is None
                              else seconds_style(row["deleted_ts"])),
        "recurring": False, "rate": None, "rate_last_updated": None,
        "toggl_accounts_id": None, "integration_ext_id": None, "integration_ext_type": None,
        "integration_provider": None, "client_name": row["client_name"],
        "project_name": row["project_name"], "project_color": row["project_color"],
        "project_billable": None if billable is None else bool(billable), "permissions": None,
    }


# ------------------------------------------------------------------ reads


def _open(store: Store, wid: int) -> None:
    store.workspace_row(wid)
    access.require_paid(store, wid, access.TASKS_PAID)


def project_of_tasks(store: Store, wid: int, project_id: int) -> sqlite3.Row:
    row = store.live_row("projects", wid, project_id)
    if row is None:
        raise bad_request(INVALID_PROJECT)
    return row


def _task_row(store: Store, wid: int, project_id: int, task_id: int) -> sqlite3.Row:
    row = store.db.execute(
        TASK_SELECT + " WHERE t.id = ? AND t.wid = ? AND t.project_id = ? AND t.deleted_ts IS NULL",
        (task_id, wid, project_id),
    ).fetchone()
    return rules.require_found(row, TASK_NOT_FOUND)


def list_workspace_tasks(store: Store, wid: int, query: Mapping[str, str]) -> dict[str, Any]:
    """`GET /workspaces/{wid}/tasks`: documented parameters `active` (true|false|both),
    `pid`, `since` (changes since then, deleted ones too), `sort_field` (name|created_at),
    `sort_order` (ASC|DESC), `page`, `per_page`. `start_date`/`end_date` are accepted and
    ignored (documented without saying what they bound)."""
    _open(store, wid)
    active, page, per_page = _listing_window(store, query)
    sort_field = query.get("sort_field", "name")
    if sort_field not in SORT_FIELDS:
        raise bad_request("sort_field must be name or created_at")  # our wording
    sort_order = query.get("sort_order", "ASC").upper()
    if sort_order not in ("ASC", "DESC"):
        raise bad_request("sort_order must be ASC or DESC")  # our wording
    conditions, args = ["t.wid = ?", _ACTIVE[active]], [wid]
    if "since" in query:
        conditions.append("t.at_ts >= ?")
        args.append(params.unix_timestamp(query))
    else:
        conditions.append("t.deleted_ts IS NULL")
    if query.get("pid"):
        conditions.append("t.project_id = ?")
        args.append(params.positive_int(query, "pid", 0))
    where = " WHERE " + " AND ".join(conditions)
    total = store.db.execute(f"SELECT COUNT(*) FROM tasks t{where}", args).fetchone()[0]
    first = min((page - 1) * per_page, rules.MAX_ID)
    rows = store.db.execute(
        TASK_SELECT + where
        + f" ORDER BY {SORT_FIELDS[sort_field]} {sort_order}, t.id {sort_order} LIMIT ? OFFSET ?",
        (*args, per_page, first),
    ).fetchall()
    return {
        "data": [task_json(store, row) for row in rows], "page": page, "per_page": per_page,
        "sort_field": sort_field, "sort_order": sort_order, "total_count": int(total),
    }


def workspace_tasks_page(store: Store, wid: int, query: Mapping[str, str]) -> bytes:
    """`GET /workspaces/{wid}/tasks` encoded. A full listing in the default order (no `since`,
    no `pid`), the read every plan makes, is served from the sorted rows kept while the data
    does not change (`listing_cache`), each row encoded once: 100 pages of 20,000 tasks
    otherwise re-ran the query, its OFFSET scan and the encoding for every page. Anything
    else is answered by `list_workspace_tasks` as it is."""
    plain = ("since" not in query and not query.get("pid")
             and query.get("sort_field", "name") == "name"
             and query.get("sort_order", "ASC").upper() == "ASC")
    if not plain:
        return encode_json(list_workspace_tasks(store, wid, query))
    _open(store, wid)
    active, page, per_page = _listing_window(store, query)
    version = store.data_version()
    key = ("tasks", wid, active)
    rows = store.listings.get(key, version, lambda: _sorted_tasks(store, wid, active))
    listing = store.listings.encoded_rows(key, rows,
                                          lambda row: encode_json(task_json(store, row)))
    first = min((page - 1) * per_page, len(rows))
    data = json_array(listing.encoded(range(first, min(first + per_page, len(rows)))))
    head = encode_json({"page": page, "per_page": per_page, "sort_field": "name",
                        "sort_order": "ASC", "total_count": len(rows)})
    return b'{"data":' + data + b"," + head[1:]


def _listing_window(store: Store, query: Mapping[str, str]) -> tuple[str, int, int]:
    """`active` (true|false|both), `page` and `per_page` of a workspace task listing. The
    maximum `per_page` is not documented: SandboxConfig.task_max_per_page (200), clamped."""
    active = query.get("active", "true").lower()
    if active not in _ACTIVE:
        raise bad_request("active must be one of true, false, both")  # our wording
    page = params.positive_int(query, "page", 1)
    per_page = min(params.positive_int(query, "per_page", DEFAULT_PAGE_SIZE),
                   store.config.task_max_per_page)
    return active, page, per_page


def _sorted_tasks(store: Store, wid: int, active: str) -> list[sqlite3.Row]:
    where = f" WHERE t.wid = ? AND {_ACTIVE[active]} AND t.deleted_ts IS NULL"
    return store.db.execute(TASK_SELECT + where + " ORDER BY t.name_key ASC, t.id ASC",
                            (wid,)).fetchall()


def list_project_tasks(store: Store, wid: int, project_id: int) -> list[dict[str, Any]]:
    """`GET .../projects/{pid}/tasks`: a bare array, done tasks included (our choice: the
    reference shows no filter for it), by name."""
    _open(store, wid)
    project_of_tasks(store, wid, project_id)
    rows = store.db.execute(
        TASK_SELECT + " WHERE t.wid = ? AND t.project_id = ? AND t.deleted_ts IS NULL "
        "ORDER BY t.name_key, t.id", (wid, project_id),
    ).fetchall()
    return [task_json(store, row) for row in rows]


def tasks_of_workspace(store: Store, wid: int) -> list[dict[str, Any]]:
    """Every live task of the workspace (done ones too), by name; no plan check (setup
    helpers and `/me?with_related_data=true`)."""
    rows = store.db.execute(
        TASK_SELECT + " WHERE t.wid = ? AND t.deleted_ts IS NULL ORDER BY t.name_key, t.id",
        (wid,),
    ).fetchall()
    return [task_json(store, row) for row in rows]


def get_task(store: Store, wid: int, project_id: int, task_id: int) -> dict[str, Any]:
    _open(store, wid)
    project_of_tasks(store, wid, project_id)
    return task_json(store, _task_row(store, wid, project_id, task_id))


# ------------------------------------------------------------------ validation


def _active(value: Any) -> int:
    if not isinstance(value, bool):
        raise bad_request("active must be a boolean")  # our wording
    return int(value)


def _estimated_seconds(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 0 <= value <= MAX_ESTIMATED_SECONDS:
        raise bad_request(  # our wording
            f"estimated_seconds must be a whole number from 0 to {MAX_ESTIMATED_SECONDS}")
    return value


def _user_id(store: Store) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        if value is None:
            return None
        if not rules.is_id(value) or not is_user(store, value):
            raise bad_request(INVALID_USER)
        return int(value)

    return check


def _validated(store: Store, changes: Mapping[str, Any]) -> dict[str, Any]:
    validators: Mapping[str, Callable[[Any], Any]] = {
        "active": _active, "estimated_seconds": _estimated_seconds, "user_id": _user_id(store),
    }
    return {field: check(changes[field]) for field, check in validators.items() if field in changes}


def refuse_taken_task_name(store: Store, project_id: int, name: str,
                           own_id: int | None = None) -> None:
    taken = store.db.execute(
        f"SELECT 1 FROM tasks WHERE project_id = ? AND {store.name_clause()} "
        "AND deleted_ts IS NULL AND id IS NOT ?", (project_id, store.name_param(name), own_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(store.config.duplicate_name_message)


# ------------------------------------------------------------------ writes


def _open_for_writing(store: Store, wid: int, project_id: int) -> None:
    store.workspace_row(wid)
    access.require_admin(store)
    access.require_paid(store, wid, access.TASKS_PAID)
    project_of_tasks(store, wid, project_id)


def create_task(store: Store, wid: int, project_id: int, body: Any) -> dict[str, Any]:
    """`POST .../projects/{pid}/tasks` `{name, active, estimated_seconds, user_id}`; `active`
    defaults to true (v8), `user_id` to none (SandboxConfig.task_default_assignee)."""
    body = rules.require_object(body)
    _open_for_writing(store, wid, project_id)
    name = rules.require_name(body, "Task")
    values = _validated(store, body)
    values.setdefault("active", 1)
    if "user_id" not in body and store.config.task_default_assignee == "requester":
        values["user_id"] = USER_ID
    refuse_taken_task_name(store, project_id, name)
    now = store.now()
    columns = {"wid": wid, "project_id": project_id, "name": name,
               "name_key": rules.name_key(name), "created_ts": now, "at_ts": now, **values}
    cursor = store.db.execute(
        f"INSERT INTO tasks ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        tuple(columns.values()),
    )
    return task_json(store, _task_row(store, wid, project_id, int(cursor.lastrowid)))


def _apply_changes(store: Store, row: sqlite3.Row, changes: Mapping[str, Any]) -> None:
    values = _validated(store, changes)
    if "name" in changes:
        name = rules.require_name(changes, "Task")
        refuse_taken_task_name(store, int(row["project_id"]), name, own_id=int(row["id"]))
        values.update(name=name, name_key=rules.name_key(name))
    values["at_ts"] = store.now()
    assignments = ", ".join(f"{column} = ?" for column in values)
    store.db.execute(f"UPDATE tasks SET {assignments} WHERE id = ?", (*values.values(), row["id"]))


def update_task(store: Store, wid: int, project_id: int, task_id: int, body: Any) -> dict[str, Any]:
    """`PUT .../tasks/{tid}`: a partial merge of name, active, estimated_seconds, user_id."""
    body = rules.require_object(body)
    _open_for_writing(store, wid, project_id)
    _apply_changes(store, _task_row(store, wid, project_id, task_id), body)
    return task_json(store, _task_row(store, wid, project_id, task_id))


def delete_task(store: Store, wid: int, project_id: int, task_id: int) -> None:
    """Deletes the task; its time entries stay, without the task (they keep the project)."""
    _open_for_writing(store, wid, project_id)
    _task_row(store, wid, project_id, task_id)
    now = store.now()
    store.db.execute("UPDATE tasks SET deleted_ts = ?, at_ts = ? WHERE id = ?", (now, now, task_id))
    store.db.execute("UPDATE time_entries SET task_id = NULL, at_ts = ? WHERE task_id = ?",
                     (now, task_id))


def bulk_patch_tasks(store: Store, wid: int, project_id: int, ids_text: str,
                     body: Any) -> dict[str, Any]:
    """`PATCH .../tasks/{id1},{id2}` with JSON-Patch `replace` (or `remove`, which clears
    `estimated_seconds`/`user_id`) on /name, /active, /estimated_seconds, /user_id; answers
    `{success: [ids], failure: [{id, message}]}` like the project bulk edit (a choice: the
    reference lists the path only)."""
    ids = rules.parse_id_list(ids_text)
    operations = rules.require_patch_ops(body)
    _open_for_writing(store, wid, project_id)
    changes: dict[str, Any] = {}
    for operation in operations:
        field = operation["path"].lstrip("/")
        if field not in PATCH_PATHS or operation["op"] == "add":
            raise bad_request(f"Operation not supported ({operation['op']} {operation['path']})")
        if operation["op"] == "replace" and "value" not in operation:
            raise bad_request(f"Missing value for {operation['path']}")  # our wording
        changes[field] = operation.get("value") if operation["op"] == "replace" else None
    return rules.bulk_outcome(ids, lambda task_id: _patch_one(store, wid, project_id, task_id,
                                                              changes))


def _patch_one(store: Store, wid: int, project_id: int, task_id: int,
               changes: Mapping[str, Any]) -> str | None:
    store.db.execute("SAVEPOINT bulk_task")
    try:
        _apply_changes(store, _task_row(store, wid, project_id, task_id), changes)
    except ApiError as error:
        store.rollback_to("bulk_task")
        store.db.execute("RELEASE bulk_task")
        return error.message or "Invalid value"
    store.db.execute("RELEASE bulk_task")
    return None


def task_of_workspace(store: Store, wid: int, task_id: Any) -> sqlite3.Row:
    """A live task of the workspace for a time entry's `task_id`; 400 otherwise."""
    if not rules.is_id(task_id):
        raise bad_request("task_id must be an integer")  # our wording
    row = store.db.execute("SELECT * FROM tasks WHERE id = ? AND wid = ? AND deleted_ts IS NULL",
                           (task_id, wid)).fetchone()
    if row is None:
        raise bad_request("Invalid task_id")  # our wording
    return row
