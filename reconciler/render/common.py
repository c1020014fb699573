"""Wording shared by the text and Markdown renderers.

Everything here reads the plan's JSON form (`Plan.to_json()`), never the Plan objects, so a
renderer can only show what a saved plan file holds. Names are user data: every helper that
puts one into output first makes control and bidirectional characters visible (`\\u001b`), so a
name can neither drive the terminal nor reorder the text around it.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Mapping

import yaml

from reconciler.durations import duration
from reconciler.model import KIND_SECTIONS, KINDS
from reconciler.untrusted import UNSAFE_CHARS, escape_chars, shown

# The order of the summary line, the legend and the Markdown counts table.
ACTIONS: tuple[str, ...] = ("create", "update", "rename", "archive", "restore", "delete")
SYMBOLS: Mapping[str, str] = {
    "create": "+",
    "update": "~",
    "rename": ">",
    "archive": "v",
    "restore": "^",
    "delete": "-",
}
# Dumped YAML never folds a long string: a continuation line could start with `::`, which a CI
# log runs as a command. PyYAML takes any width; this one is larger than any name.
NO_FOLDING = 1 << 30
# An HTML comment opener, as in the workflow's sticky-comment marker: never written raw, even in
# a code block, so that no name can spell the marker.
HTML_COMMENT = "<!--"
REMOVALS: frozenset[str] = frozenset({"archive", "delete"})

# What `escape_unsafe` rewrites (reconciler.untrusted): controls, separators, bidi characters,
# lone surrogates and invisible format characters.
_UNSAFE_CHARS = UNSAFE_CHARS


def escape_unsafe(text: str) -> str:
    """`text` with every control, bidi or invisible character shown as a `\\uXXXX` escape, and
    CI-log commands (`##[`, a leading `::`) broken: safe on a terminal and in a CI log."""
    return shown(text)


def quote_value(value: Any) -> str:
    """A field value as JSON (strings quoted, `null`, `[..]`), safe to show on a terminal."""
    return escape_unsafe(json.dumps(value, ensure_ascii=False, default=str))


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


# ---------------------------------------------------------------- plan-level lines


def action_counts(plan: Mapping[str, Any]) -> dict[str, int]:
    """The counts of `plan["summary"]`, every action present (0 when the summary omits it)."""
    summary = plan.get("summary") or {}
    return {action: int(summary.get(action, 0)) for action in ACTIONS}


def change_total(plan: Mapping[str, Any]) -> int:
    summary = plan.get("summary") or {}
    return int(summary.get("total", sum(action_counts(plan).values())))


def summary_line(plan: Mapping[str, Any]) -> str:
    """`Plan: 3 to create, ...` from `plan["summary"]`, or the no-changes sentence."""
    if change_total(plan) == 0:
        return "No changes. The workspace matches the spec."
    counts = action_counts(plan)
    return "Plan: " + ", ".join(f"{counts[action]} to {action}" for action in ACTIONS) + "."


def bill_line(plan: Mapping[str, Any]) -> str:
    """The request bill, and the quota when Toggl reported it."""
    bill = plan.get("bill") or {}
    line = (
        f"Requests: {plural(int(bill.get('reads', 0)), 'read')} made, "
        f"{plural(int(bill.get('writes', 0)), 'write')} to apply "
        f"(a per-object tool: {plural(int(bill.get('per_object_reads', 0)), 'read')}, "
        f"{plural(int(bill.get('per_object_writes', 0)), 'write')})."
    )
    return f"{line} {_quota_text(bill.get('quota') or {})}"


# Said when no answer carried quota headers (Toggl sends them on most answers; the sandbox only
# when it is given a quota): the reader learns that nothing is known, not that nothing is left.
NO_QUOTA_REPORTED = "Quota: Toggl reported none."


def _quota_text(quota: Mapping[str, Any]) -> str:
    parts = []
    if quota.get("remaining") is not None:
        parts.append(f"{quota['remaining']} left")
    if quota.get("resets_in") is not None:
        parts.append(f"resets in {duration(quota['resets_in'])}")
    return "Quota: " + ", ".join(parts) + "." if parts else NO_QUOTA_REPORTED


# ---------------------------------------------------------------- reading order


def removals(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Archives and deletes, in plan order: what a reviewer must see before anything else."""
    return [change for change in plan.get("changes") or () if change["action"] in REMOVALS]


def billing_changes(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Changes the engine flags `"billing": true` (rates, billable, currency: what invoices
    read), shown right after the removals. Plans made before the flag existed have none."""
    return [change for change in plan.get("changes") or () if change.get("billing") is True]


# How many names a compact line shows before "and N more".
COMPACT_NAMES = 3


def compact_groups(plan: Mapping[str, Any]) -> list[tuple[str, str, list[Any]]]:
    """(kind, action, addresses) per kind and action present, in kind then action order."""
    groups: dict[tuple[str, str], list[Any]] = {}
    for change in plan.get("changes") or ():
        groups.setdefault((change["kind"], change["action"]), []).append(change["address"])
    order = {kind: index for index, kind in enumerate(KINDS)}
    return [(kind, action, groups[(kind, action)])
            for kind, action in sorted(groups, key=lambda key: (order.get(key[0], len(order)),
                                                                ACTIONS.index(key[1])))]


def compact_names(addresses: list[Any], quote: Callable[[Any], str]) -> str:
    """`"A", "B", "C" and 277 more`, each name through the renderer's own `quote`."""
    names = ", ".join(quote(address) for address in addresses[:COMPACT_NAMES])
    left = len(addresses) - COMPACT_NAMES
    return f"{names} and {left} more" if left > 0 else names


# ---------------------------------------------------------------- per-change wording


def rename_names(change: Mapping[str, Any]) -> tuple[Any, Any]:
    """(old name, new name) of a rename, from its `name` field change."""
    for field_change in change.get("fields") or ():
        if field_change["field"] == "name":
            return field_change.get("before"), field_change.get("after")
    return None, change.get("name")


def shown_fields(change: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The field changes to list under a change; a rename's `name` is already in its headline."""
    fields = change.get("fields") or ()
    if change["action"] == "rename":
        return [field for field in fields if field["field"] != "name"]
    return list(fields)


def destroys_time_entries(change: Mapping[str, Any]) -> bool:
    options = change.get("options") or {}
    return change["action"] == "delete" and options.get("te_deletion_mode") == "delete"


def removal_note(change: Mapping[str, Any]) -> str:
    """Blast radius of an archive or delete: `takes 4 projects along, 312.5 h tracked`."""
    parts = _blast_parts(change)
    fate = _time_entries_fate(change)
    note = ", ".join(parts)
    if fate:
        note = f"{note}; {fate}" if note else fate
    return note


def _blast_parts(change: Mapping[str, Any]) -> list[str]:
    blast = change.get("blast")
    if blast is None:
        return []
    parts = []
    if change["kind"] == "client":
        projects = int(blast.get("projects", 0))
        # Toggl archives a client's projects with it, but a deleted client's projects survive.
        if change["action"] == "archive":
            parts.append(f"takes {plural(projects, 'project')} along")
        else:
            parts.append(f"{plural(projects, 'project')} kept without a client")
    parts.append(f"{hours(int(blast.get('tracked_seconds', 0)))} tracked")
    return parts


def _time_entries_fate(change: Mapping[str, Any]) -> str:
    if change["action"] != "delete" or change["kind"] != "project":
        return ""
    mode = (change.get("options") or {}).get("te_deletion_mode")
    if mode == "delete":
        return "its time entries will be DESTROYED"
    if mode == "unassign":
        return "its time entries are kept, without a project"
    return ""


def restore_note(change: Mapping[str, Any]) -> str:
    """How many archived projects a client restore brings back."""
    options = change.get("options") or {}
    if change["kind"] != "client" or "restore_project_ids" not in options:
        return ""
    count = len(options["restore_project_ids"] or ())
    if count == 0:
        return "its archived projects stay archived"
    verb = "comes" if count == 1 else "come"
    return f"{plural(count, 'project')} {verb} back with it"


# ---------------------------------------------------------------- unmanaged objects


def adopt_snippet(unmanaged: Iterable[Mapping[str, Any]]) -> str:
    """Spec YAML that would adopt the unmanaged objects, grouped under clients/projects/tags."""
    grouped: dict[str, list[Any]] = {}
    entries = list(unmanaged)
    for kind in KINDS:
        section = [entry["spec"] for entry in entries if entry["kind"] == kind]
        if section:
            grouped[KIND_SECTIONS[kind]] = section
    if not grouped:
        return ""
    text = yaml.dump(grouped, Dumper=_SafeTextDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=NO_FOLDING)
    # PyYAML leaves bidi characters raw even in double quotes; only double-quoted scalars can
    # hold them (the representer below forces that style), and YAML reads `\uXXXX` there as the
    # character itself, so escaping them line by line keeps the snippet equal to the entries.
    return "\n".join(yaml_line_escape(line) for line in text.split("\n"))


def yaml_line_escape(line: str) -> str:
    """A line of YAML dumped with `_SafeTextDumper`, escaped for a terminal without changing its
    meaning: every character it rewrites sits in a double-quoted scalar, where YAML reads
    `\\uXXXX` and `\\x23` back as the character itself."""
    return escape_chars(line).replace("##[", "#\\x23[").replace(HTML_COMMENT, "\\x3c!--")


class _SafeTextDumper(yaml.SafeDumper):
    """SafeDumper that double-quotes strings holding characters `escape_unsafe` rewrites, and
    indents list items under their key (`clients:\n  - name: ...`) as the examples and export
    do, so that the entries paste into an existing list."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def needs_double_quotes(value: str) -> bool:
    """Strings YAML can only hold exactly, and safely for a CI log, in double quotes."""
    return (bool(_UNSAFE_CHARS.search(value)) or "##[" in value or HTML_COMMENT in value
            or value.lstrip().startswith("::"))


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if needs_double_quotes(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_SafeTextDumper.add_representer(str, _represent_str)
