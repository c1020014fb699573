"""Clients over HTTP: the active-only default list, filters, uniqueness, archive/restore."""

from __future__ import annotations

import pytest

from reconciler.sandbox import Sandbox


@pytest.fixture
def seeded(sandbox: Sandbox, wid: int) -> dict[str, int]:
    store = sandbox.store
    return {
        "acme": store.add_client(wid, "Acme Corp", notes="first"),
        "globex": store.add_client(wid, "Globex"),
        "old": store.add_client(wid, "Old Acme", archived=True),
    }


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({}, ["Acme Corp", "Globex"]),  # only ACTIVE without `status`
        ({"status": "active"}, ["Acme Corp", "Globex"]),
        ({"status": "archived"}, ["Old Acme"]),
        ({"status": "both"}, ["Acme Corp", "Globex", "Old Acme"]),
        ({"status": "both", "name": "ACME"}, ["Acme Corp", "Old Acme"]),
    ],
)
def test_list_filters(api, wid: int, seeded: dict[str, int], query: dict, names: list) -> None:
    response = api.get(f"/workspaces/{wid}/clients", params=query)
    assert response.status_code == 200
    assert [client["name"] for client in response.json()] == names


def test_list_rejects_an_unknown_status(api, wid: int) -> None:
    assert api.get(f"/workspaces/{wid}/clients", params={"status": "all"}).status_code == 400


def test_client_keys_match_the_recording_and_notes_only_when_set(
    api, wid: int, seeded: dict[str, int]
) -> None:
    base = {"id", "wid", "archived", "name", "at", "creator_id"}
    with_notes = api.get(f"/workspaces/{wid}/clients/{seeded['acme']}").json()
    without = api.get(f"/workspaces/{wid}/clients/{seeded['globex']}").json()
    assert set(with_notes) == base | {"notes"}
    assert set(without) == base
    assert with_notes["at"].endswith("+00:00")


@pytest.mark.parametrize("name", ["Globex", "GLOBEX", "old acme"])
def test_duplicate_names_are_refused_case_insensitively(
    api, wid: int, seeded: dict[str, int], name: str
) -> None:
    response = api.post(f"/workspaces/{wid}/clients", {"name": name})
    assert (response.status_code, response.json()) == (400, "Name has already been taken")


def test_case_sensitive_names_can_be_configured(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.store.add_client(wid, "Globex")
    sandbox.configure(case_insensitive_names=False, duplicate_name_message="taken!")
    assert api.post(f"/workspaces/{wid}/clients", {"name": "GLOBEX"}).status_code == 200
    assert api.post(f"/workspaces/{wid}/clients", {"name": "Globex"}).json() == "taken!"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": 5}, ["x"]])
def test_create_needs_a_name(api, wid: int, body: object) -> None:
    assert api.post(f"/workspaces/{wid}/clients", body).status_code == 400


def test_put_needs_name_and_cannot_archive(api, wid: int, seeded: dict[str, int]) -> None:
    path = f"/workspaces/{wid}/clients/{seeded['globex']}"
    assert api.put(path, {"notes": "n"}).status_code == 400
    renamed = api.put(path, {"name": "Globex Inc", "archived": True})
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["archived"]) == ("Globex Inc", False)


def test_delete_keeps_projects_without_client(
    sandbox: Sandbox, api, wid: int, seeded: dict[str, int]
) -> None:
    project = sandbox.store.add_project(wid, "Site", client_id=seeded["acme"])
    response = api.delete(f"/workspaces/{wid}/clients/{seeded['acme']}")
    assert (response.status_code, response.content) == (200, b"")
    assert api.get(f"/workspaces/{wid}/clients/{seeded['acme']}").status_code == 404
    assert api.get(f"/workspaces/{wid}/projects/{project}").json()["client_id"] is None


def test_archive_takes_the_projects_along_and_restore_brings_chosen_ones(
    sandbox: Sandbox, api, wid: int, seeded: dict[str, int]
) -> None:
    first = sandbox.store.add_project(wid, "One", client_id=seeded["acme"])
    second = sandbox.store.add_project(wid, "Two", client_id=seeded["acme"])
    archived = api.post(f"/workspaces/{wid}/clients/{seeded['acme']}/archive")
    assert (archived.status_code, sorted(archived.json())) == (200, sorted([first, second]))
    assert api.get(f"/workspaces/{wid}/projects/{first}").json()["active"] is False
    restored = api.post(f"/workspaces/{wid}/clients/{seeded['acme']}/restore",
                        {"projects": [second]})
    assert restored.json()["archived"] is False
    states = {p["id"]: p["active"] for p in sandbox.store.projects(wid)}
    assert (states[first], states[second]) == (False, True)


def test_restore_all_projects(sandbox: Sandbox, api, wid: int, seeded: dict[str, int]) -> None:
    project = sandbox.store.add_project(wid, "One", client_id=seeded["globex"])
    api.post(f"/workspaces/{wid}/clients/{seeded['globex']}/archive")
    api.post(f"/workspaces/{wid}/clients/{seeded['globex']}/restore",
             {"restore_all_projects": True})
    assert api.get(f"/workspaces/{wid}/projects/{project}").json()["active"] is True


def test_archive_needs_a_paid_plan(sandbox: Sandbox, api, free_wid: int) -> None:
    client = sandbox.store.add_client(free_wid, "Acme")
    response = api.post(f"/workspaces/{free_wid}/clients/{client}/archive")
    assert response.status_code == 402
    assert "X-Toggl-Quota-Remaining" not in response.headers
    assert sandbox.store.clients(free_wid)[0]["archived"] is False


def test_bulk_archive_and_bulk_delete(sandbox: Sandbox, api, wid: int, seeded: dict) -> None:
    project = sandbox.store.add_project(wid, "One", client_id=seeded["globex"])
    archived = api.post(f"/workspaces/{wid}/clients/archive", [seeded["acme"], seeded["globex"]])
    assert (archived.status_code, archived.json()) == (200, [project])
    deleted = api.post(f"/workspaces/{wid}/clients/delete", [seeded["acme"], seeded["old"]])
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert [c["name"] for c in sandbox.store.clients(wid)] == ["Globex"]


def test_bulk_delete_is_all_or_nothing(sandbox: Sandbox, api, wid: int, seeded: dict) -> None:
    response = api.post(f"/workspaces/{wid}/clients/delete", [seeded["acme"], 1])
    assert response.status_code == 404
    assert len(sandbox.store.clients(wid)) == 3


@pytest.mark.parametrize("body", [{"ids": [1]}, [True], ["1"], None])
def test_bulk_endpoints_need_an_array_of_ids(api, wid: int, body: object) -> None:
    assert api.post(f"/workspaces/{wid}/clients/archive", body).status_code == 400
