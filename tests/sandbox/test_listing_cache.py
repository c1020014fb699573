"""The cached project listing: byte-identical to an uncached read after every kind of write,
never stale after a rollback or another connection's commit, and linear (each project is
encoded once per change, not once per page)."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from reconciler.sandbox import Sandbox, SandboxConfig, Store
from reconciler.sandbox import projects as project_rules
from reconciler.sandbox.encoding import encode_json

Write = Callable[[Any, int, dict[str, int]], Any]


@pytest.fixture
def seeded(sandbox: Sandbox, wid: int) -> dict[str, int]:
    store = sandbox.store
    client = store.add_client(wid, "Client")
    ids = {"client": client,
           "billed": store.add_project(wid, "Billed", client_id=client, actual_seconds=60),
           "loose": store.add_project(wid, "Loose"),
           "old": store.add_project(wid, "Old", client_id=client, active=False)}
    ids["entry"] = store.add_time_entry(wid, ids["billed"], 3600)
    return ids


def _entry(wid: int, project_id: int) -> dict[str, Any]:
    return {"created_with": "test", "workspace_id": wid, "project_id": project_id,
            "start": "2024-01-01T00:00:00Z", "duration": 90}


WRITES: list[tuple[str, Write]] = [
    ("create a project", lambda api, w, ids: api.post(
        f"/workspaces/{w}/projects", {"name": "Aardvark", "active": True})),
    ("rename a project", lambda api, w, ids: api.put(
        f"/workspaces/{w}/projects/{ids['loose']}", {"name": "Zebra"})),
    ("bulk-patch projects", lambda api, w, ids: api.patch(
        f"/workspaces/{w}/projects/{ids['loose']},{ids['old']}",
        [{"op": "replace", "path": "/color", "value": "#d94182"}])),
    ("delete a project", lambda api, w, ids: api.delete(
        f"/workspaces/{w}/projects/{ids['loose']}", params={"teDeletionMode": "delete"})),
    ("archive a client", lambda api, w, ids: api.post(
        f"/workspaces/{w}/clients/{ids['client']}/archive")),
    ("restore a client", lambda api, w, ids: api.post(
        f"/workspaces/{w}/clients/{ids['client']}/restore", {"restore_all_projects": True})),
    ("delete a client", lambda api, w, ids: api.delete(
        f"/workspaces/{w}/clients/{ids['client']}")),
    ("track time", lambda api, w, ids: api.post(
        f"/workspaces/{w}/time_entries", _entry(w, ids["loose"]))),
    ("delete a time entry", lambda api, w, ids: api.delete(
        f"/workspaces/{w}/time_entries/{ids['entry']}")),
]


@pytest.mark.parametrize("write", [w for _, w in WRITES], ids=[name for name, _ in WRITES])
def test_listing_after_a_write_matches_an_uncached_read(
    sandbox: Sandbox, api, wid: int, seeded: dict[str, int], write: Write
) -> None:
    before = api.get(f"/workspaces/{wid}/projects").content  # warms the cache
    assert write(api, wid, seeded).status_code == 200
    after = api.get(f"/workspaces/{wid}/projects")
    assert after.content == encode_json(sandbox.store.projects(wid))
    assert after.content != before
    assert (after.headers["X-Page"], after.headers["X-Page-Size"]) == ("1", "151")


@pytest.mark.parametrize("active", ["both", "true", "false"])
def test_pages_put_together_are_the_filtered_listing(
    sandbox: Sandbox, api, wid: int, active: str
) -> None:
    sandbox.store.bulk_add_projects(
        wid, [{"name": f"P{n:02d}", "active": n % 3 != 0} for n in range(40)])
    pages = [api.get(f"/workspaces/{wid}/projects",
                     params={"active": active, "per_page": "7", "page": str(n)}).json()
             for n in range(1, 8)]
    wanted = {"both": (True, False), "true": (True,), "false": (False,)}[active]
    expected = [p for p in sandbox.store.projects(wid) if p["active"] in wanted]
    assert [p for page in pages for p in page] == expected
    assert pages[-1] == []


def _listed_names(store: Store, wid: int) -> list[str]:
    with store.transaction():
        body, _ = project_rules.list_projects(store, wid, {})
    return [project["name"] for project in json.loads(body)]


def test_a_listing_made_inside_a_rolled_back_transaction_is_not_served() -> None:
    store = Store(SandboxConfig(seed_demo=False))
    wid = store.ensure_workspace("Acme")
    store.add_project(wid, "Kept", active=True)
    with pytest.raises(RuntimeError), store.transaction():
        store.add_project(wid, "Gone", active=True)
        assert _listed_names(store, wid) == ["Gone", "Kept"]
        raise RuntimeError("roll back")
    assert _listed_names(store, wid) == ["Kept"]


def test_a_commit_by_another_connection_is_seen(tmp_path) -> None:
    config = SandboxConfig(db=str(tmp_path / "shared.db"), seed_demo=False)
    reader, writer = Store(config), Store(config)
    wid = reader.ensure_workspace("Acme")
    assert _listed_names(reader, wid) == []
    writer.add_project(wid, "From elsewhere", active=True)
    assert _listed_names(reader, wid) == ["From elsewhere"]
    reader.close()
    writer.close()


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Ids of the projects the listing encoded, in order."""
    seen: list[int] = []
    original = project_rules.project_json

    def counting(row: Any, actual_seconds: int | None, **kwargs: Any) -> dict[str, Any]:
        seen.append(int(row["id"]))
        return original(row, actual_seconds, **kwargs)

    monkeypatch.setattr(project_rules, "project_json", counting)
    return seen


def _full_listing(api, wid: int) -> int:
    total = 0
    for page in range(1, 100):
        got = len(api.get(f"/workspaces/{wid}/projects",
                          params={"page": str(page), "per_page": "200"}).json())
        total += got
        if got < 200:
            return total
    raise AssertionError("the listing never ended")


def test_each_project_is_encoded_once_per_change(
    sandbox: Sandbox, api, wid: int, encodes: list[int]
) -> None:
    ids = sandbox.store.bulk_add_projects(wid, [{"name": f"P{n:04d}"} for n in range(1000)])
    assert _full_listing(api, wid) == 1000 and sorted(encodes) == ids
    encodes.clear()
    api.post(f"/workspaces/{wid}/tags", {"name": "unrelated write"})
    assert _full_listing(api, wid) == 1000 and encodes == []
    api.put(f"/workspaces/{wid}/projects/{ids[500]}", {"name": "P0500 renamed"})
    encodes.clear()  # the PUT's own answer
    assert _full_listing(api, wid) == 1000 and encodes == [ids[500]]
