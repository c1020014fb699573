"""`export`: a live workspace as a version-1 spec (pure: LiveState in, YAML text out).

Two guarantees, both tested: `plan` on the exported file reports no changes, and applying it to
an empty workspace reproduces the source's clients, projects, tags and their managed fields.
Only fields that carry information are written (paid-plan fields where set), in a stable order.

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
from reconciler.model import LiveProject, LiveState, name_key
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
    written: Mapping[str, int] = field(default_factory=dict)  # "clients"/"projects"/"tags" -> count
    archived_left_out: Mapping[str, int] = field(default_factory=dict)  # without --include-archived


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
    archived = {} if include_archived else {
        "clients": sum(1 for client in live.clients if client.archived),
        "projects": sum(1 for project in live.projects if not project.active),
    }
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
    project_entries = []
    for project in projects:
        entry = _project_entry(project, client_names, paid=live.tier != "free")
        address = f"{entry['client']}/{project.name}" if "client" in entry else project.name
        if _holdable(entry, _PROJECT, f"project {quoted(address)}", report):
            project_entries.append(entry)
    tags = [t.name for t in sorted(live.tags, key=lambda t: name_key(t.name))
            if _holdable(t.name, _OBJECT_NAME, f"tag {quoted(t.name)}", report)]
    return {
        "version": 1,
        "workspace": _workspace_value(live, report),
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
# The YAML reader the spec loader parses with.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _holdable(value: Any, pointer: str, label: str, report: list[str],
              what: str = "left out") -> bool:
    """True when the spec's schema accepts `value` and YAML reads back exactly what we write."""
    if not checker(pointer)(value):
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


def _beyond_schema(value: Any) -> str | None:
    """Which part of `value` the spec's own name rules refuse (invisible characters, bytes)."""
    name = value.get("name") if isinstance(value, dict) else value
    if isinstance(name, str) and name_problem(name):
        return "name (an invisible or control character, or over Toggl's length limit)"
    notes = value.get("notes") if isinstance(value, dict) else None
    if isinstance(notes, str) and notes_problem(notes):
        return "notes (over Toggl's length limit)"
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [item for item in value.values() if isinstance(item, str)]
    return [value] if isinstance(value, str) else []


def _refused_part(value: Any, pointer: str) -> str:
    if not isinstance(value, dict):
        return "its name"
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


class _Dumper(yaml.SafeDumper):
    """Block style; indents list items under their key, as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if needs_double_quotes(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
