"""Checks across entries and files of one workspace: duplicates, references, renames, agreement.

They run on the plain data and only look up positions (`where`, `Issue`) for what is wrong.
Entries that fail the schema are left out here: the schema problem is already reported.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Hashable, Iterator, Mapping, Sequence

from reconciler.model import name_key, project_address, project_key
from reconciler.spec.house_rules import house_rule_issues
from reconciler.spec.identity import duplicates, looks, rename_collisions
from reconciler.spec.schema import checker
from reconciler.spec.source import ENTRY_KINDS, DataPath, Issue, SpecFile, describe, where
from reconciler.spec.workspace_checks import workspace_kind_issues

_ENTRY_SCHEMAS = {"clients": "#/$defs/client", "projects": "#/$defs/project",
                  "tags": "#/properties/tags/items", "groups": "#/$defs/group"}
_DEFAULTS_SCHEMA = "#/properties/defaults/properties/project"
_AGREED_BLOCKS = ("unmanaged", "safety", "settings")
EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True)  # not frozen: tens of thousands are made per load, and frozen is slower
class Entry:
    """One list entry of a spec file, with the values the checks compare."""

    file: SpecFile
    section: str  # clients, projects, tags or groups
    index: int
    body: Mapping[str, Any]  # a tag written as a bare name reads as {"name": name}
    client: str | None  # projects: the client after defaults
    defaults: Mapping[str, Any]  # projects: the file's defaults.project

    @property
    def path(self) -> DataPath:
        return (self.section, self.index)

    @property
    def kind(self) -> str:
        return ENTRY_KINDS[self.section]

    @property
    def address(self) -> str:
        return project_address(self.client, self.body["name"])

    def look_key(self) -> Hashable | None:
        """Identity as a reader sees it (NFKC, ignoring case); None when it is `key()`."""
        name, client = self.body["name"], self.client
        if name.isascii() and (client is None or client.isascii()):
            return None  # NFKC changes no ASCII text: the look is the key
        if self.section == "projects":
            return (looks(client) if client else "", looks(name))
        return looks(name)

    def key(self, name: str | None = None) -> Hashable:
        """Identity of this entry (or of another name it had): projects are keyed per client."""
        name = self.body["name"] if name is None else name
        return project_key(self.client, name) if self.section == "projects" else name_key(name)


def project_defaults(file: SpecFile, trusted: bool = True) -> Mapping[str, Any]:
    """The file's `defaults.project` block, or {} when absent or invalid."""
    defaults = file.data.get("defaults")
    block = defaults.get("project") if isinstance(defaults, dict) else None
    if block is None or not (trusted or checker(_DEFAULTS_SCHEMA)(block)):
        return EMPTY
    return block


def entries(file: SpecFile, section: str, trusted: bool = True) -> Iterator[Entry]:
    """The usable entries of one section; `trusted` means the whole file passed the schema."""
    items = file.data.get(section)
    if not isinstance(items, list):
        return
    valid = checker(_ENTRY_SCHEMAS[section])
    defaults = project_defaults(file, trusted) if section == "projects" else EMPTY
    for index, item in enumerate(items):
        if not trusted and not valid(item):
            continue
        body = {"name": item} if isinstance(item, str) else item
        client = body.get("client", defaults.get("client")) if section == "projects" else None
        yield Entry(file, section, index, body, client, defaults)


def semantic_issues(files: Sequence[SpecFile], trusted: Sequence[bool]) -> list[Issue]:
    """Every cross-entry problem of the files of ONE workspace."""
    grouped = {section: [entry for file, ok in zip(files, trusted)
                         for entry in entries(file, section, ok)]
               for section in ENTRY_KINDS}
    issues: list[Issue] = []
    for section, section_entries in grouped.items():
        issues += duplicates(section_entries)
        issues += rename_collisions(section_entries)
    clients = {name_key(entry.body["name"]): entry for entry in grouped["clients"]}
    issues += _client_references(files, trusted, grouped["projects"], clients)
    issues += _project_flags(grouped["projects"])
    issues += _disagreements(files, trusted)
    issues += workspace_kind_issues(files, trusted, grouped["projects"], grouped["groups"])
    issues += house_rule_issues(files, trusted, grouped)
    return issues


def _client_references(files: Sequence[SpecFile], trusted: Sequence[bool],
                       projects: list[Entry], clients: Mapping[str, Entry]) -> Iterator[Issue]:
    for file, ok in zip(files, trusted):
        default_client = project_defaults(file, ok).get("client")
        if default_client is not None and name_key(default_client) not in clients:
            yield Issue(file, ("defaults", "project", "client"),
                        _unknown_client(default_client, clients))
    for entry in projects:
        if entry.client is None:
            continue
        client = clients.get(name_key(entry.client))
        if client is not None:
            yield from _client_state(entry, client)
        elif "client" in entry.body:  # a client from defaults is reported once, above
            yield Issue(entry.file, entry.path + ("client",),
                        _unknown_client(entry.client, clients))


def _unknown_client(client: str, clients: Mapping[str, Entry]) -> str:
    guess = difflib.get_close_matches(name_key(client), list(clients), n=1)
    hint = f" (did you mean {clients[guess[0]].body['name']!r}?)" if guess else ""
    return f"unknown client {client!r}{hint}: a project's client must be listed under clients"


def _client_state(project: Entry, client: Entry) -> Iterator[Issue]:
    if project.body.get("delete"):
        return
    client_place = where(client.file, client.path)
    if client.body.get("delete"):
        yield Issue(project.file, project.path, f"its client {client.body['name']!r} has "
                    f"delete: true (at {client_place}); delete the project too or give it "
                    "another client")
    elif client.body.get("archived") and _project_field(project, "active"):
        yield Issue(project.file, project.path, f"active: true, but its client "
                    f"{client.body['name']!r} is archived (at {client_place}); set active: "
                    "false or unarchive the client")


def _project_field(project: Entry, field_name: str) -> Any:
    if field_name in project.body:
        return project.body[field_name]
    return project.defaults.get(field_name)


def _project_flags(projects: list[Entry]) -> Iterator[Issue]:
    for entry in projects:
        if entry.body.get("delete_time_entries") and not entry.body.get("delete"):
            yield Issue(entry.file, entry.path + ("delete_time_entries",),
                        "true without delete: true; it only says what happens to the time "
                        "entries of a deleted project")


def _disagreements(files: Sequence[SpecFile], trusted: Sequence[bool]) -> Iterator[Issue]:
    for block in _AGREED_BLOCKS:
        first_by_key: dict[str, tuple[SpecFile, Any]] = {}
        for file, ok in zip(files, trusted):
            settings = file.data.get(block)
            if not isinstance(settings, dict) or not ok:
                continue
            for key, value in settings.items():
                first_file, first_value = first_by_key.setdefault(key, (file, value))
                if first_value != value:
                    yield Issue(file, (block, key), f"{describe(value)} here, but "
                                f"{describe(first_value)} at {where(first_file, (block, key))}: "
                                f"the files of one workspace must agree on {block}")
