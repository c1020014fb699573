"""An opt-in local cache of a workspace's projects and tasks, refreshed with `since=`
(plan --read-cache).

Projects and tasks are the reads that grow with the workspace (200 a page). With a cache, a
repeated plan asks Toggl only for the objects changed since the last one, deleted ones
included, so a 10,000-project workspace costs one project call instead of 51, and 20,000 tasks
one task call instead of 100.

The refresh point is a server time, never this machine's clock: the newest `at` among the cached
projects, less a margin. Any change made after the last refresh carries a later `at` than every
project seen then, so it is always fetched again; a clock that is wrong here cannot hide one.
Apply never uses the cache: what it changes is judged on a full read.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping

from reconciler.errors import UsageError

CACHE_FORMAT = 1
# Overlap with the previous refresh: `at` has one-second resolution, and whether `since` is
# inclusive is undocumented.
SINCE_MARGIN_SECONDS = 5
# Toggl does not say how far back `since` reaches; past a week, read everything again.
MAX_AGE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class CachedProjects:
    projects: tuple[Mapping[str, Any], ...]  # raw API objects, as Toggl sent them
    since: int  # unix time to ask `since=` from

    @cached_property
    def _by_id(self) -> dict[int, Mapping[str, Any]]:
        # Built once: a plan both merges the changes and asks whether they changed anything.
        return {int(project["id"]): project for project in self.projects}

    def merged(self, changed: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The cached projects with `changed` applied: new or updated replace, deleted go."""
        by_id = dict(self._by_id)
        for project in changed:
            if project.get("server_deleted_at"):
                by_id.pop(int(project["id"]), None)
            else:
                by_id[int(project["id"])] = project
        return list(by_id.values())

    def is_changed_by(self, changed: list[Mapping[str, Any]]) -> bool:
        """Whether `changed` alters anything cached. A `since=` read overlaps the last one by
        SINCE_MARGIN_SECONDS, so it usually brings back the newest rows exactly as they are."""
        return any(project.get("server_deleted_at")
                   or self._by_id.get(int(project["id"])) != project for project in changed)


# What each cached listing is kept under in a workspace's entry: (rows key, saved-at key). The
# projects' keys are the ones format 1 always had, so caches written before tasks still serve.
_LISTING_KEYS: Mapping[str, tuple[str, str]] = {
    "projects": ("projects", "saved_at"),
    "tasks": ("tasks", "tasks_saved_at"),
}


class ProjectCache:
    """One JSON file holding the projects (and tasks) of each workspace planned with it."""

    def __init__(self, path: str | Path, clock: Any = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        # Read once: the file holds every cached row (about 10 MB for 10,000 projects and
        # 20,000 tasks), and decoding it again for each listing cost more than the reads saved.
        self._loaded: dict[str, Any] | None = None
        self._batching = False
        self._unwritten = False

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Saves made inside are written once, at the end (one plan saves several listings)."""
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            if self._unwritten:
                self._write()

    def load(self, workspace_id: int, listing: str = "projects") -> CachedProjects | None:
        """The cached `listing` ("projects" or "tasks") of a workspace; None when absent or
        older than MAX_AGE_SECONDS."""
        rows_key, saved_key = _LISTING_KEYS[listing]
        entry = self._document().get("workspaces", {}).get(str(workspace_id))
        if not isinstance(entry, dict) or rows_key not in entry:
            return None
        saved_at = entry.get(saved_key, 0)
        if not isinstance(saved_at, (int, float)) or self._clock() - saved_at > MAX_AGE_SECONDS:
            return None
        rows = entry.get(rows_key)
        kept = tuple(r for r in rows if isinstance(r, dict) and "id" in r) if isinstance(rows, list) else ()
        return CachedProjects(kept, since=max(0, _newest_at(kept) - SINCE_MARGIN_SECONDS))

    def save(self, workspace_id: int, rows: list[Mapping[str, Any]],
             listing: str = "projects") -> None:
        rows_key, saved_key = _LISTING_KEYS[listing]
        document = self._document()
        workspaces = document.setdefault("workspaces", {})
        entry = workspaces.get(str(workspace_id))
        entry = entry if isinstance(entry, dict) else {}
        entry.update({saved_key: int(self._clock()), rows_key: list(rows)})
        workspaces[str(workspace_id)] = entry
        document["format"] = CACHE_FORMAT
        self._unwritten = True
        if not self._batching:
            self._write()

    def _write(self) -> None:
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        temporary.write_text(json.dumps(self._document()), encoding="utf-8")
        temporary.replace(self.path)  # never a half-written cache
        self._unwritten = False

    def _document(self) -> dict[str, Any]:
        if self._loaded is None:
            self._loaded = _read_document(self.path)
        return self._loaded

    def check_usable(self) -> None:
        """Refuse, before any request, a path that cannot hold the cache."""
        if self.path.exists() and not self.path.is_file():
            raise UsageError(f"--read-cache {self.path}: not a file")
        if not self.path.parent.is_dir():
            raise UsageError(f"--read-cache {self.path}: folder {self.path.parent} does not exist")


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}  # a damaged cache is only a slower plan: read everything again
    if not isinstance(document, dict) or document.get("format") != CACHE_FORMAT:
        return {}
    return document


def _newest_at(projects: tuple[Mapping[str, Any], ...]) -> int:
    newest = 0
    for project in projects:
        stamp = _unix_time(project.get("at"))
        if stamp is not None and stamp > newest:
            newest = stamp
    return newest


def _unix_time(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None
