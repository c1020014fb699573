"""The store without HTTP: setup helpers, bulk loading speed, persistence, time formats."""

from __future__ import annotations

import time

import pytest

from reconciler.sandbox import SandboxConfig, Store
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.timefmt import micro_z_style, parse_timestamp, seconds_style


@pytest.fixture
def store() -> Store:
    return Store(SandboxConfig(seed_demo=False))


def test_ensure_workspace_is_idempotent(store: Store) -> None:
    first = store.ensure_workspace("Acme", tier="free")
    assert store.ensure_workspace("Acme") == first
    assert store.tier_of(first) == "free"
    assert store.ensure_workspace("Other") != first
    assert store.tier_of(store.ensure_workspace("Other")) == "premium"


def test_helpers_answer_api_shaped_dicts_archived_included(store: Store) -> None:
    wid = store.ensure_workspace("Acme")
    client = store.add_client(wid, "Old", archived=True, notes="n")
    store.add_project(wid, "P", client_id=client, active=False, color="#d94182",
                      actual_seconds=90, billable=True)
    store.add_tag(wid, "t")
    (shown_client,) = store.clients(wid)
    (shown_project,) = store.projects(wid)
    assert (shown_client["archived"], shown_client["notes"]) == (True, "n")
    assert (shown_project["active"], shown_project["client_id"], shown_project["color"]) == (
        False, client, "#d94182")
    assert (shown_project["actual_seconds"], shown_project["billable"]) == (90, True)
    assert store.counts(wid) == {"clients": 1, "archived_clients": 1, "projects": 1,
                                 "archived_projects": 1, "tags": 1, "time_entries": 0,
                                 "tasks": 0, "done_tasks": 0, "project_users": 0,
                                 "project_groups": 0}


@pytest.mark.parametrize("kind", ["clients", "tags"])
def test_bulk_helpers_refuse_duplicates(store: Store, kind: str) -> None:
    wid = store.ensure_workspace("Acme")
    bulk = store.bulk_add_clients if kind == "clients" else store.bulk_add_tags
    with pytest.raises(ApiError):
        bulk(wid, ["a", "A"])
    assert store.counts(wid)[kind] == 0


def test_bulk_loading_a_large_workspace_is_fast(store: Store) -> None:
    wid = store.ensure_workspace("Big")
    started = time.perf_counter()
    client_ids = store.bulk_add_clients(wid, [f"Client {n}" for n in range(1000)])
    store.bulk_add_tags(wid, [f"tag-{n}" for n in range(1000)])
    project_ids = store.bulk_add_projects(wid, [
        {"name": f"Project {n}", "client_id": client_ids[n % 1000], "active": n % 10 != 0}
        for n in range(10_000)
    ])
    elapsed = time.perf_counter() - started
    counts = store.counts(wid)
    assert (counts["clients"], counts["tags"], counts["projects"]) == (1000, 1000, 10_000)
    assert counts["archived_projects"] == 1000
    assert len(set(project_ids)) == 10_000
    assert {p["id"] for p in store.projects(wid)} == set(project_ids)
    assert elapsed < 3.0, f"bulk load took {elapsed:.2f} s"


def test_bulk_ids_continue_the_sequence(store: Store) -> None:
    wid = store.ensure_workspace("Acme")
    single = store.add_tag(wid, "first")
    bulk = store.bulk_add_tags(wid, ["second", "third"])
    after = store.add_tag(wid, "fourth")
    assert bulk == [single + 1, single + 2] and after == single + 3


def test_transaction_rolls_back_on_error(store: Store) -> None:
    wid = store.ensure_workspace("Acme")
    with pytest.raises(RuntimeError), store.transaction():
        store.add_tag(wid, "kept?")
        raise RuntimeError("boom")
    assert store.tags(wid) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-12-16T03:18:20.257412+01:00", 1734315500.257412),
        ("2024-12-16T02:18:20Z", 1734315500.0),
        ("2024-12-16T02:18:20+00:00", 1734315500.0),
        ("2024-12-16", 1734307200.0),
        ("2024-12-16T02:18:20.5-0130", 1734320900.5),
    ],
)
def test_parse_timestamp(text: str, expected: float) -> None:
    assert parse_timestamp(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-12-16T25:00:00Z", ""])
def test_parse_timestamp_refuses_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_timestamp_styles_match_the_recordings() -> None:
    assert seconds_style(1734315500.25) == "2024-12-16T02:18:20+00:00"
    assert micro_z_style(1734315500.62207) == "2024-12-16T02:18:20.62207Z"
    assert micro_z_style(1734315500.0) == "2024-12-16T02:18:20Z"
