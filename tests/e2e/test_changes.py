"""Adopt, update, archive, restore, move, rename, and the unmanaged policies, through the CLI."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness


def converge(harness: Harness, spec: str) -> str:
    applied = harness.cli("apply", spec, "--auto-approve")
    assert applied.code == 0, applied.output
    again = harness.cli("plan", spec, "--detailed-exitcode")
    assert again.code == 0, again.output
    return applied.stdout


def projects_by_name(harness: Harness) -> dict[str, dict]:
    return {p["name"]: p for p in harness.store.projects(harness.wid)}


def test_existing_objects_are_adopted_not_duplicated(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "globex")
    harness.store.add_project(harness.wid, "Website", client_id=cid)
    harness.store.add_tag(harness.wid, "Urgent")
    spec = harness.spec("""
        clients: [{name: globex}]
        projects: [{name: Website, client: globex}]
        tags: [Urgent]
    """)
    result = harness.cli("plan", spec, "--detailed-exitcode")
    assert result.code == 0, result.output
    assert harness.writes() == []


def test_update_changes_only_the_fields_written(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "Globex")
    harness.store.add_project(harness.wid, "Website", client_id=cid, color="#0b83d9",
                              is_private=True)
    spec = harness.spec("""
        clients: [{name: Globex, notes: Key account}]
        projects: [{name: Website, client: Globex, color: "#9e5bd9"}]
    """)
    converge(harness, spec)
    website = projects_by_name(harness)["Website"]
    assert website["color"] == "#9e5bd9"
    assert website["is_private"] is True  # not in the spec: left as it is
    assert harness.store.clients(harness.wid)[0]["notes"] == "Key account"


def test_archive_and_restore_a_project(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "Website")
    converge(harness, harness.spec("projects: [{name: Website, active: false}]\n"))
    assert projects_by_name(harness)["Website"]["active"] is False
    converge(harness, harness.spec("projects: [{name: Website}]\n"))
    assert projects_by_name(harness)["Website"]["active"] is True
    assert harness.names("project") == ["Website"]


def test_archived_client_is_restored_with_its_listed_projects(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "Globex", archived=True)
    harness.store.add_project(harness.wid, "Website", client_id=cid, active=False)
    harness.store.add_project(harness.wid, "Old", client_id=cid, active=False)
    converge(harness, harness.spec("""
        clients: [{name: Globex}]
        projects: [{name: Website, client: Globex}]
    """))
    assert harness.store.clients(harness.wid)[0]["archived"] is False
    projects = projects_by_name(harness)
    assert projects["Website"]["active"] is True
    assert projects["Old"]["active"] is False  # not in the spec: not touched


def test_archiving_a_client_archives_its_projects_in_one_call(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "Globex")
    harness.store.add_project(harness.wid, "Website", client_id=cid)
    harness.sandbox.reset_requests()
    converge(harness, harness.spec("clients: [{name: Globex, archived: true}]\n"))
    assert harness.store.clients(harness.wid)[0]["archived"] is True
    assert projects_by_name(harness)["Website"]["active"] is False
    assert len([w for w in harness.writes() if "archive" in w.path]) == 1


def test_a_project_is_moved_to_another_client_not_recreated(harness: Harness) -> None:
    old = harness.store.add_client(harness.wid, "Globex")
    harness.store.add_client(harness.wid, "Initech")
    pid = harness.store.add_project(harness.wid, "Website", client_id=old)
    converge(harness, harness.spec("""
        clients: [{name: Globex}, {name: Initech}]
        projects: [{name: Website, client: Initech, move_from: Globex/Website}]
    """))
    website = projects_by_name(harness)["Website"]
    assert website["id"] == pid
    clients = {c["id"]: c["name"] for c in harness.store.clients(harness.wid)}
    assert clients[website["client_id"]] == "Initech"


@pytest.mark.parametrize(
    ("setup", "spec", "kind", "expected"),
    [
        ("client", "clients: [{name: Globex Inc, previous_names: [Globex]}]\n", "client", ["Globex Inc"]),
        ("project", "projects: [{name: Site, previous_names: [Website]}]\n", "project", ["Site"]),
        ("tag", "tags: [{name: needs-review, previous_names: [review]}]\n", "tag", ["needs-review"]),
    ],
)
def test_renames_keep_the_object(harness: Harness, setup: str, spec: str, kind: str,
                                 expected: list[str]) -> None:
    {"client": lambda: harness.store.add_client(harness.wid, "Globex"),
     "project": lambda: harness.store.add_project(harness.wid, "Website"),
     "tag": lambda: harness.store.add_tag(harness.wid, "review")}[setup]()
    before_ids = {kind: _ids(harness, kind)}
    converge(harness, harness.spec(spec))
    assert harness.names(kind) == expected
    assert _ids(harness, kind) == before_ids[kind]


def _ids(harness: Harness, kind: str) -> list[int]:
    rows = {"client": harness.store.clients, "project": harness.store.projects,
            "tag": harness.store.tags}[kind](harness.wid)
    return sorted(row["id"] for row in rows)


def _seed_unmanaged(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "Stray Client")
    harness.store.add_project(harness.wid, "Stray Project")
    harness.store.add_project(harness.wid, "Client Project", client_id=cid)
    harness.store.add_tag(harness.wid, "stray-tag")


def test_unmanaged_ignore_touches_nothing_and_offers_an_adopt_snippet(harness: Harness) -> None:
    _seed_unmanaged(harness)
    spec = harness.spec("tags: [kept]\n")
    plan = harness.cli("plan", spec)
    assert "Stray Project" in plan.stdout and "stray-tag" in plan.stdout
    converge(harness, spec)
    assert harness.names("tag") == ["kept", "stray-tag"]
    assert harness.names("project") == ["Client Project", "Stray Project"]
    assert [w.method for w in harness.writes()] == ["POST"]


def test_unmanaged_archive_archives_clients_and_projects(harness: Harness) -> None:
    _seed_unmanaged(harness)
    converge(harness, harness.spec("""
        unmanaged: {clients: archive, projects: archive, tags: ignore}
        tags: [kept]
    """))
    assert all(p["active"] is False for p in harness.store.projects(harness.wid))
    assert all(c["archived"] is True for c in harness.store.clients(harness.wid))
    assert harness.names("tag") == ["kept", "stray-tag"]


def test_unmanaged_delete_deletes_and_keeps_time_entries(harness: Harness) -> None:
    _seed_unmanaged(harness)
    converge(harness, harness.spec("""
        unmanaged: {clients: delete, projects: delete, tags: delete}
        tags: [kept]
    """))
    assert harness.names("client") == []
    assert harness.names("project") == []
    assert harness.names("tag") == ["kept"]
    deletes = [w for w in harness.writes() if w.method == "DELETE" and "/projects/" in w.path]
    assert deletes and all(w.query.get("teDeletionMode") == "unassign" for w in deletes)
