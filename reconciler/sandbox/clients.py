"""Clients: list (active only by default!), get, create, PUT, delete, archive, restore, bulk."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Mapping

from reconciler.sandbox import params, rules
from reconciler.sandbox.errors import bad_request, paid_plan_required
from reconciler.sandbox.identity import USER_ID
from reconciler.sandbox.timefmt import seconds_style

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

CLIENT_NOT_FOUND = "Client not found"  # our wording
_STATUS_FILTERS: Mapping[str, str] = {
    "active": "archived = 0",
    "archived": "archived = 1",
    "both": "1 = 1",
}


def client_json(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """Recorded key set: id, wid, archived, name, at, creator_id; `notes` only when set."""
    shaped: dict[str, Any] = {
        "id": row["id"], "wid": row["wid"], "archived": bool(row["archived"]),
        "name": row["name"], "at": seconds_style(row["at_ts"]), "creator_id": USER_ID,
    }
    if row["notes"] is not None:
        shaped["notes"] = row["notes"]
    if row["external_reference"] is not None:
        shaped["external_reference"] = row["external_reference"]
    return shaped


def client_row(store: Store, wid: int, client_id: int) -> sqlite3.Row:
    store.workspace_row(wid)
    return rules.require_found(store.live_row("clients", wid, client_id), CLIENT_NOT_FOUND)


def list_clients(store: Store, wid: int, query: Mapping[str, str]) -> list[dict[str, Any]]:
    store.workspace_row(wid)
    status = query.get("status", "active")
    if status not in _STATUS_FILTERS:
        raise bad_request("status must be one of active, archived, both")  # our wording
    rows = store.db.execute(
        f"SELECT * FROM clients WHERE wid = ? AND deleted_ts IS NULL AND "
        f"{_STATUS_FILTERS[status]} ORDER BY name_key, id", (wid,),
    ).fetchall()
    contains = query.get("name", "").casefold()
    return [client_json(store, row) for row in rows if contains in row["name_key"]]


def get_client(store: Store, wid: int, client_id: int) -> dict[str, Any]:
    return client_json(store, client_row(store, wid, client_id))


def _refuse_taken_name(store: Store, wid: int, name: str, own_id: int | None = None) -> None:
    taken = store.db.execute(
        f"SELECT 1 FROM clients WHERE wid = ? AND deleted_ts IS NULL AND {store.name_clause()} "
        "AND id IS NOT ?", (wid, store.name_param(name), own_id),
    ).fetchone()
    if taken is not None:
        raise bad_request(store.config.duplicate_name_message)


def create_client(store: Store, wid: int, body: Any) -> dict[str, Any]:
    body = rules.require_object(body)
    store.workspace_row(wid)
    name = rules.require_name(body, "Client")
    notes = rules.optional_text(body, "notes")
    reference = rules.optional_text(body, "external_reference")
    _refuse_taken_name(store, wid, name)
    cursor = store.db.execute(
        "INSERT INTO clients (wid, name, name_key, notes, external_reference, at_ts) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (wid, name, rules.name_key(name), notes, reference, store.now()),
    )
    return get_client(store, wid, int(cursor.lastrowid))


def update_client(store: Store, wid: int, client_id: int, body: Any) -> dict[str, Any]:
    """PUT needs `name` every time (documented); `archived` in the body is ignored because
    PUT cannot (un)archive a client (documented): archive/restore endpoints do that."""
    body = rules.require_object(body)
    row = client_row(store, wid, client_id)
    name = rules.require_name(body, "Client")
    _refuse_taken_name(store, wid, name, own_id=client_id)
    notes = rules.optional_text(body, "notes") if "notes" in body else row["notes"]
    store.db.execute(
        "UPDATE clients SET name = ?, name_key = ?, notes = ?, at_ts = ? WHERE id = ?",
        (name, rules.name_key(name), notes, store.now(), client_id),
    )
    return get_client(store, wid, client_id)


def delete_client(store: Store, wid: int, client_id: int) -> None:
    """Deletes the client; its projects stay, with client_id null (documented)."""
    client_row(store, wid, client_id)
    now = store.now()
    store.db.execute("UPDATE clients SET deleted_ts = ?, at_ts = ? WHERE id = ?",
                     (now, now, client_id))
    store.db.execute(
        "UPDATE projects SET client_id = NULL, at_ts = ? WHERE client_id = ?", (now, client_id)
    )


def archive_client(store: Store, wid: int, client_id: int) -> list[int]:
    """Archives the client AND its active projects; answers the ids of those projects."""
    client_row(store, wid, client_id)
    if store.tier_of(wid) == "free" and store.config.free_client_archive_refused:
        raise paid_plan_required(rules.PAID_FEATURE_MESSAGE)
    now = store.now()
    project_ids = [
        int(r["id"]) for r in store.db.execute(
            "SELECT id FROM projects WHERE client_id = ? AND active = 1 AND deleted_ts IS NULL "
            "ORDER BY id", (client_id,),
        )
    ]
    store.db.execute("UPDATE clients SET archived = 1, at_ts = ? WHERE id = ?", (now, client_id))
    store.db.executemany(
        "UPDATE projects SET active = 0, at_ts = ? WHERE id = ?",
        [(now, project_id) for project_id in project_ids],
    )
    return project_ids


def restore_client(store: Store, wid: int, client_id: int, body: Any) -> dict[str, Any]:
    """Restores the client and the projects named (`projects`) or all (`restore_all_projects`)."""
    body = rules.require_object(body if body is not None else {})
    client_row(store, wid, client_id)
    now = store.now()
    store.db.execute("UPDATE clients SET archived = 0, at_ts = ? WHERE id = ?", (now, client_id))
    for project_id in _projects_to_restore(store, client_id, body):
        store.db.execute(
            "UPDATE projects SET active = 1, at_ts = ? WHERE id = ?", (now, project_id)
        )
    return get_client(store, wid, client_id)


def _projects_to_restore(store: Store, client_id: int, body: Mapping[str, Any]) -> list[int]:
    owned = {
        int(r["id"]) for r in store.db.execute(
            "SELECT id FROM projects WHERE client_id = ? AND deleted_ts IS NULL", (client_id,)
        )
    }
    if rules.optional_bool(body, "restore_all_projects"):
        return sorted(owned)
    wanted = body.get("projects") or []
    wanted = rules.require_id_array(wanted)
    strangers = [project_id for project_id in wanted if project_id not in owned]
    if strangers:
        raise bad_request(f"Projects {strangers} do not belong to this client")  # our wording
    return wanted


def bulk_archive(store: Store, wid: int, body: Any) -> list[int]:
    """`POST clients/archive` with an array of client ids; answers all archived project ids
    (the answer's shape is undocumented: we mirror the single archive)."""
    archived: list[int] = []
    for client_id in rules.require_id_array(body):
        archived.extend(archive_client(store, wid, client_id))
    return archived


def bulk_delete(store: Store, wid: int, body: Any) -> None:
    """`POST clients/delete` with an array of ids; empty answer (undocumented: a choice)."""
    ids = rules.require_id_array(body)
    for client_id in ids:
        client_row(store, wid, client_id)  # all or nothing: 404 before deleting any
    for client_id in ids:
        delete_client(store, wid, client_id)



def clients_by_ids(store: Store, wid: int, body: Any) -> list[dict[str, Any]]:
    """`POST /workspaces/{wid}/clients/data` with a JSON array of ids (documented): those
    clients of the workspace, archived ones too, in the order asked; ids that are not the
    workspace's are left out (our choice: the reference documents only a bare 400)."""
    ids = rules.require_id_array(body)
    store.workspace_row(wid)
    rows = [store.live_row("clients", wid, client_id) for client_id in dict.fromkeys(ids)]
    return [client_json(store, row) for row in rows if row is not None]


def my_clients(store: Store, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """`GET /me/clients`: the clients of every workspace, archived ones too (documented
    without a status filter); `since` adds deleted ones."""
    since = params.unix_timestamp(query) if "since" in query else None
    rows = store.rows_of_every_workspace("clients", since)
    return [client_json(store, row) for row in rows]
