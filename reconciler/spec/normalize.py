"""Validated spec files of one workspace -> DesiredState."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping, Sequence

from yaml.nodes import SequenceNode

from reconciler.model import (
    CLIENT_FIELDS,
    KIND_SECTIONS,
    PROJECT_FIELDS,
    DesiredClient,
    DesiredProject,
    DesiredState,
    DesiredTag,
    HouseRule,
    Kind,
    SafetyLimits,
    SourceLocation,
    UnmanagedPolicy,
    name_key,
)
from reconciler.spec.house_rules import rule_bodies
from reconciler.spec.semantic import Entry, entries
from reconciler.spec.source import SpecFile, node_at, position

# `client` is held by DesiredProject.client, not in its fields.
_PROJECT_FIELD_NAMES = tuple(name for name in PROJECT_FIELDS if name != "client")


def to_desired_state(files: Sequence[SpecFile]) -> DesiredState:
    """One DesiredState from the (valid) files that name the same workspace, in load order."""
    clients = tuple(_client(entry, source) for file in files
                    for entry, source in _located(file, "clients"))
    spelling = {name_key(client.name): client.name for client in clients}
    workspace = files[0].data["workspace"]
    return DesiredState(
        workspace=workspace if isinstance(workspace, str) else int(workspace),
        clients=clients,
        projects=tuple(_project(entry, source, spelling) for file in files
                       for entry, source in _located(file, "projects")),
        tags=tuple(_tag(entry, source) for file in files
                   for entry, source in _located(file, "tags")),
        unmanaged=_unmanaged(files),
        protected=_protected(files),
        safety=_safety(files),
        spec_hash=spec_hash(files),
        files=tuple(file.path for file in files),
        rules=tuple(rule for file in files for rule in _rules(file)),
    )


def spec_hash(files: Sequence[SpecFile]) -> str:
    """sha256 over the files' bytes in load order (paths play no part)."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.content)
    return "sha256:" + digest.hexdigest()


def _located(file: SpecFile, section: str) -> list[tuple[Entry, SourceLocation | None]]:
    found = list(entries(file, section))
    node = node_at(file.root, (section,))[0] if found else None
    if not isinstance(node, SequenceNode) or len(node.value) != len(file.data[section]):
        return [(entry, None) for entry in found]
    return [(entry, SourceLocation(file.path, *position(node.value[entry.index])))
            for entry in found]


def _client(entry: Entry, source: SourceLocation | None) -> DesiredClient:
    body = entry.body
    fields = {name: body[name] for name in CLIENT_FIELDS if name in body}
    if "notes" in fields and fields["notes"] is None:
        # `notes: null` means "no notes": the empty text is what clears them through the API
        # (a null is left out of the request, so the live notes would stay and the plan
        # never converge); the planner already takes "" and null for the same notes.
        fields["notes"] = ""
    return DesiredClient(
        name=body["name"],
        fields=fields,
        previous_names=tuple(body.get("previous_names", ())),
        delete=bool(body.get("delete", False)),
        source=source,
    )


def _project(entry: Entry, source: SourceLocation | None,
             client_spelling: Mapping[str, str]) -> DesiredProject:
    body = {**entry.defaults, **entry.body} if entry.defaults else entry.body
    fields = {name: body[name] for name in _PROJECT_FIELD_NAMES if name in body}
    if isinstance(fields.get("color"), str):
        fields["color"] = fields["color"].lower()
    client = entry.client
    return DesiredProject(
        name=body["name"],
        # Written as the client entry spells it, so a case difference is no change.
        client=None if client is None else client_spelling.get(name_key(client), client),
        fields=fields,
        previous_names=tuple(body.get("previous_names", ())),
        delete=bool(body.get("delete", False)),
        delete_time_entries=bool(body.get("delete_time_entries", False)),
        move_from=body.get("move_from"),
        source=source,
    )


def _tag(entry: Entry, source: SourceLocation | None) -> DesiredTag:
    body = entry.body
    return DesiredTag(
        name=body["name"],
        previous_names=tuple(body.get("previous_names", ())),
        delete=bool(body.get("delete", False)),
        source=source,
    )


def _merged_block(files: Sequence[SpecFile], block: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for file in files:
        merged.update(file.data.get(block) or {})  # semantic checks made the files agree
    return merged


def _unmanaged(files: Sequence[SpecFile]) -> dict[Kind, UnmanagedPolicy]:
    written = _merged_block(files, "unmanaged")
    return {kind: written.get(section, "ignore") for kind, section in KIND_SECTIONS.items()}


def _protected(files: Sequence[SpecFile]) -> dict[Kind, tuple[str, ...]]:
    patterns: dict[Kind, tuple[str, ...]] = {kind: () for kind in KIND_SECTIONS}
    for file in files:
        written = file.data.get("protected") or {}
        for kind, section in KIND_SECTIONS.items():
            patterns[kind] += tuple(written.get(section, ()))
    return patterns


def _safety(files: Sequence[SpecFile]) -> SafetyLimits:
    written = _merged_block(files, "safety")
    defaults = SafetyLimits()
    return SafetyLimits(
        max_removal_percent=float(written.get("max_removal_percent",
                                              defaults.max_removal_percent)),
        min_existing=int(written.get("min_existing", defaults.min_existing)),
        max_removals=int(written.get("max_removals", defaults.max_removals)),
        billing_changes=str(written.get("billing_changes", defaults.billing_changes)),
    )


def _rules(file: SpecFile) -> list[HouseRule]:
    return [HouseRule(kind=body["kind"], message=body["message"],
                      name_pattern=body.get("name_pattern"),
                      require=tuple(dict.fromkeys(body.get("require", ()))),
                      severity=body.get("severity", "warning"),
                      source=SourceLocation(file.path, *position(node_at(file.root,
                                                                         ("rules", index))[0])))
            for index, body in rule_bodies(file)]
