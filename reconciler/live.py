"""Reading a live workspace: the few list calls a plan is allowed to spend.

A plan reads clients (one call, every status), tags (one call) and projects (200 a page), and,
only when the spec names its workspace instead of giving its id, `/me/workspaces` once. It never
reads an object by itself: on Toggl's free plan (30 requests an hour) that would not even finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

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


@dataclass(frozen=True)
class ResolvedWorkspace:
    """A workspace reference (name or id) resolved to its id; name and tier when known for free."""

    id: int
    name: str | None = None
    tier: PlanTier | None = None


def resolve_workspace(client: TogglClient, workspace: str | int) -> tuple[int, str | None, PlanTier | None]:
    """The workspace's id, and its name and tier when they came for free with the lookup."""
    [found] = resolve_workspaces(client, [workspace])
    return found.id, found.name, found.tier


def resolve_workspaces(client: TogglClient,
                       references: Sequence[str | int]) -> list[ResolvedWorkspace]:
    """Each reference resolved to an id, with one `/me/workspaces` read if any is a name.

    Resolving first is what lets two spec files that name one workspace two ways (`4242` and
    `Acme Agency`) be seen as one workspace. A name matches exactly, else ignoring case; a name
    that several workspaces answer to is refused rather than guessed.
    """
    if not any(isinstance(reference, str) for reference in references):
        return [ResolvedWorkspace(int(reference)) for reference in references]
    workspaces = client.list_workspaces()
    by_id = {candidate.id: candidate for candidate in workspaces}
    resolved: list[ResolvedWorkspace] = []
    for reference in references:
        if isinstance(reference, str):
            found = _by_name(reference, workspaces)
        else:
            found = by_id.get(int(reference))
            if found is None:  # not listed (e.g. no access): let the reads say so
                resolved.append(ResolvedWorkspace(int(reference)))
                continue
        resolved.append(ResolvedWorkspace(found.id, found.name, found.tier))
    return resolved


def _by_name(name: str, workspaces: list[Workspace]) -> Workspace:
    exact = [candidate for candidate in workspaces if candidate.name == name]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [c for c in workspaces if name_key(c.name) == name_key(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return _workspace_not_found(name, workspaces)
    listed = ", ".join(f"'{w.name}' (id {w.id})" for w in matches)
    raise UsageError(f"workspace '{name}' could be any of {listed}; give its id in `workspace:` "
                     "(or --workspace) instead of the name.")


def _workspace_not_found(workspace: str, workspaces: list[Workspace]) -> Any:
    names = ", ".join(f"{quoted(w.name)} (id {w.id})" for w in workspaces) or "none"
    raise UsageError(
        f"workspace {quoted(workspace)} was not found; the credential can reach: {names}. "
        "Set `workspace:` in the spec (or --workspace) to one of them."
    )


def read_live_state(client: TogglClient, workspace: str | int | ResolvedWorkspace,
                    project_cache: ProjectCache | None = None) -> LiveState:
    reads_before = client.stats.reads
    if isinstance(workspace, ResolvedWorkspace):
        workspace_id, workspace_name, tier = workspace.id, workspace.name, workspace.tier
    else:
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
