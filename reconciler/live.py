"""Reading a live workspace: the few list calls a plan is allowed to spend.

A plan reads clients (one call, every status), tags (one call) and projects (200 a page), and,
only when the spec names its workspace instead of giving its id, `/me/workspaces` once. It never
reads an object by itself: on Toggl's free plan (30 requests an hour) that would not even finish.
"""

from __future__ import annotations

from typing import Any, Mapping

from reconciler.errors import UsageError
from reconciler.model import (
    PROJECT_FIELDS,
    LiveClient,
    LiveProject,
    LiveState,
    LiveTag,
    PlanTier,
    name_key,
)
from reconciler.read_cache import ProjectCache
from reconciler.toggl import TogglClient
from reconciler.toggl.types import Client, Project, Tag, Workspace
from reconciler.untrusted import quoted

# Project fields held in LiveProject.fields (client and active have their own attributes).
_LIVE_PROJECT_FIELDS = tuple(f for f in PROJECT_FIELDS if f not in ("client", "active"))


def resolve_workspace(client: TogglClient, workspace: str | int) -> tuple[int, str | None, PlanTier | None]:
    """The workspace's id, and its name and tier when they came for free with the lookup."""
    if isinstance(workspace, int):
        return workspace, None, None
    workspaces = client.list_workspaces()
    wanted = name_key(workspace)
    for candidate in workspaces:
        if name_key(candidate.name) == wanted:
            return candidate.id, candidate.name, candidate.tier
    return _workspace_not_found(workspace, workspaces)


def _workspace_not_found(workspace: str, workspaces: list[Workspace]) -> Any:
    names = ", ".join(f"{quoted(w.name)} (id {w.id})" for w in workspaces) or "none"
    raise UsageError(
        f"workspace {quoted(workspace)} was not found; the credential can reach: {names}. "
        "Set `workspace:` in the spec (or --workspace) to one of them."
    )


def read_live_state(client: TogglClient, workspace: str | int,
                    project_cache: ProjectCache | None = None) -> LiveState:
    reads_before = client.stats.reads
    workspace_id, workspace_name, tier = resolve_workspace(client, workspace)
    clients = client.list_clients(workspace_id, status="both")
    tags = client.list_tags(workspace_id)
    projects = _read_projects(client, workspace_id, project_cache)
    return LiveState(
        workspace_id=workspace_id,
        workspace_name=workspace_name,
        tier=tier,
        clients=tuple(live_client(c) for c in clients),
        projects=tuple(live_project(p) for p in projects if not p.server_deleted_at),
        tags=tuple(live_tag(t) for t in tags),
        reads=client.stats.reads - reads_before,
        quota=client.quota,
    )


def _read_projects(client: TogglClient, workspace_id: int,
                   cache: ProjectCache | None) -> list[Project]:
    if cache is None:
        return client.list_projects(workspace_id, active="both")
    cached = cache.load(workspace_id)
    if cached is None:
        projects = client.list_projects(workspace_id, active="both")
    else:
        changed = client.list_projects(workspace_id, active="both", since=cached.since)
        projects = [Project.from_api(raw) for raw in cached.merged([p.raw for p in changed])]
    cache.save(workspace_id, [project.raw for project in projects])
    return projects


def live_client(client: Client) -> LiveClient:
    return LiveClient(id=client.id, name=client.name, archived=bool(client.archived),
                      notes=client.notes, at=client.at)


def live_project(project: Project) -> LiveProject:
    fields: Mapping[str, Any] = {name: getattr(project, name) for name in _LIVE_PROJECT_FIELDS}
    return LiveProject(
        id=project.id,
        name=project.name,
        client_id=project.client_id,
        active=bool(project.active),
        fields=fields,
        at=project.at,
        actual_seconds=int(project.actual_seconds or 0),
    )


def live_tag(tag: Tag) -> LiveTag:
    return LiveTag(id=tag.id, name=tag.name, at=tag.at)
