"""From the specs' `workspace:` references to one spec per workspace id.

Files are grouped by what they write (`workspace: 4242` and `workspace: Acme Agency` are two
groups to the loader, which never speaks to Toggl). Planned apart, two groups that are one
workspace would fight: each apply would create what one wants and delete it for the other. So
every reference is resolved to an id first (one `/me/workspaces` read when any is a name), and
groups that land on the same id are merged under the same rules as files that name a workspace
the same way (a name defined twice is an error, the files must agree on unmanaged/protected/
safety), or refused with those problems.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from reconciler.cli.connection import Connection
from reconciler.cli.output import Output
from reconciler.errors import ReconcilerError
from reconciler.live import ResolvedWorkspace, resolve_workspaces
from reconciler.model import DesiredState, name_key
from reconciler.spec.loader import load_file
from reconciler.spec.normalize import to_desired_state
from reconciler.spec.semantic import semantic_issues
from reconciler.spec.source import SpecFile, resolve


@dataclass(frozen=True)
class WorkspaceSpec:
    desired: DesiredState  # `workspace` is the resolved id
    workspace: ResolvedWorkspace


def resolve_specs(connection: Connection, specs: Sequence[DesiredState],
                  out: Output) -> tuple[list[WorkspaceSpec], int]:
    """One spec per workspace id, in first-seen order, and the reads the resolution spent."""
    for desired in specs:
        connection.ensure_sandbox_workspace(desired.workspace)
    reads_before = connection.client.stats.reads
    resolved = resolve_workspaces(connection.client, [desired.workspace for desired in specs],
                                  organizations=[desired.organization for desired in specs])
    # A workspace apply is to create has no id yet (0): it is known by its name.
    groups: dict[tuple[int, str], list[tuple[DesiredState, ResolvedWorkspace]]] = {}
    for desired, workspace in zip(specs, resolved):
        key = (workspace.id, name_key(workspace.name or "") if workspace.missing else "")
        groups.setdefault(key, []).append((desired, workspace))
    merged = [_merge(group, out) for group in groups.values()]
    return merged, connection.client.stats.reads - reads_before


def _merge(group: list[tuple[DesiredState, ResolvedWorkspace]], out: Output) -> WorkspaceSpec:
    workspace = group[0][1]
    if len(group) == 1:
        return WorkspaceSpec(replace(group[0][0], workspace=_reference(workspace)), workspace)
    named = " and ".join(f"{_files(desired)} (workspace: {desired.workspace!r})" for desired, _ in group)
    files = _reload([path for desired, _ in group for path in desired.files])
    problems = [str(resolve(issue)) for issue in semantic_issues(files, [True] * len(files))]
    if problems:
        raise ReconcilerError(
            f"{named} name the same workspace (id {workspace.id}); merged, as files naming one "
            f"workspace are, they conflict:\n" + "\n".join(problems))
    out.info(f"Note: {named} name the same workspace (id {workspace.id}); planned as one.")
    return WorkspaceSpec(replace(to_desired_state(files), workspace=_reference(workspace)), workspace)


def _reference(workspace: ResolvedWorkspace) -> str | int:
    """The spec's workspace from now on: its id, or its name while apply is yet to create it."""
    return workspace.name or "" if workspace.missing else workspace.id


def _reload(paths: Sequence[str]) -> list[SpecFile]:
    files: list[SpecFile] = []
    for path in paths:
        spec_file, problems = load_file(path)
        if spec_file is None or problems:
            raise ReconcilerError(f"{path} changed while it was being planned; run again")
        files.append(spec_file)
    return files


def _files(desired: DesiredState) -> str:
    return ", ".join(desired.files) or "the spec"
