"""Validated spec files of one workspace -> DesiredState."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping, Sequence

from yaml.nodes import MappingNode, Node, SequenceNode

from reconciler.model import (
    CLIENT_FIELDS,
    KIND_SECTIONS,
    MEMBER_FIELDS,
    PROJECT_FIELDS,
    SETTINGS_FIELDS,
    TASK_FIELDS,
    WORKSPACE_KIND_SECTIONS,
    WORKSPACE_UNMANAGED_POLICIES,
    DesiredClient,
    DesiredGroup,
    DesiredMember,
    DesiredProject,
    DesiredSettings,
    DesiredState,
    DesiredTag,
    DesiredTask,
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


_INTEGER_SETTINGS = ("rounding", "rounding_minutes")
# Top-level keys that mention a workspace kind (beyond projects' members/tasks).
_WORKSPACE_KEYS = ("organization", "settings", "groups")


def to_desired_state(files: Sequence[SpecFile]) -> DesiredState:
    """One DesiredState from the (valid) files that name the same workspace, in load order."""
    clients = tuple(_client(entry, source) for file in files
                    for entry, source, _ in _located(file, "clients"))
    spelling = {name_key(client.name): client.name for client in clients}
    workspace = files[0].data["workspace"]
    groups = _groups(files)
    group_spelling = {name_key(group.name): group.name for group in groups or ()}
    projects = tuple(_project(entry, source, node, spelling, group_spelling) for file in files
                     for entry, source, node in _located(file, "projects"))
    organization, organization_source = _organization(files)
    # A spec without the workspace kinds keeps exactly the three policies and patterns it
    # always had; one that mentions any of them gets every kind (default ignore, no pattern).
    kinds = dict(KIND_SECTIONS)
    if _mentions_workspace_kinds(files, projects):
        kinds.update({kind: WORKSPACE_KIND_SECTIONS[kind] for kind in WORKSPACE_UNMANAGED_POLICIES})
    return DesiredState(
        workspace=workspace if isinstance(workspace, str) else int(workspace),
        clients=clients,
        projects=projects,
        tags=tuple(_tag(entry, source) for file in files
                   for entry, source, _ in _located(file, "tags")),
        unmanaged=_unmanaged(files, kinds),
        protected=_protected(files, kinds),
        safety=_safety(files),
        spec_hash=spec_hash(files),
        files=tuple(file.path for file in files),
        rules=tuple(rule for file in files for rule in _rules(file)),
        organization=organization,
        organization_source=organization_source,
        settings=_settings(files),
        groups=groups,
    )


def spec_hash(files: Sequence[SpecFile]) -> str:
    """sha256 over the files' bytes in load order (paths play no part)."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.content)
    return "sha256:" + digest.hexdigest()


Located = tuple[Entry, "SourceLocation | None", "Node | None"]


def _located(file: SpecFile, section: str) -> list[Located]:
    """The section's entries, each with its position and YAML node (None when unknown)."""
    found = list(entries(file, section))
    node = node_at(file.root, (section,))[0] if found else None
    if not isinstance(node, SequenceNode) or len(node.value) != len(file.data[section]):
        return [(entry, None, None) for entry in found]
    return [(entry, SourceLocation(file.path, *position(node.value[entry.index])),
             node.value[entry.index]) for entry in found]


def _item_sources(path: str, owner: Node | None, key: str,
                  items: Sequence[Any]) -> list[SourceLocation | None]:
    """Position of each item of the list under `key` of a mapping node (None when unknown)."""
    node = node_at(owner, (key,))[0] if isinstance(owner, MappingNode) else None
    if not isinstance(node, SequenceNode) or len(node.value) != len(items):
        return [None] * len(items)
    return [SourceLocation(path, *position(item)) for item in node.value]


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


def _project(entry: Entry, source: SourceLocation | None, node: Node | None,
             client_spelling: Mapping[str, str],
             group_spelling: Mapping[str, str]) -> DesiredProject:
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
        # From the entry itself: the schema keeps members and tasks out of defaults.project.
        members=_members(entry, node, group_spelling) if "members" in entry.body else None,
        tasks=_tasks(entry, node) if "tasks" in entry.body else None,
    )


def _members(entry: Entry, node: Node | None,
             group_spelling: Mapping[str, str]) -> tuple[DesiredMember, ...]:
    items = entry.body["members"]
    return tuple(
        # A group as the `groups:` entry spells it, so a case difference is no change.
        DesiredMember(user=item.get("user"),
                      group=None if "group" not in item
                      else group_spelling.get(name_key(item["group"]), item["group"]),
                      fields={name: item[name] for name in MEMBER_FIELDS if name in item},
                      source=source)
        for item, source in zip(items, _item_sources(entry.file.path, node, "members", items)))


def _tasks(entry: Entry, node: Node | None) -> tuple[DesiredTask, ...]:
    items = entry.body["tasks"]
    return tuple(_task({"name": item} if isinstance(item, str) else item, source)
                 for item, source in zip(items, _item_sources(entry.file.path, node, "tasks",
                                                              items)))


def _whole(value: Any) -> Any:
    """An integer the schema took as 10.0 (JSON Schema counts it as one) sent as 10."""
    return int(value) if isinstance(value, float) else value


def _task(body: Mapping[str, Any], source: SourceLocation | None) -> DesiredTask:
    fields = {name: body[name] for name in TASK_FIELDS if name in body}
    if "estimated_hours" in fields:
        fields["estimated_hours"] = _whole(fields["estimated_hours"])
    return DesiredTask(
        name=body["name"],
        fields=fields,
        previous_names=tuple(body.get("previous_names", ())),
        delete=bool(body.get("delete", False)),
        source=source,
    )


def _groups(files: Sequence[SpecFile]) -> tuple[DesiredGroup, ...] | None:
    if not any("groups" in file.data for file in files):
        return None
    return tuple(_group(entry, source, node) for file in files
                 for entry, source, node in _located(file, "groups"))


def _group(entry: Entry, source: SourceLocation | None, node: Node | None) -> DesiredGroup:
    body = entry.body
    members = body.get("members")
    return DesiredGroup(
        name=body["name"],
        members=None if members is None else tuple(members),
        previous_names=tuple(body.get("previous_names", ())),
        delete=bool(body.get("delete", False)),
        source=source,
        member_sources=() if members is None else tuple(
            _item_sources(entry.file.path, node, "members", members)),
    )


def _settings(files: Sequence[SpecFile]) -> DesiredSettings | None:
    """The `settings:` blocks of the files, merged (semantic checks made them agree); each key
    located where it is first written."""
    if not any("settings" in file.data for file in files):
        return None
    fields: dict[str, Any] = {}
    sources: dict[str, SourceLocation] = {}
    for file in files:
        for key, value in (file.data.get("settings") or {}).items():
            if key in SETTINGS_FIELDS and key not in fields:
                fields[key] = _whole(value) if key in _INTEGER_SETTINGS else value
                sources[key] = SourceLocation(file.path, *position(
                    node_at(file.root, ("settings", key))[0]))
    # In the model's order, so that plans list the keys the same way whatever the files say.
    order = {key: index for index, key in enumerate(SETTINGS_FIELDS)}
    ordered = sorted(fields, key=order.__getitem__)
    return DesiredSettings(fields={key: fields[key] for key in ordered},
                           sources={key: sources[key] for key in ordered})


def _organization(files: Sequence[SpecFile]) -> tuple[str | int | None, SourceLocation | None]:
    for file in files:
        organization = file.data.get("organization")
        if organization is not None:
            source = SourceLocation(file.path, *position(node_at(file.root,
                                                                 ("organization",))[0]))
            return (organization if isinstance(organization, str) else int(organization)), source
    return None, None


def _mentions_workspace_kinds(files: Sequence[SpecFile],
                              projects: Sequence[DesiredProject]) -> bool:
    for file in files:
        if any(key in file.data for key in _WORKSPACE_KEYS):
            return True
        for block in ("unmanaged", "protected"):
            written = file.data.get(block) or {}
            if any(WORKSPACE_KIND_SECTIONS[kind] in written
                   for kind in WORKSPACE_UNMANAGED_POLICIES):
                return True
    return any(project.members is not None or project.tasks is not None
               for project in projects)


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


def _unmanaged(files: Sequence[SpecFile],
               kinds: Mapping[Kind, str]) -> dict[Kind, UnmanagedPolicy]:
    written = _merged_block(files, "unmanaged")
    return {kind: written.get(section, "ignore") for kind, section in kinds.items()}


def _protected(files: Sequence[SpecFile],
               kinds: Mapping[Kind, str]) -> dict[Kind, tuple[str, ...]]:
    patterns: dict[Kind, tuple[str, ...]] = {kind: () for kind in kinds}
    for file in files:
        written = file.data.get("protected") or {}
        for kind, section in kinds.items():
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
