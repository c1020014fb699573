"""`export`: a live workspace as a version-1 spec (pure: LiveState in, YAML text out).

Two guarantees, both tested: `plan` on the exported file reports no changes, and applying it to
an empty workspace reproduces the source's clients, projects, tags and their managed fields.
Only fields that carry information are written (paid-plan fields where set), in a stable order.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import yaml

from reconciler import __version__
from reconciler.model import LiveProject, LiveState, name_key

# The schema's path relative to the exported file is unknown, so say where it is instead of
# writing a modeline that would point editors at nothing.
SCHEMA_HINT = ("# Schema: schemas/workspace.schema.json in toggl-reconciler; add a "
               "`# yaml-language-server: $schema=<path>` line for editor help.")
# Paid-plan fields are exported only with a value, so a clone into a free workspace stays valid.
_OPTIONAL_PROJECT_FIELDS = ("estimated_hours", "rate", "currency")
_FLAG_PROJECT_FIELDS = ("auto_estimates", "template")


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def export_spec(live: LiveState, *, include_archived: bool, source: str, now: str) -> str:
    spec = export_document(live, include_archived=include_archived)
    header = (
        f"{SCHEMA_HINT}\n"
        f"# Exported by toggl-reconciler {__version__} on {now}\n"
        f"# from workspace '{live.workspace_name}' (id {live.workspace_id}) at {source}.\n"
    )
    return header + yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                              default_flow_style=False, width=100)


def export_document(live: LiveState, *, include_archived: bool) -> dict[str, Any]:
    client_names = {client.id: client.name for client in live.clients}
    clients = sorted((c for c in live.clients if include_archived or not c.archived),
                     key=lambda c: name_key(c.name))
    kept_client_ids = {c.id for c in clients}
    projects = sorted(
        (p for p in live.projects
         if (include_archived or p.active) and (p.client_id is None or p.client_id in kept_client_ids)),
        key=lambda p: (name_key(client_names.get(p.client_id or -1, "")), name_key(p.name)),
    )
    return {
        "version": 1,
        "workspace": live.workspace_name if live.workspace_name else live.workspace_id,
        "clients": [_client_entry(c.name, c.notes, c.archived) for c in clients],
        "projects": [_project_entry(p, client_names, paid=live.tier != "free") for p in projects],
        "tags": sorted((t.name for t in live.tags), key=name_key),
    }


def _client_entry(name: str, notes: str | None, archived: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name}
    if notes:
        entry["notes"] = notes
    if archived:
        entry["archived"] = True
    return entry


def _project_entry(project: LiveProject, client_names: dict[int, str], *, paid: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": project.name}
    if project.client_id is not None and project.client_id in client_names:
        entry["client"] = client_names[project.client_id]
    fields = project.fields
    if fields.get("color"):
        entry["color"] = fields["color"]
    if fields.get("is_private") is not None:
        entry["is_private"] = bool(fields["is_private"])
    # Billable is a paid-plan field: a free workspace's `false` is not worth asking a clone for.
    if fields.get("billable") is not None and (paid or fields["billable"]):
        entry["billable"] = bool(fields["billable"])
    for name in _OPTIONAL_PROJECT_FIELDS:
        if fields.get(name) is not None:
            entry[name] = fields[name]
    for name in _FLAG_PROJECT_FIELDS:
        if fields.get(name):
            entry[name] = True
    if not project.active:
        entry["active"] = False
    return entry


class _Dumper(yaml.SafeDumper):
    """Block style; indents list items under their key, as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)
