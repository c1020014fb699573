"""Time entries: /me listings (since/before/start_date+end_date), current, get, create
(running timers with duration -1), PUT, PATCH stop, DELETE and the bulk JSON-Patch edit."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

from reconciler.sandbox import params, rules, tags
from reconciler.sandbox import tasks as task_rules
from reconciler.sandbox.errors import ApiError, bad_request
from reconciler.sandbox.identity import USER_FULLNAME, USER_ID
from reconciler.sandbox.timefmt import micro_z_style, parse_timestamp, seconds_style

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

ENTRY_NOT_FOUND = "Time entry not found"  # our wording
MAX_LISTED = 1000  # documented: at most 1000 entries back
RUNNING = -1  # observed: a running entry reads back with duration -1
# `/pid` is recorded (toggl_rb bulk_patch_time_entries_success) and documented.
_PATCH_PATHS = frozenset({
    "description", "project_id", "pid", "billable", "tags", "tag_ids", "start", "stop",
    "duration", "task_id", "tid",
})
MIN_START_YEAR, MAX_START_YEAR = 2006, 2030  # recorded range and text
START_YEAR_MESSAGE = f"Start time year must be between {MIN_START_YEAR} and {MAX_START_YEAR}"
START_REQUIRED_MESSAGE = "start is required for time entry creation"  # recorded
TAG_ACTIONS = ("add", "delete")  # documented values of PUT's `tag_action`
_YEAR = re.compile(r"^(\d{4})-")


# ------------------------------------------------------------------ shapes


def entry_json(
    store: Store, row: sqlite3.Row, *, null_empty_tags: bool = False, meta: bool = False,
    single: bool = False,
) -> dict[str, Any]:
    """Recorded key set; `pid` only with a project. A fresh entry without tags answers
    `tags: null` (recorded on create); everywhere else an empty list. `single` is the answer
    of `GET /me/time_entries/{id}`, recorded WITHOUT the legacy `uid`, `wid` and `pid` that
    lists, create, PUT and stop answers carry."""
    tag_ids = json.loads(row["tag_ids"] or "[]")
    names_of = tags.names_by_id(store, int(row["wid"])) if tag_ids else {}
    live_ids = [i for i in tag_ids if i in names_of]
    empty = None if null_empty_tags and row["tag_ids"] is None else []
    shaped: dict[str, Any] = {
        "id": row["id"], "workspace_id": row["wid"], "project_id": row["project_id"],
        "task_id": row["task_id"], "billable": bool(row["billable"]), "start": seconds_style(row["start_ts"]),
        "stop": _maybe_time(row["stop_ts"]),
        "duration": _duration(store, row), "description": row["description"],
        "tags": [names_of[i] for i in live_ids] if live_ids else empty,
        "tag_ids": live_ids if live_ids else (None if empty is None else []),
        "duronly": True, "at": micro_z_style(row["at_ts"]),
        "server_deleted_at": _maybe_time(row["deleted_ts"]),
        "user_id": USER_ID,
    }
    if not single:
        shaped.update(uid=USER_ID, wid=row["wid"])
        if row["project_id"] is not None:
            shaped["pid"] = row["project_id"]
    if meta:
        shaped.update(_meta_fields(store, row))
    shaped["permissions"] = None  # recorded null (Apr 2024), documented; see drifts.py
    return shaped


def _duration(store: Store, row: sqlite3.Row) -> int:
    """Stored durations are -1 while running; see SandboxConfig.running_duration_style."""
    if row["stop_ts"] is None and store.config.running_duration_style == "minus_start":
        return -int(row["start_ts"])
    return int(row["duration"])


def _maybe_time(timestamp: float | None) -> str | None:
    return None if timestamp is None else seconds_style(timestamp)


def _meta_fields(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """`meta=true` extras, for entries with a project. Recorded Dec 2024 (lists, projects with
    a client): `client_name, project_name, project_color, project_active, project_billable,
    user_name, user_avatar_url`. Recorded Apr 2024 (a single entry; project without client,
    `billable` null): only `project_name, project_color, project_active` and no user fields.
    So `client_name` and `project_billable` come only with a value (a Go `omitempty` reading,
    our choice) and the user fields follow the newest recording (see drifts.py)."""
    if row["project_id"] is None:
        return {}
    project = store.db.execute(
        "SELECT p.name, p.color, p.active, p.billable, c.name AS client_name FROM projects p "
        "LEFT JOIN clients c ON c.id = p.client_id WHERE p.id = ?", (row["project_id"],),
    ).fetchone()
    if project is None:
        return {}
    extras: dict[str, Any] = {}
    if project["client_name"] is not None:
        extras["client_name"] = project["client_name"]
    extras.update(project_name=project["name"], project_color=project["color"],
                  project_active=bool(project["active"]))
    if project["billable"] is not None:
        extras["project_billable"] = bool(project["billable"])
    extras.update(user_name=store.user_settings().get("fullname", USER_FULLNAME),
                  user_avatar_url="")
    return extras


# ------------------------------------------------------------------ reads


def entry_row(store: Store, entry_id: int, wid: int | None = None) -> sqlite3.Row:
    if wid is not None:
        store.workspace_row(wid)
    row = store.db.execute(
        "SELECT * FROM time_entries WHERE id = ? AND deleted_ts IS NULL AND wid = COALESCE(?, wid)",
        (entry_id, wid),
    ).fetchone()
    return rules.require_found(row, ENTRY_NOT_FOUND)


def get_entry(store: Store, entry_id: int, query: Mapping[str, str]) -> dict[str, Any]:
    return entry_json(store, entry_row(store, entry_id), meta=query.get("meta") == "true",
                      single=True)


def current_entry(store: Store) -> dict[str, Any] | None:
    """The running entry, or None (answered as JSON `null`: recorded)."""
    row = store.db.execute(
        "SELECT * FROM time_entries WHERE stop_ts IS NULL AND deleted_ts IS NULL "
        "ORDER BY start_ts DESC LIMIT 1"
    ).fetchone()
    return None if row is None else entry_json(store, row)


def list_my_entries(store: Store, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """Newest first, at most 1000. `since` includes deleted entries (recorded)."""
    condition, params = _listing_condition(query)
    rows = store.db.execute(
        f"SELECT * FROM time_entries WHERE {condition} ORDER BY start_ts DESC, id DESC LIMIT ?",
        (*params, MAX_LISTED),
    ).fetchall()
    meta = query.get("meta") == "true"
    return [entry_json(store, row, meta=meta) for row in rows]


def _listing_condition(query: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    if "since" in query and "before" in query:
        raise bad_request("'since' and 'before' can not be present simultaneously")  # recorded
    if "since" in query:
        return "at_ts >= ?", (params.unix_timestamp(query),)
    if ("start_date" in query) != ("end_date" in query):
        raise bad_request("start_date and end_date must be given together")  # our wording
    if "start_date" in query:
        start, end = _moment(query["start_date"]), _moment(query["end_date"])
        if end < start:
            raise bad_request("end_date must not be earlier than start_date")  # our wording
        return "deleted_ts IS NULL AND start_ts >= ? AND start_ts < ?", (start, end)
    if "before" in query:
        return "deleted_ts IS NULL AND start_ts < ?", (_moment(query["before"]),)
    return "deleted_ts IS NULL", ()


def _moment(text: str) -> float:
    try:
        return parse_timestamp(text)
    except ValueError:
        raise bad_request(f"Invalid date: {text}") from None  # our wording


def workspace_entries(store: Store, wid: int) -> list[dict[str, Any]]:
    rows = store.db.execute(
        "SELECT * FROM time_entries WHERE wid = ? AND deleted_ts IS NULL ORDER BY start_ts, id",
        (wid,),
    ).fetchall()
    return [entry_json(store, row) for row in rows]


# ------------------------------------------------------------------ writes


def create_time_entry(store: Store, wid: int, body: Any) -> dict[str, Any]:
    body = rules.require_object(body)
    store.workspace_row(wid)
    start = _creation_start(body)
    _require_creation_fields(body, wid)
    duration, stop = _timing(start, body.get("duration"), body.get("stop"))
    project_id = _project_id(store, wid, body)
    project_id, task_id = _task_and_project(store, wid, body, project_id)
    tag_ids = _tag_ids(store, wid, body)
    now = store.now()
    if stop is None:
        _stop_running(store, now)  # one timer at a time: a new one stops the old (recorded)
    cursor = store.db.execute(
        "INSERT INTO time_entries (wid, project_id, task_id, description, billable, start_ts, "
        "stop_ts, duration, tag_ids, created_with, at_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (wid, project_id, task_id, rules.optional_text(body, "description"),
         int(bool(rules.optional_bool(body, "billable"))), start, stop, duration,
         None if tag_ids is None else json.dumps(tag_ids), body["created_with"], now),
    )
    return entry_json(store, entry_row(store, int(cursor.lastrowid)), null_empty_tags=True)


def _creation_start(body: Mapping[str, Any]) -> float:
    """Recorded order: `start` is checked first, before `created_with` (a body with neither
    a valid year nor `created_with` answered the year message)."""
    if not isinstance(body.get("start"), str) or not body["start"]:
        raise bad_request(START_REQUIRED_MESSAGE)
    return _start_moment(body["start"])


def _start_moment(text: str) -> float:
    """A start in the recorded year range 2006-2030 (UTC year), else the recorded 400."""
    if not isinstance(text, str):
        raise bad_request("start must be an RFC 3339 timestamp")  # our wording
    match = _YEAR.match(text.strip())
    if match is not None and not MIN_START_YEAR <= int(match.group(1)) <= MAX_START_YEAR:
        raise bad_request(START_YEAR_MESSAGE)
    start = _moment(text)
    year = datetime.fromtimestamp(start, tz=timezone.utc).year
    if not MIN_START_YEAR <= year <= MAX_START_YEAR:
        raise bad_request(START_YEAR_MESSAGE)
    return start


def _require_creation_fields(body: Mapping[str, Any], wid: int) -> None:
    if not isinstance(body.get("created_with"), str) or not body["created_with"]:
        raise bad_request("created_with needs to be provided a valid value")  # our wording
    workspace_id = body.get("workspace_id", body.get("wid"))
    if workspace_id != wid:
        raise bad_request("workspace_id is required and must match the URL")  # our wording


def _timing(start: float, duration: Any, stop: Any) -> tuple[int, float | None]:
    """(duration, stop): negative duration = running; no duration and no stop = zero length."""
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or abs(duration) > 2**31
    ):
        raise bad_request("duration must be an integer")  # our wording
    if stop is not None:
        stop_at = _moment(stop) if isinstance(stop, str) else _bad_stop()
        if stop_at < start:
            raise bad_request("stop must not be earlier than start")  # our wording
        return int(round(stop_at - start)), stop_at
    if duration is not None and duration < 0:
        return RUNNING, None
    return (duration or 0), start + (duration or 0)


def _bad_stop() -> float:
    raise bad_request("stop must be an RFC 3339 timestamp")  # our wording


def _stop_running(store: Store, now: float) -> None:
    for row in store.db.execute(
        "SELECT id, start_ts FROM time_entries WHERE stop_ts IS NULL AND deleted_ts IS NULL"
    ).fetchall():
        store.db.execute(
            "UPDATE time_entries SET stop_ts = ?, duration = ?, at_ts = ? WHERE id = ?",
            (now, max(int(now - row["start_ts"]), 0), now, row["id"]),
        )


def _project_id(store: Store, wid: int, body: Mapping[str, Any]) -> int | None:
    project_id = body.get("project_id", body.get("pid"))
    if project_id is None:
        return None
    if not rules.is_id(project_id):
        raise bad_request("project_id must be an integer")  # our wording
    if store.live_row("projects", wid, project_id) is None:
        raise bad_request("Invalid project_id")  # our wording
    return project_id


def _task_and_project(store: Store, wid: int, body: Mapping[str, Any],
                      project_id: int | None) -> tuple[int | None, int | None]:
    """`task_id` (legacy `tid`): a task of the workspace; the entry takes the task's project
    when it names none, and must name the task's project when it names one (our choices)."""
    task_id = body.get("task_id", body.get("tid"))
    if task_id is None:
        return project_id, None
    task = task_rules.task_of_workspace(store, wid, task_id)
    if project_id is not None and project_id != task["project_id"]:
        raise bad_request("Task does not belong to the project")  # our wording
    return int(task["project_id"]), int(task_id)


def _tag_ids(store: Store, wid: int, body: Mapping[str, Any]) -> list[int] | None:
    """Tag ids from `tags` (names; unknown ones are created) and `tag_ids`; None if neither."""
    if body.get("tags") is None and body.get("tag_ids") is None:
        return None
    names, ids = body.get("tags") or [], body.get("tag_ids") or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise bad_request("tags must be a list of names")  # our wording
    ids = rules.require_id_array(ids)
    known = tags.names_by_id(store, wid)
    if any(tag_id not in known for tag_id in ids):
        raise bad_request("Invalid tag_ids")  # our wording
    combined = ids + tags.ensure_tag_ids(store, wid, [n.strip() for n in names])
    return list(dict.fromkeys(combined))


def update_time_entry(store: Store, wid: int, entry_id: int, body: Any) -> dict[str, Any]:
    """PUT merges the fields sent; start/stop/duration stay consistent with each other."""
    body = rules.require_object(body)
    row = entry_row(store, entry_id, wid)
    _apply_changes(store, wid, row, body)
    return entry_json(store, entry_row(store, entry_id))


def _apply_changes(store: Store, wid: int, row: sqlite3.Row, changes: Mapping[str, Any]) -> None:
    values: dict[str, Any] = {"at_ts": store.now()}
    if "description" in changes:
        values["description"] = rules.optional_text(changes, "description")
    if "billable" in changes:
        values["billable"] = int(bool(rules.optional_bool(changes, "billable")))
    values.update(_edited_project_and_task(store, wid, row, changes))
    if "tags" in changes or "tag_ids" in changes:
        values["tag_ids"] = json.dumps(_edited_tags(store, wid, row, changes))
    values.update(_retimed(row, changes))
    assignments = ", ".join(f"{column} = ?" for column in values)
    store.db.execute(
        f"UPDATE time_entries SET {assignments} WHERE id = ?", (*values.values(), row["id"])
    )


def _edited_project_and_task(
    store: Store, wid: int, row: sqlite3.Row, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """A new project drops a task of another project; a new task brings its project."""
    values: dict[str, Any] = {}
    project_changed = "project_id" in changes or "pid" in changes
    if project_changed:
        values["project_id"] = _project_id(store, wid, changes)
    if "task_id" in changes or "tid" in changes:
        named = values["project_id"] if project_changed else None
        project_id, task_id = _task_and_project(store, wid, changes, named)
        values["task_id"] = task_id
        if task_id is not None:
            values["project_id"] = project_id
    elif project_changed and row["task_id"] is not None \
            and values["project_id"] != row["project_id"]:
        values["task_id"] = None
    return values


def _edited_tags(
    store: Store, wid: int, row: sqlite3.Row, changes: Mapping[str, Any]
) -> list[int]:
    """Documented: with `tag_action` "add" the named tags join the entry's, with "delete" they
    leave it; without it (or null) `tags`/`tag_ids` replace the entry's tags."""
    action = changes.get("tag_action")
    if action is not None and action not in TAG_ACTIONS:
        raise bad_request("tag_action must be one of add, delete")  # our wording
    named = _tag_ids(store, wid, changes) or []
    if action is None:
        return named
    current = json.loads(row["tag_ids"] or "[]")
    if action == "add":
        return list(dict.fromkeys(current + named))
    return [tag_id for tag_id in current if tag_id not in named]


def _retimed(row: sqlite3.Row, changes: Mapping[str, Any]) -> dict[str, Any]:
    if not {"start", "stop", "duration"} & set(changes):
        return {}
    start = _start_moment(changes["start"]) if "start" in changes else row["start_ts"]
    if "stop" in changes or "duration" in changes:
        duration, stop = _timing(start, changes.get("duration"), changes.get("stop"))
    elif row["stop_ts"] is None:
        duration, stop = RUNNING, None
    else:
        duration, stop = row["duration"], start + row["duration"]
    return {"start_ts": start, "stop_ts": stop, "duration": duration}


def stop_time_entry(store: Store, wid: int, entry_id: int) -> dict[str, Any]:
    row = entry_row(store, entry_id, wid)
    if row["stop_ts"] is not None:
        raise ApiError(409, "Time entry already stopped")  # documented status, our wording
    now = store.now()
    store.db.execute(
        "UPDATE time_entries SET stop_ts = ?, duration = ?, at_ts = ? WHERE id = ?",
        (now, max(int(now - row["start_ts"]), 0), now, entry_id),
    )
    return entry_json(store, entry_row(store, entry_id))


def delete_time_entry(store: Store, wid: int, entry_id: int) -> None:
    entry_row(store, entry_id, wid)
    now = store.now()
    store.db.execute(
        "UPDATE time_entries SET deleted_ts = ?, at_ts = ? WHERE id = ?", (now, now, entry_id)
    )


def bulk_patch_entries(store: Store, wid: int, ids_text: str, body: Any) -> dict[str, Any]:
    """Up to 100 ids, JSON-Patch body, no transaction: each id succeeds or fails alone."""
    ids = rules.parse_id_list(ids_text)
    operations = rules.require_patch_ops(body)
    store.workspace_row(wid)
    return rules.bulk_outcome(ids, lambda entry_id: _patch_one(store, wid, entry_id, operations))


def _patch_one(
    store: Store, wid: int, entry_id: int, operations: list[dict[str, Any]]
) -> str | None:
    store.db.execute("SAVEPOINT bulk_entry")
    try:
        row = entry_row(store, entry_id, wid)
        _apply_changes(store, wid, row, _changes_from_patch(store, wid, row, operations))
    except ApiError as error:
        store.rollback_to("bulk_entry")
        store.db.execute("RELEASE bulk_entry")
        return error.message or "Invalid value"
    store.db.execute("RELEASE bulk_entry")
    return None


def _changes_from_patch(
    store: Store, wid: int, row: sqlite3.Row, operations: list[dict[str, Any]]
) -> dict[str, Any]:
    """`add`/`remove` on /tags or /tag_ids edit the list; anything else replaces the field."""
    changes: dict[str, Any] = {}
    current = json.loads(row["tag_ids"] or "[]")
    for operation in operations:
        field = operation["path"].lstrip("/")
        if field not in _PATCH_PATHS:
            raise bad_request(f"Invalid path: {operation['path']}")  # our wording
        value = operation.get("value")
        if field in ("tags", "tag_ids") and operation["op"] == "remove" and value is None:
            current = []
            changes["tag_ids"] = []
        elif field in ("tags", "tag_ids") and operation["op"] in ("add", "remove"):
            added = _tag_ids(store, wid, {field: value}) or []
            current = (current + added) if operation["op"] == "add" else [
                tag_id for tag_id in current if tag_id not in added
            ]
            changes["tag_ids"] = list(dict.fromkeys(current))
        else:
            changes[field] = None if operation["op"] == "remove" else value
    return changes
