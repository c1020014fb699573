"""Projects: paginated list, get, create (archived unless `active: true`!), PUT merge, delete
with teDeletionMode, and the bulk JSON-Patch edit with per-id success/failure lists."""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING, Any, Callable, Mapping

from reconciler.sandbox import params, project_members, rules, settings
from reconciler.sandbox.encoding import encode_json, json_array
from reconciler.sandbox.errors import ApiError, bad_request
from reconciler.sandbox.identity import USER_ID
from reconciler.sandbox.listing_cache import EncodedRows
from reconciler.sandbox.timefmt import date_style, seconds_style

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

PROJECT_NOT_FOUND = "Project not found"  # our wording
DEFAULT_PAGE_SIZE = 151  # observed: x-page-size 151 without per_page
MAX_PAGE_SIZE = 200  # documented; larger per_page values are clamped, not refused (a choice)
DEFAULT_COLOR = "#0b83d9"  # observed
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ACTIVE_FILTERS: Mapping[str, str] = {"true": "active = 1", "false": "active = 0", "both": "1 = 1"}

# Mergeable fields: (column, validator(value, tier) -> stored value). `client_id` and `name`
# need the workspace and are handled apart.
_Validator = Callable[[Any, str], Any]


def _bool_value(field: str) -> _Validator:
    return lambda value, tier: _as_int(rules.optional_bool({field: value}, field))


def _number_value(field: str) -> _Validator:
    return lambda value, tier: rules.optional_number({field: value}, field)


def _as_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)


def _currency(value: Any, tier: str) -> str | None:
    return rules.optional_text({"currency": value}, "currency")


def _date(field: str) -> _Validator:
    def check(value: Any, tier: str) -> str | None:
        if value is not None and (not isinstance(value, str) or not _DATE.match(value)):
            raise bad_request(f"{field} must be a date (YYYY-MM-DD)")  # our wording
        return value

    return check


def _required_bool(field: str) -> _Validator:
    def check(value: Any, tier: str) -> int:
        if not isinstance(value, bool):
            raise bad_request(f"{field} must be a boolean")  # our wording
        return int(value)

    return check


_FIELD_VALIDATORS: Mapping[str, _Validator] = {
    "active": _required_bool("active"),
    "is_private": _required_bool("is_private"),
    "color": lambda value, tier: rules.check_color(value, tier),
    "billable": _bool_value("billable"),
    "auto_estimates": _bool_value("auto_estimates"),
    "template": _bool_value("template"),
    "estimated_hours": _number_value("estimated_hours"),
    "rate": _number_value("rate"),
    "fixed_fee": _number_value("fixed_fee"),
    "currency": _currency,
    "start_date": _date("start_date"),
    "end_date": _date("end_date"),
}
BULK_PATCH_PATHS: frozenset[str] = frozenset({*_FIELD_VALIDATORS, "client_id", "name"})


# ------------------------------------------------------------------ shapes


def project_json(
    row: sqlite3.Row, actual_seconds: int | None, *, created: bool = False
) -> dict[str, Any]:
    """Key set and order of the newest recording (Dec 2024 list), plus `permissions` (older
    recordings and the reference have it; see tests/contract/drifts.py).

    Recorded quirks kept: the create answer has no `created_at` and no `status`; single-object
    answers (create, get, PUT) report actual_hours/actual_seconds as null, lists as numbers.
    """
    shaped: dict[str, Any] = {
        "id": row["id"], "workspace_id": row["wid"], "client_id": row["client_id"],
        "name": row["name"], "is_private": bool(row["is_private"]), "active": bool(row["active"]),
        "at": seconds_style(row["at_ts"]), "created_at": seconds_style(row["created_ts"]),
        "server_deleted_at": _maybe_time(row["deleted_ts"]), "color": row["color"],
        "billable": _maybe_bool(row["billable"]), "template": _maybe_bool(row["template"]),
        "auto_estimates": _maybe_bool(row["auto_estimates"]),
        "estimated_hours": _maybe_number(row["estimated_hours"]),
        "estimated_seconds": _estimated_seconds(row["estimated_hours"]),
        "rate": row["rate"], "rate_last_updated": None, "currency": row["currency"],
        "recurring": bool(row["recurring"]), "template_id": None, "recurring_parameters": None,
        "fixed_fee": row["fixed_fee"],
        "actual_hours": None if actual_seconds is None else actual_seconds // 3600,
        "actual_seconds": actual_seconds, "tasks_count": None, "can_track_time": True,
        "start_date": row["start_date"], "status": "active" if row["active"] else "archived",
        "wid": row["wid"], "cid": row["client_id"], "is_shared": False, "pinned": False,
        # Recorded as null in Apr 2024 (absent in Dec 2024), documented: keep it, null.
        "permissions": None,
    }
    if row["end_date"] is not None:
        shaped["end_date"] = row["end_date"]
    if created:
        del shaped["created_at"], shaped["status"]
    return shaped


def _maybe_time(timestamp: float | None) -> str | None:
    return None if timestamp is None else seconds_style(timestamp)


def _maybe_bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _maybe_number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _estimated_seconds(hours: float | None) -> int | None:
    return None if hours is None else int(round(hours * 3600))


def actual_seconds_of(store: Store, rows: list[sqlite3.Row]) -> dict[int, int]:
    """Tracked seconds per project: stopped, live time entries plus seeded seconds."""
    totals = {int(row["id"]): int(row["seeded_seconds"]) for row in rows}
    ids = list(totals)
    for start in range(0, len(ids), 500):  # SQLite's parameter limit
        chunk = ids[start:start + 500]
        sums = store.db.execute(
            "SELECT project_id, SUM(duration) AS seconds FROM time_entries WHERE "
            f"project_id IN ({', '.join('?' for _ in chunk)}) AND deleted_ts IS NULL "
            "AND duration >= 0 GROUP BY project_id", chunk,
        )
        for entry in sums:
            totals[int(entry["project_id"])] += int(entry["seconds"])
    return totals


def _listed(store: Store, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    actual = actual_seconds_of(store, rows)
    return [project_json(row, actual[int(row["id"])]) for row in rows]


# The live projects of a workspace by name, each with its tracked seconds (the same sum as
# `actual_seconds_of`, one indexed lookup per project instead of IN lists).
_LISTING_SQL = """
SELECT p.*, p.seeded_seconds + COALESCE((
    SELECT SUM(t.duration) FROM time_entries t
    WHERE t.project_id = p.id AND t.deleted_ts IS NULL AND t.duration >= 0), 0) AS tracked
FROM projects p WHERE p.wid = ? AND p.deleted_ts IS NULL AND {active}
ORDER BY p.name_key, p.id {limit}
"""


def _encoded_project(row: sqlite3.Row) -> bytes:
    return encode_json(project_json(row, int(row["tracked"])))


def _sorted_listing(store: Store, wid: int) -> EncodedRows:
    """Every live project of the workspace, in list order, encoded as pages need them."""
    sql = _LISTING_SQL.format(active="1 = 1", limit="")
    rows = store.db.execute(sql, (wid,)).fetchall()
    return store.listings.encoded_rows(("projects", wid), rows, _encoded_project)


def _first_page_alone(store: Store, wid: int, active: str, size: int) -> bytes:
    """Page 1 without reading the rest (still reusing encodings of unchanged projects)."""
    sql = _LISTING_SQL.format(active=_ACTIVE_FILTERS[active], limit="LIMIT ?")
    rows = store.db.execute(sql, (wid, size)).fetchall()
    page = store.listings.encoded_rows(("projects", wid), rows, _encoded_project,
                                       complete=False)
    return json_array(page.encoded(range(len(rows))))


def _listing_page(store: Store, wid: int, active: str, first: int, size: int) -> bytes:
    """One page of the cached listing; sorting and filtering are redone only after writes,
    and only once a second page shows that the whole listing is being read."""
    version = store.data_version()
    if first == 0 and not store.listings.is_current(("projects", wid), version):
        return _first_page_alone(store, wid, active, size)
    listing = store.listings.get(("projects", wid), version,
                                 lambda: _sorted_listing(store, wid))
    positions = store.listings.get(
        ("projects", wid, active), version, lambda: _positions(listing.rows, active)
    )
    return json_array(listing.encoded(positions[first:first + size]))


def _positions(rows: list[sqlite3.Row], active: str) -> range | list[int]:
    """Where the rows the `active` filter keeps are in the sorted listing."""
    if active == "both":
        return range(len(rows))
    wanted = active == "true"
    return [position for position, row in enumerate(rows) if bool(row["active"]) == wanted]


# ------------------------------------------------------------------ reads


def project_row(store: Store, wid: int, project_id: int) -> sqlite3.Row:
    store.workspace_row(wid)
    return rules.require_found(store.live_row("projects", wid, project_id), PROJECT_NOT_FOUND)


def get_project(store: Store, wid: int, project_id: int) -> dict[str, Any]:
    return project_json(project_row(store, wid, project_id), None)


def all_projects(store: Store, wid: int) -> list[dict[str, Any]]:
    rows = store.db.execute(
        "SELECT * FROM projects WHERE wid = ? AND deleted_ts IS NULL ORDER BY name_key, id",
        (wid,),
    ).fetchall()
    return _listed(store, rows)


def list_projects(
    store: Store, wid: int, query: Mapping[str, str]
) -> tuple[bytes, dict[str, str]]:
    """One page as an encoded JSON array, sorted by name, and the X-Page / X-Page-Size
    headers (no total: observed). Pages come from the cached listing unless `since` asks
    for deleted projects too, which only that rare query shows."""
    store.workspace_row(wid)
    page = _positive_int(query, "page", 1)
    page_size = min(_positive_int(query, "per_page", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    active = query.get("active", "both")  # observed 2024: archived ones come without a filter
    if active not in _ACTIVE_FILTERS:
        raise bad_request("active must be one of true, false, both")  # our wording
    condition, params = _since_condition(query)
    headers = {"X-Page": str(page), "X-Page-Size": str(page_size),
               "X-Sort-Field": "project_name", "X-Sort-Order": "asc"}
    first = min((page - 1) * page_size, rules.MAX_ID)  # a far page is empty, not an overflow
    if query.get("name"):
        return _named_page(store, wid, query, active, condition, params, first, page_size), headers
    if "since" in query:
        rows = store.db.execute(
            f"SELECT * FROM projects WHERE wid = ? AND {_ACTIVE_FILTERS[active]} AND "
            f"{condition} ORDER BY name_key, id LIMIT ? OFFSET ?",
            (wid, *params, page_size, first),
        ).fetchall()
        return encode_json(_listed(store, rows)), headers
    return _listing_page(store, wid, active, first, page_size), headers


def _named_page(
    store: Store, wid: int, query: Mapping[str, str], active: str, condition: str,
    params: tuple[Any, ...], first: int, size: int,
) -> bytes:
    """`?name=`: recorded to filter; "contains" or "exact" per SandboxConfig.project_name_filter
    (both case-insensitive). Rare, so it bypasses the listing cache."""
    rows = store.db.execute(
        f"SELECT * FROM projects WHERE wid = ? AND {_ACTIVE_FILTERS[active]} AND {condition} "
        "ORDER BY name_key, id", (wid, *params),
    ).fetchall()
    wanted = rules.name_key(query["name"].strip())
    exact = store.config.project_name_filter == "exact"
    kept = [row for row in rows
            if (row["name_key"] == wanted if exact else wanted in row["name_key"])]
    return encode_json(_listed(store, kept[first:first + size]))


def _since_condition(query: Mapping[str, str]) -> tuple[str, tuple[Any, ...]]:
    """Without `since` deleted projects are hidden; with it, changes since then, deleted too."""
    if "since" not in query:
        return "deleted_ts IS NULL", ()
    return "at_ts >= ?", (params.unix_timestamp(query),)


def _positive_int(query: Mapping[str, str], name: str, default: int) -> int:
    return params.positive_int(query, name, default)


# ------------------------------------------------------------------ writes


def _client_id(store: Store, wid: int, body: Mapping[str, Any]) -> int | None:
    client_id = body.get("client_id", body.get("cid"))
    if client_id is None:
        return None
    if not rules.is_id(client_id):
        raise bad_request("client_id must be an integer")  # our wording
    if store.live_row("clients", wid, client_id) is None:
        raise bad_request(f"Client with ID {client_id} isn't present in workspace {wid}")
    return client_id


def _refuse_taken_name(
    store: Store, wid: int, client_id: int | None, name: str, own_id: int | None = None
) -> None:
    """Unique per (workspace, client), archived projects included (documented)."""
    taken = store.db.execute(
        f"SELECT 1 FROM projects WHERE wid = ? AND client_id IS ? AND {store.name_clause()} "
        "AND deleted_ts IS NULL AND id IS NOT ?",
        (wid, client_id, store.name_param(name), own_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(store.config.duplicate_name_message)


def create_project(store: Store, wid: int, body: Any) -> dict[str, Any]:
    body = rules.require_object(body)
    workspace = store.workspace_row(wid)
    settings.require_admin_when(store, wid, "only_admins_may_create_projects")
    tier = workspace["tier"]
    name = rules.require_name(body, "Project")
    client_id = _client_id(store, wid, body)
    rules.check_paid_project_fields(body, tier)
    defaults = {
        "color": DEFAULT_COLOR, "is_private": bool(workspace["projects_private_by_default"]),
        "start_date": date_style(store.now()),
    }
    merged = {**defaults, **{k: v for k, v in body.items() if v is not None}}
    # Recorded quirk: without `"active": true` the project is created ARCHIVED.
    merged["active"] = body.get("active") is True
    values = _validated_fields(merged, tier)
    values.setdefault("billable", None if tier == "free" else 0)
    _refuse_taken_name(store, wid, client_id, name)
    now = store.now()
    columns = {"wid": wid, "client_id": client_id, "name": name,
               "name_key": rules.name_key(name), "created_ts": now, "at_ts": now, **values}
    cursor = store.db.execute(
        f"INSERT INTO projects ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        tuple(columns.values()),
    )
    row = project_row(store, wid, int(cursor.lastrowid))
    if store.config.creator_joins_new_projects and row["is_private"]:
        store.db.execute("INSERT INTO project_users (wid, project_id, user_id, manager, at_ts) "
                         "VALUES (?, ?, ?, 1, ?)", (wid, row["id"], USER_ID, now))
    return project_json(row, None, created=True)


def _validated_fields(body: Mapping[str, Any], tier: str) -> dict[str, Any]:
    return {
        field: validate(body[field], tier)
        for field, validate in _FIELD_VALIDATORS.items()
        if field in body
    }


def update_project(store: Store, wid: int, project_id: int, body: Any) -> dict[str, Any]:
    """PUT is a partial merge: only the fields sent change (documented)."""
    body = rules.require_object(body)
    row = project_row(store, wid, project_id)
    _apply_changes(store, row, body, check_palette=True)
    return get_project(store, wid, project_id)


def _apply_changes(
    store: Store, row: sqlite3.Row, changes: Mapping[str, Any], *, check_palette: bool
) -> None:
    wid, tier = int(row["wid"]), store.tier_of(int(row["wid"]))
    rules.check_paid_project_fields(changes, tier)
    palette_tier = tier if check_palette else "premium"
    values = _validated_fields({k: v for k, v in changes.items() if k != "color"}, tier)
    if "color" in changes:
        values["color"] = rules.check_color(changes["color"], palette_tier)
    name = rules.require_name(changes, "Project") if "name" in changes else row["name"]
    has_client = "client_id" in changes or "cid" in changes
    client_id = _client_id(store, wid, changes) if has_client else row["client_id"]
    _refuse_taken_name(store, wid, client_id, name, own_id=int(row["id"]))
    values.update(name=name, name_key=rules.name_key(name), client_id=client_id,
                  at_ts=store.now())
    assignments = ", ".join(f"{column} = ?" for column in values)
    store.db.execute(
        f"UPDATE projects SET {assignments} WHERE id = ?", (*values.values(), row["id"])
    )


def delete_project(store: Store, wid: int, project_id: int, query: Mapping[str, str]) -> int:
    """Answers the bare id (recorded). `unassign` keeps time entries without a project,
    `delete` deletes them. Without the parameter (recorded: 200 and the bare id) the
    configured default applies (`unassign`: see SandboxConfig.default_te_deletion_mode), or 400
    when `require_te_deletion_mode` is set."""
    project_row(store, wid, project_id)
    mode = query.get("teDeletionMode")
    if mode is None and not store.config.require_te_deletion_mode:
        mode = store.config.default_te_deletion_mode
    if mode not in ("unassign", "delete"):
        raise bad_request("teDeletionMode must be one of unassign, delete")  # our wording
    now = store.now()
    if mode == "delete":
        store.db.execute(
            "UPDATE time_entries SET deleted_ts = ?, at_ts = ? WHERE project_id = ? "
            "AND deleted_ts IS NULL", (now, now, project_id),
        )
    else:
        store.db.execute(
            "UPDATE time_entries SET project_id = NULL, task_id = NULL, at_ts = ? "
            "WHERE project_id = ? AND deleted_ts IS NULL", (now, project_id),
        )
    store.db.execute(
        "UPDATE projects SET deleted_ts = ?, at_ts = ? WHERE id = ?", (now, now, project_id)
    )
    project_members.remove_from_project(store, project_id, now)
    return project_id


def bulk_patch_projects(store: Store, wid: int, ids_text: str, body: Any) -> dict[str, Any]:
    """`PATCH projects/{id1},{id2}` with JSON-Patch; each id succeeds or fails on its own."""
    ids = rules.parse_id_list(ids_text)
    operations = rules.require_patch_ops(body)
    changes = _changes_from_patch(operations)
    store.workspace_row(wid)
    return rules.bulk_outcome(ids, lambda project_id: _patch_one(store, wid, project_id, changes))


def _changes_from_patch(operations: list[dict[str, Any]]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for operation in operations:
        field = operation["path"].lstrip("/")
        if field not in BULK_PATCH_PATHS:
            raise bad_request(f"Invalid path: {operation['path']}")  # our wording
        if operation["op"] != "remove" and "value" not in operation:
            raise bad_request(f"Missing value for {operation['path']}")  # our wording
        changes[field] = None if operation["op"] == "remove" else operation["value"]
    return changes


def _patch_one(store: Store, wid: int, project_id: int, changes: Mapping[str, Any]) -> str | None:
    """Applies the changes to one project in a savepoint; answers the failure message."""
    store.db.execute("SAVEPOINT bulk_project")
    try:
        row = project_row(store, wid, project_id)
        checks_palette = store.config.bulk_patch_checks_free_palette
        _apply_changes(store, row, changes, check_palette=checks_palette)
    except ApiError as error:
        store.rollback_to("bulk_project")
        store.db.execute("RELEASE bulk_project")
        return error.message or "Invalid value"
    store.db.execute("RELEASE bulk_project")
    return None


# ------------------------------------------------------------------ /me/projects


_INCLUDE_ARCHIVED: Mapping[str, str] = {"true": "1 = 1", "false": "active = 1"}
MY_PROJECTS_PAGE_SIZE = 201  # documented default of /me/projects/paginated


def my_projects(store: Store, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """`GET /me/projects`: the projects of every workspace, active ones unless
    `include_archived=true` (documented; its 400 text too); `since` adds deleted ones."""
    flag = query.get("include_archived", "false").lower()
    if flag not in _INCLUDE_ARCHIVED:
        raise bad_request("Invalid include_archived")  # documented text
    condition, params = _since_condition(query)
    rows = store.db.execute(
        f"SELECT * FROM projects WHERE {_INCLUDE_ARCHIVED[flag]} AND {condition} "
        "ORDER BY wid, name_key, id", params,
    ).fetchall()
    return _listed(store, rows)


def my_projects_paginated(store: Store, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """`GET /me/projects/paginated`: by id, from `start_project_id` (inclusive), `per_page`
    (default 201, documented) at a time, archived ones included. The order and the inclusive
    start are our choice: no source says; by id is what lets a client resume."""
    size = min(_positive_int(query, "per_page", MY_PROJECTS_PAGE_SIZE), 1000)
    start = _positive_int(query, "start_project_id", 1)
    condition, params = _since_condition(query)
    rows = store.db.execute(
        f"SELECT * FROM projects WHERE id >= ? AND {condition} ORDER BY id LIMIT ?",
        (start, *params, size),
    ).fetchall()
    return _listed(store, rows)
