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
from reconciler.model import split_address
from reconciler.render.kinds import (
    KIND_WORDS,
    PROJECT_ENTRY_KEYS,
    is_known,
    kind_noun,
    known_kind,
    kind_words,
    kinds_in_order,
)
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


def bill_line(plan: Mapping[str, Any], word: Callable[[Any], str] = escape_unsafe) -> str:
    """The request bill, and the quota when Toggl reported it; then, when the plan has them
    (`reads_by_kind` / `writes_by_kind`), the requests per kind on a line of their own.

    `word` escapes what an edited plan file could put in a by-kind key (the renderer's own
    escape: `escape_unsafe` for text, `md_escape` for Markdown)."""
    bill = plan.get("bill") or {}
    line = (
        f"Requests: {plural(int(bill.get('reads', 0)), 'read')} made, "
        f"{plural(int(bill.get('writes', 0)), 'write')} to apply "
        f"(a per-object tool: {plural(int(bill.get('per_object_reads', 0)), 'read')}, "
        f"{plural(int(bill.get('per_object_writes', 0)), 'write')})."
    )
    line = f"{line} {_quota_text(bill.get('quota') or {})}"
    by_kind = _by_kind_text(bill, word)
    return f"{line}\n{by_kind}" if by_kind else line


def _by_kind_text(bill: Mapping[str, Any], word: Callable[[Any], str]) -> str:
    """`By kind: reads: projects 1, tasks 2; writes: tasks 3.`, or "" when the bill has none."""
    parts = []
    # Reads are named by listing, in the order they were made; writes by kind, in kind order.
    for label, key, ordered in (("reads", "reads_by_kind", False),
                                ("writes", "writes_by_kind", True)):
        counts = _counts_by_kind(bill.get(key), ordered)
        if counts:
            listed = ", ".join(f"{_kind_key_word(kind, word)} {count}"
                               for kind, count in counts)
            parts.append(f"{label}: {listed}")
    return f"By kind: {'; '.join(parts)}." if parts else ""


def _counts_by_kind(value: Any, ordered: bool = True) -> list[tuple[str, int]]:
    """(kind, count) in kind order (or as given); anything that is not a count is ignored."""
    if not isinstance(value, Mapping):
        return []
    counts: dict[str, int] = {}
    for key, count in value.items():
        if isinstance(count, int) and not isinstance(count, bool):
            # Keys name a kind ("task") or its plural ("tasks", as reads are billed), or a
            # read that is no kind ("users").
            kind = known_kind(str(key)) or str(key)
            counts[kind] = counts.get(kind, 0) + count
    return [(kind, counts[kind]) for kind in (kinds_in_order(counts) if ordered else counts)]


def _kind_key_word(kind: str, word: Callable[[Any], str]) -> str:
    """A kind in its plural, anything else as it is, escaped."""
    return word(kind_words(kind).plural if is_known(kind) else kind)


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
    kinds = kinds_in_order(kind for kind, _ in groups)
    return [(kind, action, groups[(kind, action)])
            for kind, action in sorted(groups, key=lambda key: (kinds.index(key[0]),
                                                                ACTIONS.index(key[1])))]


def kind_count(count: int, kind: str, word: Callable[[Any], str] = escape_unsafe) -> str:
    """`3 tasks`, `1 settings`: the count with the kind's own noun, escaped by `word`."""
    return f"{count} {word(kind_noun(kind, count))}"


def compact_names(addresses: list[Any], quote: Callable[[Any], str]) -> str:
    """`"A", "B", "C" and 277 more`, each name through the renderer's own `quote`."""
    names = ", ".join(quote(address) for address in addresses[:COMPACT_NAMES])
    left = len(addresses) - COMPACT_NAMES
    return f"{names} and {left} more" if left > 0 else names


# ---------------------------------------------------------------- per-change wording
#
# What is said of a change beyond its action: its subject (`member "ana@acme.test" on
# "Globex/Website Redesign"`), the verb where the action word would mislead (a member is added
# or removed; a group may only be detached), and the note in parentheses (blast radius, what a
# restore brings back, a new member's role). Each renderer passes its own escapes: `name` for a
# user-chosen value, `word` for the plan's own words (an edited plan file could hold anything).

Escape = Callable[[Any], str]


def change_subject(change: Mapping[str, Any], name: Escape, word: Escape) -> str:
    """`project "Globex/Site"`, `task "Wireframes" in "Globex/Site"`, `settings of workspace
    "Acme"`: the kind and what the change acts on, each value through `name`."""
    describe = _SUBJECTS.get(str(change["kind"]))
    if describe is None:
        return f"{word(change['kind'])} {name(change['address'])}"
    return describe(change, name, word)


def parent_address(change: Mapping[str, Any]) -> str:
    """The project a task or member belongs to: its `parent`, or its address minus the last
    part (plans made before `parent` existed)."""
    if change.get("parent"):
        return str(change["parent"])
    address = str(change["address"])
    cut = _last_separator(address)
    return address[:cut] if cut > 0 else address


def _last_separator(address: str) -> int:
    """Index of the last `/` no backslash escapes, or -1."""
    last, index = -1, 0
    while index < len(address):
        if address[index] == "\\":
            index += 2
            continue
        if address[index] == "/":
            last = index
        index += 1
    return last


def _settings_subject(change: Mapping[str, Any], name: Escape, word: Escape) -> str:
    workspace = change.get("name")
    return f"{word('settings')} of workspace {name(workspace)}" if workspace else word("settings")


def _member_subject(change: Mapping[str, Any], name: Escape, word: Escape) -> str:
    group = "group " if is_group_member(change) else ""
    return f"{word('member')} {group}{name(change['name'])} on {name(parent_address(change))}"


def _task_subject(change: Mapping[str, Any], name: Escape, word: Escape) -> str:
    return f"{word('task')} {name(change['name'])} in {name(parent_address(change))}"


_SUBJECTS: Mapping[str, Callable[[Mapping[str, Any], Escape, Escape], str]] = {
    "settings": _settings_subject,
    "member": _member_subject,
    "task": _task_subject,
}


def is_group_member(change: Mapping[str, Any]) -> bool:
    options = change.get("options") or {}
    if options.get("member") in ("user", "group"):
        return options["member"] == "group"
    return "/group:" in str(change.get("address", ""))


def group_removal(change: Mapping[str, Any]) -> str | None:
    """`delete` or `detach` for a group removal that says which; None otherwise."""
    if change["kind"] != "group" or change["action"] != "delete":
        return None
    mode = (change.get("options") or {}).get("group_removal")
    return mode if mode in ("delete", "detach") else None


# Verbs where the action word would mislead: (imperative, past) per (kind, action).
_VERBS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("member", "create"): ("add", "added"),
    ("member", "delete"): ("remove", "removed"),
}
_PAST: Mapping[str, str] = {
    "create": "created", "update": "updated in place", "rename": "renamed",
    "archive": "archived", "restore": "restored", "delete": "deleted",
}


def action_verb(change: Mapping[str, Any]) -> str:
    """The imperative for Markdown lines: `add member ...`, `detach group ...`."""
    if group_removal(change) == "detach":
        return "detach"
    verbs = _VERBS.get((str(change["kind"]), str(change["action"])))
    return verbs[0] if verbs else str(change["action"])


def past_verb(change: Mapping[str, Any]) -> str:
    """What `will be ...` says: `created`, `added`, `detached from this workspace`."""
    removal = group_removal(change)
    if removal == "detach":
        return "detached from this workspace"
    if removal == "delete":
        return "deleted from the organization"
    verbs = _VERBS.get((str(change["kind"]), str(change["action"])))
    return verbs[1] if verbs else _PAST[str(change["action"])]


def rename_names(change: Mapping[str, Any]) -> tuple[Any, Any]:
    """(old name, new name) of a rename, from its `name` field change."""
    for field_change in change.get("fields") or ():
        if field_change["field"] == "name":
            return field_change.get("before"), field_change.get("after")
    return None, change.get("name")


def shown_fields(change: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The field changes to list under a change; a rename's `name`, and a create's when it is
    the name the headline shows, are already in its headline."""
    fields = change.get("fields") or ()
    if change["action"] == "rename":
        return [field for field in fields if field["field"] != "name"]
    if change["action"] == "create":
        return [field for field in fields
                if not (field["field"] == "name" and field.get("after") == change.get("name"))]
    return list(fields)


# List fields whose change is also told as what it adds and removes: in a long member list,
# the one e-mail that goes is what a reviewer must not miss.
_LIST_DELTA_FIELDS = frozenset({"members"})


def list_delta(field_change: Mapping[str, Any], name: Escape) -> str:
    """`adds "bo@acme.test"; removes "cy@acme.test"` for a group's `members`, or ""."""
    before, after = field_change.get("before"), field_change.get("after")
    if (field_change.get("field") not in _LIST_DELTA_FIELDS or not isinstance(before, list)
            or not isinstance(after, list)):
        return ""
    added = [item for item in after if item not in before]
    removed = [item for item in before if item not in after]
    parts = []
    if added:
        parts.append("adds " + ", ".join(name(item) for item in added))
    if removed:
        parts.append("removes " + ", ".join(name(item) for item in removed))
    return "; ".join(parts)


def destroys_time_entries(change: Mapping[str, Any]) -> bool:
    options = change.get("options") or {}
    return change["action"] == "delete" and options.get("te_deletion_mode") == "delete"


def change_note(change: Mapping[str, Any], name: Escape | None = None) -> str:
    """The note in parentheses after a headline ("" for none): a removal's blast radius, what
    a restore brings back, a new member's role, a new workspace's organization, a group being
    attached to this workspace."""
    action = change["action"]
    if action in REMOVALS:
        return removal_note(change)
    if action == "restore":
        return restore_note(change)
    if action == "create":
        return create_note(change, name or quote_value)
    if action in ("update", "rename") and _attaches_group(change):
        return "attached to this workspace"
    return ""


def _attaches_group(change: Mapping[str, Any]) -> bool:
    """A group of the organization that this plan attaches to this workspace."""
    return change["kind"] == "group" and any(
        field["field"] == "attached" and field.get("after") is True
        for field in change.get("fields") or ())


def removal_note(change: Mapping[str, Any]) -> str:
    """Blast radius of an archive or delete: `takes 4 projects along, 312.5 h tracked`."""
    blast = ", ".join(_blast_parts(change))
    # A group's fate (deleted or only detached) comes first: it says what the count means.
    pieces = ([_group_fate(change), blast] if group_removal(change)
              else [blast, _time_entries_fate(change)])
    return "; ".join(piece for piece in pieces if piece)


def _blast_parts(change: Mapping[str, Any]) -> list[str]:
    blast = change.get("blast")
    if blast is None:
        return []
    if change["kind"] in _PEOPLE_KINDS:
        return [people_losing_access(int(blast.get("people", 0)))]
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


# Kinds whose removal costs people their access to projects, not tracked time.
_PEOPLE_KINDS = frozenset({"member", "group"})


def people_losing_access(count: int) -> str:
    return "1 person loses access" if count == 1 else f"{count} people lose access"


def _group_fate(change: Mapping[str, Any]) -> str:
    removal = group_removal(change)
    if removal == "delete":
        return "it is attached to no other workspace"
    if removal == "detach":
        return "it stays in the organization for its other workspaces"
    return ""


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


def create_note(change: Mapping[str, Any], name: Escape) -> str:
    """A new member's role (`manager, rate 120`), a new workspace's organization."""
    if change["kind"] == "member":
        values = {field["field"]: field.get("after") for field in change.get("fields") or ()}
        parts = ["manager" if values.get("manager") else ""]
        if values.get("rate") is not None:
            parts.append(f"rate {name(values['rate'])}")
        return ", ".join(part for part in parts if part)
    if change["kind"] == "workspace":
        organization = (change.get("options") or {}).get("organization_id")
        return f"in organization {name(organization)}" if organization is not None else ""
    return ""


# ---------------------------------------------------------------- unmanaged objects


def adopt_snippet(unmanaged: Iterable[Mapping[str, Any]]) -> str:
    """Spec YAML that would adopt the unmanaged objects, grouped under clients/projects/tags/
    groups; members and tasks under the entry of their project (a short one, `name` and
    `client`, to merge into the spec's own entry for it, unless that project is adopted too)."""
    grouped: dict[str, list[Any]] = {}
    entries = list(unmanaged)
    for kind in kinds_in_order(entry["kind"] for entry in entries):
        section = kind_words(kind).section
        if section:
            grouped[section] = [_copied(entry["spec"]) for entry in entries
                                if entry["kind"] == kind]
    _add_project_contents(grouped, entries)
    if not grouped:
        return ""
    text = yaml.dump(grouped, Dumper=_SafeTextDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=NO_FOLDING)
    # PyYAML leaves bidi characters raw even in double quotes; only double-quoted scalars can
    # hold them (the representer below forces that style), and YAML reads `\uXXXX` there as the
    # character itself, so escaping them line by line keeps the snippet equal to the entries.
    return "\n".join(yaml_line_escape(line) for line in text.split("\n"))


def adopt_intro(unmanaged: Iterable[Mapping[str, Any]]) -> str:
    """The sentence before the snippet; members and tasks go into an entry the spec has."""
    if any(entry["kind"] in PROJECT_ENTRY_KEYS for entry in unmanaged):
        return ("To manage them, add these entries to the spec (members and tasks into their "
                "project's own entry):")
    return "To manage them, add these entries to the spec:"


def _copied(spec: Any) -> Any:
    # The snippet adds members and tasks to project entries: never to the plan's own dicts.
    return dict(spec) if isinstance(spec, Mapping) else spec


def _add_project_contents(grouped: dict[str, list[Any]], entries: list[Mapping[str, Any]]) -> None:
    """Members and tasks into their adopted project's entry, or into a short one of their own."""
    section = kind_words("project").section or "projects"
    projects: list[Any] = grouped.get(section, [])
    adopted = {entry["address"]: spec for entry, spec in
               zip((entry for entry in entries if entry["kind"] == "project"), projects)
               if isinstance(spec, dict)}
    stubs: dict[str, dict[str, Any]] = {}
    for entry in entries:
        key = PROJECT_ENTRY_KEYS.get(entry["kind"])
        if key is None:
            continue
        address = parent_address(entry)
        target = adopted.get(address) or stubs.setdefault(address, _project_stub(address))
        target.setdefault(key, []).append(entry["spec"])
    if stubs:
        grouped[section] = projects + list(stubs.values())
        ordered = {name: grouped[name] for name in _section_order(grouped)}
        grouped.clear()
        grouped.update(ordered)


def _section_order(grouped: Mapping[str, Any]) -> list[str]:
    sections = [words.section for words in KIND_WORDS.values() if words.section]
    return sorted(grouped, key=lambda name: sections.index(name) if name in sections
                  else len(sections))


def _project_stub(address: str) -> dict[str, Any]:
    client, name = split_address(address)
    return {"name": name, "client": client} if client is not None else {"name": name}


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
