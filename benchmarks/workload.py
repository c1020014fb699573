"""Synthetic workspaces for the benchmarks: one definition, three views of it.

A `Workload` lists clients, projects and tags once; from it come the spec YAML (what a user
would write), the sandbox rows (what Toggl would hold) and the in-memory Desired/Live states
(what the planner sees). All three describe the same workspace, so a plan of the spec against
the loaded sandbox must report no changes: any change it reports is a bug in the benchmark
or in the product, and the benchmark checks for it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any, Iterable

import yaml

from reconciler.model import (
    DesiredClient,
    DesiredProject,
    DesiredState,
    DesiredTag,
    LiveClient,
    LiveProject,
    LiveState,
    LiveTag,
)
from reconciler.sandbox import Store

WORKSPACE_NAME = "Bench Agency"
PALETTE: tuple[str, ...] = (
    "#0b83d9", "#9e5bd9", "#d94182", "#e36a00", "#bf7000", "#2da608", "#06a893",
    "#c9806b", "#465bb3", "#990099", "#c7af14", "#566614", "#d92b2b", "#525266",
)
_ADJECTIVES = ("Blue", "Quiet", "Rapid", "Golden", "Northern", "Silent", "Bright", "Urban",
               "Civic", "Lunar", "Coastal", "Prime")
_NOUNS = ("Portal", "Redesign", "Audit", "Campaign", "Dashboard", "Migration", "Retainer",
          "Launch", "Website", "Report", "Platform", "Workshop")
# Shares of projects that are archived and that have no client: small, as in real agencies.
ARCHIVED_EVERY = 29
CLIENTLESS_EVERY = 23
# What the spec's `defaults.project` says; the sandbox rows get the same value.
DEFAULT_IS_PRIVATE = False
# Ids the in-memory live state starts from (the sandbox picks its own for its rows).
_FIRST_IDS = {"client": 64_000_001, "project": 201_000_001, "tag": 15_900_001}


@dataclass(frozen=True)
class ProjectDef:
    name: str
    client: str | None
    color: str
    active: bool


@dataclass(frozen=True)
class Workload:
    clients: tuple[str, ...]
    projects: tuple[ProjectDef, ...]
    tags: tuple[str, ...]
    workspace: str = WORKSPACE_NAME

    @property
    def size(self) -> int:
        return len(self.clients) + len(self.projects) + len(self.tags)


def make_workload(projects: int, clients: int, tags: int, *, seed: int = 7) -> Workload:
    """A workspace of that many objects; names are unique and deterministic for one seed."""
    rng = random.Random(seed)
    client_names = tuple(f"{rng.choice(_NOUNS)} Client {i:05d}" for i in range(clients))
    tag_names = tuple(f"tag-{rng.choice(_NOUNS).lower()}-{i:05d}" for i in range(tags))
    project_defs = tuple(_project(i, client_names, rng) for i in range(projects))
    return Workload(client_names, project_defs, tag_names)


def proportional_workload(projects: int, *, seed: int = 7) -> Workload:
    """The benchmark's shape: one client and one tag for every ten projects."""
    share = max(1, projects // 10)
    return make_workload(projects, share, share, seed=seed)


def _project(index: int, clients: tuple[str, ...], rng: random.Random) -> ProjectDef:
    client = None if index % CLIENTLESS_EVERY == 0 or not clients else clients[index % len(clients)]
    name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {index:06d}"
    return ProjectDef(name, client, PALETTE[index % len(PALETTE)], index % ARCHIVED_EVERY != 0)


def archive_projects(workload: Workload, count: int) -> Workload:
    """The same workload with the first `count` active projects archived (active: false)."""
    changed: list[ProjectDef] = []
    left = count
    for project in workload.projects:
        if left and project.active:
            project, left = replace(project, active=False), left - 1
        changed.append(project)
    if left:
        raise ValueError(f"the workload has fewer than {count} active projects")
    return replace(workload, projects=tuple(changed))


# ---------------------------------------------------------------- the spec


def spec_document(workload: Workload, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The spec as a user would write it: names, clients, colours, archived ones marked."""
    return {
        "version": 1,
        "workspace": workload.workspace,
        **(extra or {}),
        "defaults": {"project": {"is_private": DEFAULT_IS_PRIVATE}},
        "clients": [{"name": name} for name in workload.clients],
        "projects": [_spec_project(project) for project in workload.projects],
        "tags": list(workload.tags),
    }


def _spec_project(project: ProjectDef) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": project.name}
    if project.client is not None:
        entry["client"] = project.client
    entry["color"] = project.color
    if not project.active:
        entry["active"] = False
    return entry


def spec_text(workload: Workload, *, extra: dict[str, Any] | None = None) -> str:
    return yaml.dump(spec_document(workload, extra=extra), Dumper=yaml.CSafeDumper,
                     sort_keys=False, allow_unicode=True, width=200)


# ---------------------------------------------------------------- the sandbox rows


def load_into_store(store: Store, workload: Workload) -> int:
    """Insert the workload into the sandbox's database with its bulk helpers; the workspace id."""
    wid = store.ensure_workspace(workload.workspace)
    client_ids = dict(zip(workload.clients, store.bulk_add_clients(wid, workload.clients)))
    store.bulk_add_projects(wid, (_project_row(p, client_ids) for p in workload.projects))
    store.bulk_add_tags(wid, workload.tags)
    return wid


def _project_row(project: ProjectDef, client_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "name": project.name,
        "client_id": client_ids[project.client] if project.client is not None else None,
        "active": project.active,
        "color": project.color,
        "is_private": DEFAULT_IS_PRIVATE,
    }


# ---------------------------------------------------------------- in-memory states


def desired_state(workload: Workload) -> DesiredState:
    """What the spec loader should make of `spec_text(workload)`."""
    return DesiredState(
        workspace=workload.workspace,
        clients=tuple(DesiredClient(name) for name in workload.clients),
        projects=tuple(_desired_project(p) for p in workload.projects),
        tags=tuple(DesiredTag(name) for name in workload.tags),
    )


def _desired_project(project: ProjectDef) -> DesiredProject:
    fields: dict[str, Any] = {"is_private": DEFAULT_IS_PRIVATE, "color": project.color}
    if not project.active:
        fields["active"] = False
    return DesiredProject(project.name, project.client, fields)


def live_state(workload: Workload, workspace_id: int = 4_200_001) -> LiveState:
    """What the live reader would return for the workload loaded into the sandbox."""
    client_ids = {name: _FIRST_IDS["client"] + i for i, name in enumerate(workload.clients)}
    return LiveState(
        workspace_id=workspace_id,
        workspace_name=workload.workspace,
        tier="premium",
        clients=tuple(LiveClient(client_ids[name], name) for name in workload.clients),
        projects=tuple(_live_projects(workload.projects, client_ids)),
        tags=tuple(LiveTag(_FIRST_IDS["tag"] + i, name) for i, name in enumerate(workload.tags)),
    )


def _live_projects(
    projects: Iterable[ProjectDef], client_ids: dict[str, int]
) -> Iterable[LiveProject]:
    for offset, project in enumerate(projects):
        yield LiveProject(
            id=_FIRST_IDS["project"] + offset,
            name=project.name,
            client_id=client_ids[project.client] if project.client is not None else None,
            active=project.active,
            fields=_live_fields(project),
        )


def _live_fields(project: ProjectDef) -> dict[str, Any]:
    # Every field the live reader fills, as the sandbox reports a bulk-loaded project.
    return {"color": project.color, "billable": None, "is_private": DEFAULT_IS_PRIVATE,
            "estimated_hours": None, "rate": None, "currency": None, "auto_estimates": None,
            "template": None}
