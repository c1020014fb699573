"""Cross-entry checks of the workspace kinds: groups, project members and tasks, organization.

Like `semantic`, they run on plain data of schema-valid entries and look up positions only for
what is wrong. What needs the live workspace (an e-mail that is no user, a group that exists
nowhere) is the planner's to say, not the spec's: a member's group need not be under `groups:`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Hashable, Iterator, Mapping, Sequence

from reconciler.model import email_key, escape_name, name_key, project_address
from reconciler.spec.identity import duplicates, looks, rename_collisions
from reconciler.spec.source import DataPath, Issue, SpecFile, describe, where

if TYPE_CHECKING:
    from reconciler.spec.semantic import Entry


@dataclass(slots=True)
class TaskItem:
    """One `tasks:` item of a project entry, shaped like `semantic.Entry` for the shared checks."""

    file: SpecFile
    project_path: DataPath
    project_address: str
    index: int
    body: Mapping[str, Any]  # a task written as a bare name reads as {"name": name}

    @property
    def path(self) -> DataPath:
        return self.project_path + ("tasks", self.index)

    @property
    def kind(self) -> str:
        return "task"

    @property
    def address(self) -> str:
        return f"{self.project_address}/{escape_name(self.body['name'])}"

    def look_key(self) -> Hashable | None:
        name = self.body["name"]
        return None if name.isascii() else looks(name)

    def key(self, name: str | None = None) -> Hashable:
        return name_key(self.body["name"] if name is None else name)


def task_items(project: Entry) -> list[TaskItem]:
    """The tasks of a (schema-valid) project entry; empty when it has no `tasks:`."""
    items = project.body.get("tasks")
    if not isinstance(items, list):
        return []
    return [TaskItem(project.file, project.path, project.address, index,
                     {"name": item} if isinstance(item, str) else item)
            for index, item in enumerate(items)]


def member_key(member: Mapping[str, Any]) -> tuple[str, str]:
    """A project member's identity: ("user", e-mail key) or ("group", group name key)."""
    if "user" in member:
        return ("user", email_key(member["user"]))
    return ("group", name_key(member["group"]))


def workspace_kind_issues(files: Sequence[SpecFile], trusted: Sequence[bool],
                          projects: Sequence[Entry], groups: Sequence[Entry]) -> list[Issue]:
    """Every cross-entry problem of the workspace kinds in the files of ONE workspace."""
    issues: list[Issue] = list(_organization_disagreements(files, trusted))
    issues += _patterns_matching_nothing(files, projects)
    known = _GroupNames(groups)
    for project in projects:
        if "tasks" not in project.body and "members" not in project.body:
            continue
        issues += _on_deleted(project, ("members", "tasks"), "project",
                              "deleting a project removes its members and tasks with it")
        tasks = task_items(project)
        issues += duplicates(tasks)
        issues += rename_collisions(tasks)
        issues += _duplicate_members(project)
        issues += known.member_issues(project)
    for group in groups:
        issues += _on_deleted(group, ("members",), "group",
                              "a deleted group has no members")
        issues += _duplicate_group_members(group)
    return issues


class _GroupNames:
    """The `groups:` entries by name and by previous name, for the members that name one."""

    def __init__(self, groups: Sequence[Entry]) -> None:
        self.by_name: dict[str, Entry] = {}
        self.by_previous: dict[str, Entry] = {}
        for group in groups:
            self.by_name.setdefault(name_key(group.body["name"]), group)
            for old_name in group.body.get("previous_names", ()):
                self.by_previous.setdefault(name_key(old_name), group)

    def member_issues(self, project: Entry) -> Iterator[Issue]:
        """A member naming a group the spec deletes, or a group by the name it is renamed from.
        A group the spec does not list is no problem here: it may exist live."""
        if not self.by_name and not self.by_previous:
            return
        for index, member in enumerate(project.body.get("members") or ()):
            if "group" not in member:
                continue
            key = name_key(member["group"])
            path = project.path + ("members", index, "group")
            group = self.by_name.get(key)
            if group is not None and group.body.get("delete") and not project.body.get("delete"):
                yield Issue(project.file, path, f"group {member['group']!r} has delete: true (at "
                            f"{where(group.file, group.path)}); remove the member or keep the "
                            "group")
            renamed = self.by_previous.get(key) if group is None else None
            if renamed is not None:
                yield Issue(project.file, path, f"{member['group']!r} is a previous name of group "
                            f"{renamed.body['name']!r} (at {where(renamed.file, renamed.path)}); "
                            "name the group by its new name")


def _on_deleted(entry: Entry, keys: tuple[str, ...], kind: str, reason: str) -> Iterator[Issue]:
    if not entry.body.get("delete"):
        return
    for key in keys:
        if key in entry.body:
            yield Issue(entry.file, entry.path + (key,), f"{key} on a {kind} with delete: true: "
                        f"{reason}; remove {key} or the delete", at_key=True)


def _duplicate_members(project: Entry) -> Iterator[Issue]:
    members = project.body.get("members")
    if not isinstance(members, list):
        return
    first_by_key: dict[tuple[str, str], int] = {}
    for index, member in enumerate(members):
        key = member_key(member)
        first = first_by_key.setdefault(key, index)
        if first == index:
            continue
        kind, written = ("user", member["user"]) if key[0] == "user" else ("group", member["group"])
        what = "e-mails" if kind == "user" else "names"
        yield Issue(project.file, project.path + ("members", index),
                    f"member {kind} {written!r} is listed twice on project "
                    f"{project.address!r} ({what} ignore case): also at "
                    f"{where(project.file, project.path + ('members', first))}")


def _duplicate_group_members(group: Entry) -> Iterator[Issue]:
    members = group.body.get("members")
    if not isinstance(members, list):
        return
    first_by_key: dict[str, int] = {}
    for index, email in enumerate(members):
        first = first_by_key.setdefault(email_key(email), index)
        if first != index:
            yield Issue(group.file, group.path + ("members", index),
                        f"{email!r} is listed twice in group {group.body['name']!r} (e-mails "
                        f"ignore case): also at {where(group.file, group.path + ('members', first))}")


def organization_key(organization: Any) -> tuple[str, Hashable]:
    """Files agree on an organization written as the same id, or the same name ignoring case."""
    if isinstance(organization, str):
        return ("name", name_key(organization))
    return ("id", int(organization))


def _organization_disagreements(files: Sequence[SpecFile],
                                trusted: Sequence[bool]) -> Iterator[Issue]:
    first: tuple[SpecFile, Any] | None = None
    for file, ok in zip(files, trusted):
        organization = file.data.get("organization")
        if organization is None or not ok:
            continue
        if first is None:
            first = (file, organization)
        elif organization_key(organization) != organization_key(first[1]):
            yield Issue(file, ("organization",), f"{describe(organization)} here, but "
                        f"{describe(first[1])} at {where(first[0], ('organization',))}: the "
                        "files of one workspace must agree on organization")


# What a member's protection address holds after its project's: `user:<e-mail>` or
# `group:<name>` (engine.safety.protected_address); a pattern matches either it or the whole.
_MEMBER_KEY_PREFIXES = ("user:", "group:")
_GLOB_CHARACTERS = frozenset("*?[")
_INNER_KINDS = {"members": "member", "tasks": "task"}


def _patterns_matching_nothing(files: Sequence[SpecFile],
                               projects: Sequence[Entry]) -> Iterator[Issue]:
    """`protected.members` and `protected.tasks` patterns that cannot protect what they were
    written for, so that the removal they were meant to stop would go ahead at apply time."""
    clients_by_project: dict[str, set[str | None]] = {}
    for project in projects:
        clients_by_project.setdefault(name_key(project.body["name"]), set()).add(project.client)
    for file in files:
        protected = file.data.get("protected")
        for section, kind in _INNER_KINDS.items():
            patterns = protected.get(section) if isinstance(protected, dict) else None
            for index, pattern in enumerate(patterns if isinstance(patterns, list) else ()):
                if not isinstance(pattern, str):
                    continue
                problem = (_member_pattern_problem(pattern) if kind == "member" else None) \
                    or _clientless_pattern_problem(pattern, kind, clients_by_project)
                if problem:
                    yield Issue(file, ("protected", section, index), problem)


def _member_pattern_problem(pattern: str) -> str | None:
    """`ana@acme.test` or `Globex/Website`: no glob, and no user: or group: to match."""
    if _GLOB_CHARACTERS & set(pattern) or any(prefix in pattern.lower()
                                              for prefix in _MEMBER_KEY_PREFIXES):
        return None
    example = (f"'*/user:{pattern}' (this user on every project)" if "@" in pattern
               else f"'{pattern}/*' (every member of that project)")
    return (f"{describe(pattern)} protects no member: a member's address is "
            f"Client/Project/user:e-mail or Client/Project/group:Name; write {example}")


def _clientless_pattern_problem(pattern: str, kind: str,
                                clients_by_project: Mapping[str, set[str | None]]) -> str | None:
    """`Website/*` where the spec's project Website has a client: an address starts with the
    client (`Globex/Website/...`), so the pattern covers none of its tasks or members."""
    segments = _segments(pattern)
    if len(segments) != 2 or _GLOB_CHARACTERS & set(segments[0]):
        return None
    project_name = _unescaped(segments[0])
    clients = clients_by_project.get(name_key(project_name), set())
    if not clients or None in clients:
        return None
    client = sorted(clients, key=name_key)[0]
    return (f"{describe(pattern)} protects no {kind} of project "
            f"{project_address(client, project_name)!r}: a {kind}'s address starts with its "
            f"project's client; write {escape_name(client) + '/' + pattern!r}")


def _segments(address: str) -> list[str]:
    """An address split at its unescaped `/`, each part still escaped."""
    segments, current, escaped = [], "", False
    for char in address:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            current, escaped = current + char, True
        elif char == "/":
            segments.append(current)
            current = ""
        else:
            current += char
    return segments + [current]


def _unescaped(segment: str) -> str:
    return re.sub(r"\\(.)", r"\1", segment)
