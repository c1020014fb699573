from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import UsageError
from reconciler.read_cache import MAX_AGE_SECONDS, SINCE_MARGIN_SECONDS, CachedProjects, ProjectCache


def project(pid: int, at: str, **extra: object) -> dict:
    return {"id": pid, "name": f"P{pid}", "at": at, **extra}


def test_since_is_the_newest_server_at_less_the_margin(tmp_path: Path) -> None:
    cache = ProjectCache(tmp_path / "c.json", clock=lambda: 1_000_000_000)
    cache.save(7, [project(1, "2024-04-09T04:23:27+00:00"), project(2, "2024-12-16T01:18:20.433038Z")])
    loaded = cache.load(7)
    assert loaded is not None
    assert loaded.since == 1734311900 - SINCE_MARGIN_SECONDS
    assert cache.load(8) is None


def test_merge_replaces_adds_and_drops_deleted() -> None:
    cached = CachedProjects((project(1, "a"), project(2, "a"), project(3, "a")), since=0)
    merged = cached.merged([project(2, "b", name="renamed"), project(3, "b", server_deleted_at="x"),
                            project(4, "b")])
    assert {p["id"]: p["name"] for p in merged} == {1: "P1", 2: "renamed", 4: "P4"}


def test_old_or_damaged_caches_mean_a_full_read(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    now = [1_000_000_000.0]
    cache = ProjectCache(path, clock=lambda: now[0])
    cache.save(7, [project(1, "2024-04-09T04:23:27+00:00")])
    now[0] += MAX_AGE_SECONDS + 1
    assert cache.load(7) is None
    path.write_text("{not json")
    assert cache.load(7) is None
    path.write_text(json.dumps({"format": 99, "workspaces": {}}))
    assert cache.load(7) is None


def test_unusable_paths_are_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a file"):
        ProjectCache(tmp_path).check_usable()
    with pytest.raises(UsageError, match="does not exist"):
        ProjectCache(tmp_path / "missing" / "c.json").check_usable()


def test_tasks_are_kept_beside_the_projects_each_with_its_own_age(tmp_path: Path) -> None:
    now = [1_000_000_000.0]
    cache = ProjectCache(tmp_path / "c.json", clock=lambda: now[0])
    cache.save(7, [project(1, "2024-04-09T04:23:27+00:00")])
    assert cache.load(7, "tasks") is None  # projects cached, tasks never read with the cache
    now[0] += MAX_AGE_SECONDS - 10
    cache.save(7, [project(9, "2024-12-16T01:18:20Z")], "tasks")
    now[0] += 20  # the projects are now too old; the tasks are not
    assert cache.load(7) is None
    tasks = cache.load(7, "tasks")
    assert tasks is not None and [t["id"] for t in tasks.projects] == [9]
    assert tasks.since == 1734311900 - SINCE_MARGIN_SECONDS


def test_a_cache_written_before_tasks_still_serves_its_projects(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"format": 1, "workspaces": {"7": {
        "saved_at": 1_000_000_000, "projects": [project(1, "2024-04-09T04:23:27+00:00")]}}}))
    cache = ProjectCache(path, clock=lambda: 1_000_000_000)
    loaded = cache.load(7)
    assert loaded is not None and len(loaded.projects) == 1
    assert cache.load(7, "tasks") is None


@pytest.mark.parametrize("entry", [{"tasks": "x", "tasks_saved_at": 1_000_000_000},
                                   {"tasks": [1, {"no": "id"}], "tasks_saved_at": 1_000_000_000},
                                   {"tasks": [], "tasks_saved_at": "soon"}])
def test_a_damaged_task_entry_is_only_a_full_read(tmp_path: Path, entry: dict) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"format": 1, "workspaces": {"7": entry}}))
    loaded = ProjectCache(path, clock=lambda: 1_000_000_000).load(7, "tasks")
    assert loaded is None or loaded.projects == ()


def test_saves_inside_a_batch_are_written_once_at_its_end(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    cache = ProjectCache(path, clock=lambda: 1_000_000_000)
    with cache.batched():
        cache.save(7, [project(1, "2024-04-09T04:23:27+00:00")])
        cache.save(7, [project(9, "2024-12-16T01:18:20Z")], "tasks")
        assert not path.exists()  # nothing written yet: the file is rewritten once
    reread = ProjectCache(path, clock=lambda: 1_000_000_000)
    assert [row["id"] for row in reread.load(7).projects] == [1]
    assert [row["id"] for row in reread.load(7, "tasks").projects] == [9]


def test_a_batch_that_fails_still_writes_what_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    cache = ProjectCache(path, clock=lambda: 1_000_000_000)
    with pytest.raises(RuntimeError), cache.batched():
        cache.save(7, [project(1, "2024-04-09T04:23:27+00:00")])
        raise RuntimeError("the tasks read failed")
    assert ProjectCache(path, clock=lambda: 1_000_000_000).load(7) is not None


def test_rows_brought_back_as_they_were_change_nothing() -> None:
    cached = CachedProjects((project(1, "2024-04-09T04:23:27Z"), project(2, "2024-12-16T01:18:20Z")),
                            since=0)
    assert not cached.is_changed_by([])
    assert not cached.is_changed_by([project(2, "2024-12-16T01:18:20Z")])  # the margin's overlap
    assert cached.is_changed_by([project(2, "2024-12-16T01:18:21Z")])
    assert cached.is_changed_by([project(3, "2024-12-16T01:18:20Z")])
    assert cached.is_changed_by([project(2, "2024-12-16T01:18:20Z",
                                         server_deleted_at="2024-12-16T01:18:20Z")])
