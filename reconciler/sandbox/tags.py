"""Tags: list, create (answers one object), PUT rename, DELETE (empty answer). No archive."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from reconciler.sandbox import params, rules, settings
from reconciler.sandbox.errors import bad_request
from reconciler.sandbox.identity import USER_ID
from reconciler.sandbox.timefmt import micro_z_style

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

TAG_NOT_FOUND = "Tag not found"  # our wording


def tag_json(row: sqlite3.Row) -> dict[str, Any]:
    """Key set of the newest recording (Dec 2024); `at` with microseconds and `Z`; plus
    `permissions` (null in the Apr 2024 recordings, documented)."""
    return {
        "id": row["id"], "workspace_id": row["wid"], "name": row["name"],
        "at": micro_z_style(row["at_ts"]), "creator_id": USER_ID, "permissions": None,
    }


def duplicate_message(name: str) -> str:
    return f"a tag with the name '{name}' already exists"  # documented


def tag_row(store: Store, wid: int, tag_id: int) -> sqlite3.Row:
    store.workspace_row(wid)
    return rules.require_found(store.live_row("tags", wid, tag_id), TAG_NOT_FOUND)


def list_tags(store: Store, wid: int, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """All tags by name; `page`/`per_page` page them when given (no default page size)."""
    store.workspace_row(wid)
    rows = store.db.execute(
        "SELECT * FROM tags WHERE wid = ? AND deleted_ts IS NULL ORDER BY name_key, id", (wid,)
    ).fetchall()
    if "page" in query or "per_page" in query:
        page, size = _paging(query)
        rows = rows[(page - 1) * size: page * size]
    return [tag_json(row) for row in rows]


def _paging(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        page, size = int(query.get("page", "1")), int(query.get("per_page", "200"))
    except ValueError:
        raise bad_request("page and per_page must be positive integers") from None
    if page < 1 or size < 1:
        raise bad_request("page and per_page must be positive integers")  # our wording
    return page, size


def _refuse_taken_name(store: Store, wid: int, name: str, own_id: int | None = None) -> None:
    taken = store.db.execute(
        f"SELECT 1 FROM tags WHERE wid = ? AND deleted_ts IS NULL AND {store.name_clause()} "
        "AND id IS NOT ?", (wid, store.name_param(name), own_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(duplicate_message(name))


def create_tag(store: Store, wid: int, body: Any) -> dict[str, Any]:
    body = rules.require_object(body)
    store.workspace_row(wid)
    settings.require_admin_when(store, wid, "only_admins_may_create_tags")
    name = rules.require_name(body, "Tag")
    _refuse_taken_name(store, wid, name)
    cursor = store.db.execute(
        "INSERT INTO tags (wid, name, name_key, at_ts) VALUES (?, ?, ?, ?)",
        (wid, name, rules.name_key(name), store.now()),
    )
    return tag_json(tag_row(store, wid, int(cursor.lastrowid)))


def update_tag(store: Store, wid: int, tag_id: int, body: Any) -> dict[str, Any]:
    body = rules.require_object(body)
    tag_row(store, wid, tag_id)
    name = rules.require_name(body, "Tag")
    _refuse_taken_name(store, wid, name, own_id=tag_id)
    store.db.execute(
        "UPDATE tags SET name = ?, name_key = ?, at_ts = ? WHERE id = ?",
        (name, rules.name_key(name), store.now(), tag_id),
    )
    return tag_json(tag_row(store, wid, tag_id))


def delete_tag(store: Store, wid: int, tag_id: int) -> None:
    tag_row(store, wid, tag_id)
    now = store.now()
    store.db.execute("UPDATE tags SET deleted_ts = ?, at_ts = ? WHERE id = ?", (now, now, tag_id))


def ensure_tag_ids(store: Store, wid: int, names: Iterable[str]) -> list[int]:
    """Ids of the named tags; unknown names create the tag (documented for time entries)."""
    ids: list[int] = []
    for name in names:
        row = store.db.execute(
            f"SELECT id FROM tags WHERE wid = ? AND deleted_ts IS NULL AND {store.name_clause()}",
            (wid, store.name_param(name)),
        ).fetchone()
        ids.append(int(row["id"]) if row else int(create_tag(store, wid, {"name": name})["id"]))
    return ids


def names_by_id(store: Store, wid: int) -> dict[int, str]:
    rows = store.db.execute(
        "SELECT id, name FROM tags WHERE wid = ? AND deleted_ts IS NULL", (wid,)
    )
    return {int(row["id"]): row["name"] for row in rows}


def bulk_delete_tags(store: Store, wid: int, body: Any) -> None:
    """`PATCH /workspaces/{wid}/tags` (documented "Bulk delete tags"): "will not be executed
    if there are errors with some records", 400 "Some tag IDs do not belong to workspace."
    (documented text). The body is not documented: we take a JSON array of tag ids, an
    object `{"ids": [...]}`/`{"tag_ids": [...]}`, or JSON-Patch operations naming ids in
    `value` or in the path (`{"op": "remove", "path": "/123"}`), so that a client guessing
    any of these forms is served; the documented answer is a JSON string, so we answer
    `"ok"` (all choices)."""
    ids = rules.require_id_array(_tag_ids_of(body))
    store.workspace_row(wid)
    if any(store.live_row("tags", wid, tag_id) is None for tag_id in ids):
        raise bad_request("Some tag IDs do not belong to workspace.")
    for tag_id in dict.fromkeys(ids):
        delete_tag(store, wid, tag_id)


def _tag_ids_of(body: Any) -> Any:
    if isinstance(body, dict):
        return body.get("ids", body.get("tag_ids"))
    if isinstance(body, list) and body and all(isinstance(item, dict) for item in body):
        return [tag_id for operation in body for tag_id in _ids_in_operation(operation)]
    return body


def _ids_in_operation(operation: Mapping[str, Any]) -> list[Any]:
    value = operation.get("value")
    if isinstance(value, list):
        return value
    if value is not None:
        return [value]
    path = str(operation.get("path", "")).strip("/")
    return [int(path)] if path.isdigit() else [path]


def my_tags(store: Store, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """`GET /me/tags`: the tags of every workspace; `since` adds deleted ones, which then
    carry the documented `deleted_at`."""
    since = params.unix_timestamp(query) if "since" in query else None
    rows = store.rows_of_every_workspace("tags", since)
    return [_with_deleted_at(row) for row in rows]


def _with_deleted_at(row: sqlite3.Row) -> dict[str, Any]:
    shaped = tag_json(row)
    if row["deleted_ts"] is not None:
        shaped["deleted_at"] = micro_z_style(row["deleted_ts"])
    return shaped
