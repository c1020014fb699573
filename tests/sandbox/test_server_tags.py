"""Tags over HTTP: create answers one object, duplicate text, rename, empty DELETE body."""

from __future__ import annotations

import pytest

from reconciler.sandbox import Sandbox


def test_create_answers_one_object_with_microsecond_z_time(api, wid: int) -> None:
    response = api.post(f"/workspaces/{wid}/tags", {"name": "billable"})
    tag = response.json()
    assert response.status_code == 200
    assert set(tag) == {"id", "workspace_id", "name", "at", "creator_id", "permissions"}
    assert tag["at"].endswith("Z") and "." in tag["at"]


@pytest.mark.parametrize("name", ["billable", "BILLABLE"])
def test_duplicate_tag_message(sandbox: Sandbox, api, wid: int, name: str) -> None:
    sandbox.store.add_tag(wid, "billable")
    response = api.post(f"/workspaces/{wid}/tags", {"name": name})
    assert (response.status_code, response.json()) == (
        400, f"a tag with the name '{name}' already exists")


def test_rename_and_delete(sandbox: Sandbox, api, wid: int) -> None:
    tag = sandbox.store.add_tag(wid, "old")
    sandbox.store.add_tag(wid, "taken")
    assert api.put(f"/workspaces/{wid}/tags/{tag}", {"name": "taken"}).status_code == 400
    assert api.put(f"/workspaces/{wid}/tags/{tag}", {"name": "new"}).json()["name"] == "new"
    deleted = api.delete(f"/workspaces/{wid}/tags/{tag}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert [t["name"] for t in api.get(f"/workspaces/{wid}/tags").json()] == ["taken"]
    assert api.delete(f"/workspaces/{wid}/tags/{tag}").status_code == 404


def test_list_pages_only_when_asked(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.store.bulk_add_tags(wid, [f"t{n:03d}" for n in range(250)])
    assert len(api.get(f"/workspaces/{wid}/tags").json()) == 250
    page = api.get(f"/workspaces/{wid}/tags", params={"page": "2", "per_page": "100"}).json()
    assert [t["name"] for t in page][:1] == ["t100"] and len(page) == 100
