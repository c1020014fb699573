"""`export`: a live workspace as a version-1 spec (pure: LiveState in, YAML text out).

Two guarantees, both tested: `plan` on the exported file reports no changes, and applying it to
an empty workspace reproduces the source's clients, projects, tags and their managed fields.
Only fields that carry information are written (paid-plan fields where set), in a stable order.
The workspace kinds (settings, groups, project members and tasks) are written when the live
state carries them (see "workspace kinds" below); without them the output is what it always was.

Names and notes are attacker input (any workspace member can edit them). Every string is
written so that YAML reads back exactly that string: double-quoted with escapes whenever it
holds a control, separator, bidi or invisible character (NEL, U+2028, CR...), never folded
across lines, and never raw in a comment. An object whose text no spec can hold (the spec's
schema refuses it, or YAML cannot carry it, such as a lone surrogate) is left out and named in
`Export.left_out`: leaving it out keeps it unmanaged, where any other spelling would manage
a different object. The schema, not this module, says what a spec can hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

import yaml

from reconciler import __version__
from reconciler.model import (
    PAID_WORKSPACE_KEYS,
    SETTINGS_FIELDS,
    LiveGroup,
    LiveMember,
    LiveProject,
    LiveState,
    LiveTask,
    name_key,
)
from reconciler.render.common import NO_FOLDING, needs_double_quotes, yaml_line_escape
from reconciler.spec.names import name_problem, notes_problem
from reconciler.spec.schema import checker
from reconciler.untrusted import quoted, shown

# The schema's path relative to the exported file is unknown, so say where it is instead of
# writing a modeline that would point editors at nothing.
SCHEMA_HINT = ("# Schema: schemas/workspace.schema.json in toggl-reconciler; add a "
               "`# yaml-language-server: $schema=<path>` line for editor help.")
# Paid-plan fields are exported only with a value, so a clone into a free workspace stays valid.
_OPTIONAL_PROJECT_FIELDS = ("estimated_hours", "rate", "currency")
_FLAG_PROJECT_FIELDS = ("auto_estimates", "template")


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Export:
    text: str
    left_out: tuple[str, ...]  # one sentence per object left out, naming it (escaped)
    # "clients"/"projects"/"tags" -> count, and "groups"/"members"/"tasks" when written
    written: Mapping[str, int] = field(default_factory=dict)
    # Without --include-archived: "clients", "projects", and "tasks" (done) when tasks were read
    archived_left_out: Mapping[str, int] = field(default_factory=dict)


def export_spec(live: LiveState, *, include_archived: bool, source: str, now: str) -> str:
    return export(live, include_archived=include_archived, source=source, now=now).text


def export(live: LiveState, *, include_archived: bool, source: str, now: str) -> Export:
    left_out: list[str] = []
    spec = export_document(live, include_archived=include_archived, left_out=left_out)
    # The header holds no raw user text: a CR, NEL or U+2028 in a name would end the comment
    # and turn the rest of the name into spec keys.
    header = (
        f"{SCHEMA_HINT}\n"
        f"# Exported by toggl-reconciler {__version__} on {now}\n"
        f"# from workspace {_comment_name(live.workspace_name)}(id {live.workspace_id}) "
        f"at {shown(source)}.\n"
    )
    written = {section: len(spec[section]) for section in ("clients", "projects", "tags")}
    written.update(_workspace_kind_counts(spec))
    archived = {} if include_archived else {
        "clients": sum(1 for client in live.clients if client.archived),
        "projects": sum(1 for project in live.projects if not project.active),
    }
    if not include_archived and live.tasks is not None and live.tier != "free":
        archived["tasks"] = _archived_tasks_left_out(live)
    return Export(header + dump_yaml(spec), tuple(left_out), written, archived)


def dump_yaml(data: Any) -> str:
    """Spec YAML whose every string reads back as itself, safe to show on a terminal or log."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=NO_FOLDING)
    return "\n".join(yaml_line_escape(line) for line in text.split("\n"))


def export_document(live: LiveState, *, include_archived: bool,
                    left_out: list[str] | None = None) -> dict[str, Any]:
    """The spec of `live`; objects no spec can hold are left out and described in `left_out`."""
    report = left_out if left_out is not None else []
    client_names = {client.id: client.name for client in live.clients}
    clients = sorted((c for c in live.clients if include_archived or not c.archived),
                     key=lambda c: name_key(c.name))
    client_entries: list[dict[str, Any]] = []
    kept_client_ids: set[int] = set()
    for client in clients:
        entry = _client_entry(client.name, client.notes, client.archived)
        if _holdable(entry, _CLIENT, f"client {quoted(client.name)}", report):
            client_entries.append(entry)
            kept_client_ids.add(client.id)
        else:
            dropped = [p for p in live.projects if p.client_id == client.id
                       and (include_archived or p.active)]
            report.extend(f"project {quoted(client.name + '/' + p.name)} left out with its client"
                          for p in dropped)
    projects = sorted(
        (p for p in live.projects
         if (include_archived or p.active) and (p.client_id is None or p.client_id in kept_client_ids)),
        key=lambda p: (name_key(client_names.get(p.client_id or -1, "")), name_key(p.name)),
    )
    directory = _Directory.of(live, report)
    sections = _workspace_sections(live, directory, report)
    contents = _ProjectContents(live, directory, include_archived=include_archived, report=report)
    project_entries = []
    for project in projects:
        entry = _project_entry(project, client_names, paid=live.tier != "free")
        address = f"{entry['client']}/{project.name}" if "client" in entry else project.name
        if _holdable(entry, _PROJECT, f"project {quoted(address)}", report):
            entry.update(contents.entries(project.id, address, report))
            project_entries.append(entry)
    tags = [t.name for t in sorted(live.tags, key=lambda t: name_key(t.name))
            if _holdable(t.name, _OBJECT_NAME, f"tag {quoted(t.name)}", report)]
    return {
        "version": 1,
        "workspace": _workspace_value(live, report),
        **sections,
        "clients": client_entries,
        "projects": project_entries,
        "tags": tags,
    }


def _workspace_value(live: LiveState, report: list[str]) -> str | int:
    name = live.workspace_name
    if name and _holdable(name, _NAME, f"workspace name {quoted(name)}", report,
                          what="written as the workspace id instead"):
        return name
    return live.workspace_id


def _comment_name(name: str | None) -> str:
    return f"{quoted(name)} " if name else ""


# ---------------------------------------------------------------------------- can a spec hold it?


_CLIENT = "#/$defs/client"
_PROJECT = "#/$defs/project"
_NAME = "#/$defs/name"
_OBJECT_NAME = "#/$defs/objectName"  # a client, project or tag name: within Toggl's limits
_SETTINGS = "#/$defs/settings"
_GROUP = "#/$defs/group"
_MEMBER = "#/$defs/member"
_TASK = "#/$defs/task"
_REFERENCE_KEYS = {"group": "group name", "user": "user e-mail", "assignee": "assignee e-mail",
                   "members": "member e-mails"}
# The YAML reader the spec loader parses with.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _holdable(value: Any, pointer: str, label: str, report: list[str],
              what: str = "left out") -> bool:
    """True when the spec's schema accepts `value` and YAML reads back exactly what we write."""
    check = _checker(pointer)
    if check is not None and not check(value):
        report.append(f"{label} {what}: the spec cannot hold {_refused_part(value, pointer)}")
        return False
    beyond_schema = _beyond_schema(value)
    if beyond_schema:
        report.append(f"{label} {what}: the spec cannot hold its {beyond_schema}")
        return False
    if not _round_trips(value):
        report.append(f"{label} {what}: YAML cannot hold its text exactly (a lone UTF-16 "
                      "surrogate or a character YAML refuses)")
        return False
    return True


def _checker(pointer: str) -> Any:
    """The schema's checker for `pointer`, or None when the schema has no such part (a schema
    older than the kind: the name rules and the YAML round trip below still apply)."""
    try:
        return checker(pointer)
    except KeyError:
        return None


def _beyond_schema(value: Any) -> str | None:
    """Which part of `value` the spec's own name rules refuse (invisible characters, bytes)."""
    name = value.get("name") if isinstance(value, dict) else value
    if isinstance(name, str) and name_problem(name):
        return "name (an invisible or control character, or over Toggl's length limit)"
    # References (a member's group, e-mails) only match live names: no length limit of their own.
    for key, what in _REFERENCE_KEYS.items():
        for text in _strings(value.get(key) if isinstance(value, dict) else None):
            if name_problem(text, limited=False):
                return f"{what} (an invisible or control character)"
    notes = value.get("notes") if isinstance(value, dict) else None
    if isinstance(notes, str) and notes_problem(notes):
        return "notes (over Toggl's length limit)"
    return None


def _strings(value: Any) -> list[str]:
    """Every string in `value`, however deep (a group's member e-mails are in a list)."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def _refused_part(value: Any, pointer: str) -> str:
    if not isinstance(value, dict):
        return "its name"
    if pointer not in (_CLIENT, _PROJECT):
        return "its " + ", ".join(str(key) for key in value)
    refused = [key for key in value
               if not checker(pointer)({"name": "x", key: value[key]} if key != "name" else
                                       {"name": value["name"]})]
    return "its " + ", ".join(refused) if refused else "it"


def _round_trips(value: Any) -> bool:
    if all(text.isascii() and text.isprintable() for text in _strings(value)):
        return True  # plain ASCII: PyYAML quotes what needs quoting (`yes`, `1.0`, `: x`)
    try:
        return yaml.load(dump_yaml([value]), Loader=_YAML_LOADER) == [value]
    except (yaml.YAMLError, UnicodeError, ValueError):
        return False


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


# ---------------------------------------------------------------------------- workspace kinds
#
# Written only when the LiveState carries them (None: not read), so an export without them is
# what it has always been. Users are written by e-mail and groups by name, as a spec names them;
# what has no such name here (a user who is not in the workspace) stays unwritten, and so
# unmanaged, rather than written as something the plan would then try to change.


@dataclass(frozen=True)
class _Directory:
    """Ids of users and groups -> the e-mail and name a spec writes for them."""

    emails: Mapping[int, str]
    group_names: Mapping[int, str]
    users_read: bool = True  # False: no e-mail is known, so none is written

    @classmethod
    def of(cls, live: LiveState, report: list[str]) -> _Directory:
        users_read = live.users is not None
        if not users_read and _names_users(live):
            report.append("members, group members and assignees are not written: the "
                          "workspace's users were not read, so their e-mails are unknown")
        return cls({user.id: user.email for user in live.users or () if user.nameable},
                   {group.id: group.name for group in live.groups or ()}, users_read)


def _names_users(live: LiveState) -> bool:
    return (any(member.user_id is not None for member in live.members or ())
            or any(group.user_ids for group in live.groups or ())
            or any(task.user_id is not None for task in live.tasks or ()))


def _paid_only(key: str) -> bool:
    return key in PAID_WORKSPACE_KEYS


def _workspace_sections(live: LiveState, directory: _Directory,
                        report: list[str]) -> dict[str, Any]:
    """`settings:` and `groups:`, each only when it has something to say."""
    sections: dict[str, Any] = {}
    settings = _settings_entry(live, report)
    if settings:
        sections["settings"] = settings
    groups = _group_entries(live, directory, report)
    if groups:
        sections["groups"] = groups
    return sections


def _settings_entry(live: LiveState, report: list[str]) -> dict[str, Any]:
    """Every setting Toggl reported, in SETTINGS_FIELDS order; on a Free workspace not the
    paid-only ones (a spec naming them is a plan error there, and they cannot change)."""
    if live.settings is None:
        return {}
    free = live.tier == "free"
    entry: dict[str, Any] = {}
    for key in SETTINGS_FIELDS:
        value = live.settings.get(key)
        if value is None or (free and _paid_only(f"settings.{key}")):
            continue
        if _holdable({key: value}, _SETTINGS, f"setting {key}", report):
            entry[key] = value
    return entry


def _group_entries(live: LiveState, directory: _Directory,
                   report: list[str]) -> list[dict[str, Any]]:
    """The organization's groups attached to this workspace, by name, with their members."""
    if live.groups is None:
        return []
    attached = sorted((group for group in live.groups if live.workspace_id in group.workspace_ids),
                      key=lambda group: name_key(group.name))
    if attached and live.tier == "free" and _paid_only("groups"):
        report.append(f"{_count(len(attached), 'group')} left out: groups need a paid plan")
        return []
    entries = []
    seen: set[str] = set()
    for group in attached:
        label = f"group {quoted(group.name)}"
        entry: dict[str, Any] = {"name": group.name}
        if not _first_of_its_name(group.name, seen, label, "group of the organization", report):
            continue
        if not _holdable(entry, _GROUP, label, report):
            continue
        members = _group_members(group, directory, label, report)
        if members is not None:
            entry["members"] = members
        entries.append(entry)
    return entries


def _group_members(group: LiveGroup, directory: _Directory, label: str,
                   report: list[str]) -> list[str] | None:
    """The e-mails of its users in this workspace, sorted; None (membership not managed) when
    the users were not read. Its users in other workspaces cannot be named here, and the plan
    keeps them in the group whatever the list says."""
    if not directory.users_read and group.user_ids:
        return None  # said once, by _Directory.of
    members = sorted((directory.emails[user_id] for user_id in group.user_ids
                      if user_id in directory.emails), key=str.lower)
    if not _holdable({"name": group.name, "members": members}, _GROUP, f"{label}'s members",
                     report, what="not written"):
        return None
    return members


class _ProjectContents:
    """Each project's `members:` and `tasks:` entries, from the workspace-wide lists."""

    def __init__(self, live: LiveState, directory: _Directory, *, include_archived: bool,
                 report: list[str]) -> None:
        self.directory = directory
        self.paid = live.tier != "free"
        self.members = _by_project(live.members)
        # Tasks need a paid plan: a spec that names them is a plan error on a Free workspace.
        self.tasks = _by_project(live.tasks) if self.paid else None
        self.include_archived = include_archived
        if not self.paid and live.tasks and _paid_only("tasks"):
            report.append(f"{_count(len(live.tasks), 'task')} left out: tasks need a paid plan")

    def entries(self, project_id: int, address: str, report: list[str]) -> dict[str, Any]:
        """`members` and `tasks` for the project's entry (each only when it has any)."""
        contents: dict[str, Any] = {}
        members = self._members(project_id, address, report)
        if members:
            contents["members"] = members
        tasks = self._tasks(project_id, address, report)
        if tasks:
            contents["tasks"] = tasks
        return contents

    def _members(self, project_id: int, address: str, report: list[str]) -> list[dict[str, Any]]:
        if self.members is None:
            return []
        written: dict[tuple[int, str], dict[str, Any]] = {}
        for member in self.members.get(project_id, ()):
            entry = self._member_entry(member, address, report)
            # One entry per user or group: the spec refuses a second, and it would say nothing.
            if entry is not None:
                written.setdefault(_member_order(entry), entry)
        return [written[key] for key in sorted(written)]

    def _member_entry(self, member: LiveMember, address: str,
                      report: list[str]) -> dict[str, Any] | None:
        where = f"of project {quoted(address)}"
        if member.group_id is not None:
            group = self.directory.group_names.get(member.group_id)
            if group is None:
                report.append(f"member group (id {member.group_id}) {where} left out: no such "
                              "group in the organization")
                return None
            entry: dict[str, Any] = {"group": group}
            label = f"member group {quoted(group)} {where}"
        else:
            email = self.directory.emails.get(member.user_id or -1)
            if email is None and not self.directory.users_read:
                return None  # said once, by _Directory.of
            if email is None:
                report.append(f"member (user id {member.user_id}) {where} left out: not a user "
                              "of this workspace")
                return None
            entry = {"user": email}
            if member.manager:
                entry["manager"] = True
            if member.rate is not None and (self.paid or not _paid_only("members.rate")):
                entry["rate"] = member.rate
            label = f"member {quoted(email)} {where}"
        return entry if _holdable(entry, _MEMBER, label, report) else None

    def _tasks(self, project_id: int, address: str, report: list[str]) -> list[Any]:
        if self.tasks is None:
            return []
        tasks = sorted((task for task in self.tasks.get(project_id, ())
                        if self.include_archived or task.active),
                       key=lambda task: name_key(task.name))
        written = []
        seen: set[str] = set()
        for task in tasks:
            label = f"task {quoted(address + '/' + task.name)}"
            if not _first_of_its_name(task.name, seen, label, "task of the project", report):
                continue
            entry = self._task_entry(task, label, report)
            if _holdable(entry, _TASK, label, report):
                # A name alone is written as the shorthand, as people write it.
                written.append(entry if len(entry) > 1 else entry["name"])
        return written

    def _task_entry(self, task: LiveTask, label: str, report: list[str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": task.name}
        seconds = task.estimated_seconds
        if seconds:
            if seconds % 3600 == 0:
                entry["estimated_hours"] = seconds // 3600
            else:  # the spec holds whole hours, as Toggl's own estimates are
                report.append(f"{label}: its estimate of {seconds} s is not written (the spec "
                              "holds whole hours), so the spec leaves it as it is")
        if not task.active:
            entry["active"] = False
        if task.user_id is not None:
            email = self.directory.emails.get(task.user_id)
            if email is None and self.directory.users_read:
                report.append(f"{label}: its assignee (user id {task.user_id}) is not written "
                              "(not a user of this workspace), so the spec leaves it as it is")
            elif email is not None:
                entry["assignee"] = email
        return entry


def _first_of_its_name(name: str, seen: set[str], label: str, what: str,
                       report: list[str]) -> bool:
    """False (and said) for a second name equal to an earlier one up to letter case, which
    the spec refuses as a duplicate; Toggl keeps such names apart only by accident."""
    key = name_key(name)
    if key in seen:
        report.append(f"{label} left out: another {what} has the same name up to letter case")
        return False
    seen.add(key)
    return True


def _by_project(items: tuple[Any, ...] | None) -> dict[int, list[Any]] | None:
    if items is None:
        return None
    grouped: dict[int, list[Any]] = {}
    for item in items:
        grouped.setdefault(item.project_id, []).append(item)
    return grouped


def _member_order(entry: Mapping[str, Any]) -> tuple[int, str]:
    """Users by e-mail, then groups by name."""
    if "user" in entry:
        return (0, str(entry["user"]).lower())
    return (1, name_key(str(entry["group"])))


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _archived_tasks_left_out(live: LiveState) -> int:
    """Done tasks of the projects an export without --include-archived writes."""
    active_projects = {project.id for project in live.projects if project.active}
    return sum(1 for task in live.tasks or () if not task.active
               and task.project_id in active_projects)


def _workspace_kind_counts(spec: Mapping[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    if "groups" in spec:
        counts["groups"] = len(spec["groups"])
    for key in ("members", "tasks"):
        if any(key in project for project in spec["projects"]):
            counts[key] = sum(len(project.get(key, ())) for project in spec["projects"])
    return counts


class _Dumper(yaml.SafeDumper):
    """Block style; indents list items under their key, as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if needs_double_quotes(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
