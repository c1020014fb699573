"""Plan JSON -> Terraform-like text for a terminal.

Pure: reads the dict of `Plan.to_json()` and returns a string; the CLI decides where it goes.
"""

from __future__ import annotations

from typing import Any, Mapping

from reconciler.render.common import (
    ACTIONS,
    SYMBOLS,
    adopt_intro,
    adopt_snippet,
    bill_line,
    change_note,
    change_subject,
    compact_groups,
    compact_names,
    destroys_time_entries,
    escape_unsafe,
    kind_count,
    list_delta,
    past_verb,
    plural,
    quote_value,
    removals,
    rename_names,
    shown_fields,
    summary_line,
)
from reconciler.render.sections import text_sections

__all__ = ["change_headline", "render_text", "summary_line"]

_ANSI_COLOURS: Mapping[str, str] = {
    "create": "32",  # green
    "update": "33",  # yellow
    "rename": "36",  # cyan
    "archive": "35",  # magenta
    "restore": "34",  # blue
    "delete": "31",  # red
}
_LEGEND_WORDS: Mapping[str, str] = {
    "create": "create",
    "update": "update in place",
    "rename": "rename",
    "archive": "archive",
    "restore": "restore",
    "delete": "delete",
}
_FIELD_INDENT = " " * 6
_FUTURE = "will be "  # every headline phrase starts with it
_WARNING_LABEL = "Warning: "


# Past this many changes the summary line is repeated after the details, next to the prompt.
_REPEAT_SUMMARY_AFTER = 10


def render_text(plan: Mapping[str, Any], *, color: bool = False, compact: bool = False) -> str:
    """The whole plan, read from the top: summary and bill, removals, billing changes, warnings,
    then the details (or, with `compact`, one line per kind and action) and unmanaged objects."""
    changes = plan.get("changes") or []
    blocks = [f"{summary_line(plan)}\n{bill_line(plan)}"]
    listed = removals(plan)
    if listed:
        blocks.append(_headline_section(plural(len(listed), "object") + " will be archived or deleted:",
                                        listed, color))
    blocks.extend(block for block in [text_sections(plan)] if block)  # partial note, billing
    if plan.get("warnings"):
        blocks.append("\n".join(_warning(text, color) for text in plan["warnings"]))
    if changes and compact:
        blocks.append(_compact_section(plan, color))
    elif changes:
        blocks.append(_legend(changes, color))
        blocks.extend(_change_block(change, color) for change in changes)
    if plan.get("unmanaged"):
        blocks.append(_unmanaged_section(plan["unmanaged"], compact))
    if not compact and len(changes) > _REPEAT_SUMMARY_AFTER:
        blocks.append(summary_line(plan))
    return "\n\n".join(blocks) + "\n"


def _headline_section(title: str, listed: list[Mapping[str, Any]], color: bool) -> str:
    lines = [title]
    lines.extend("  " + change_headline(change, color=color) for change in listed)
    return "\n".join(lines)


def _compact_section(plan: Mapping[str, Any], color: bool) -> str:
    lines = ["Changes by kind and action (run without --compact for every field):"]
    for kind, action, addresses in compact_groups(plan):
        symbol = _paint(SYMBOLS[action], action, color)
        lines.append(f"  {symbol} {action} {kind_count(len(addresses), kind)}: "
                     f"{compact_names(addresses, quote_value)}")
    return "\n".join(lines)


def change_headline(change: Mapping[str, Any], *, color: bool = False, done: bool = False) -> str:
    """One line, e.g. `+ project "Globex/Website Redesign" will be created`; with `done`, as
    apply reports it: `+ project "Globex/Website Redesign" created`."""
    action = change["action"]
    symbol = _paint(SYMBOLS[action], action, color)
    subject = change_subject(change, quote_value, escape_unsafe)
    phrase = _renamed(change) if action == "rename" else _phrase(change, color)
    if done:
        phrase = phrase.replace(_FUTURE, "", 1)
    return f"{symbol} {subject} {phrase}"


def _phrase(change: Mapping[str, Any], color: bool) -> str:
    """`will be deleted (12.0 h tracked; ...)`, `will be added (manager, rate 120)`."""
    note = change_note(change, quote_value)
    if color and destroys_time_entries(change):
        note = note.replace("DESTROYED", _paint("DESTROYED", "delete", color))
    return _FUTURE + past_verb(change) + _parenthesized(note)


def _renamed(change: Mapping[str, Any]) -> str:
    old_name, new_name = rename_names(change)
    if old_name is None:
        return f"will be renamed to {quote_value(new_name)}"
    return f"will be renamed from {quote_value(old_name)} to {quote_value(new_name)}"


def _parenthesized(note: str) -> str:
    return f" ({note})" if note else ""


# ---------------------------------------------------------------- blocks


def _legend(changes: list[Mapping[str, Any]], color: bool) -> str:
    present = {change["action"] for change in changes}
    lines = ["Actions are shown with these symbols:"]
    for action in ACTIONS:
        if action in present:
            lines.append(f"  {_paint(SYMBOLS[action], action, color)} {_LEGEND_WORDS[action]}")
    return "\n".join(lines)


def _change_block(change: Mapping[str, Any], color: bool) -> str:
    lines = ["  " + change_headline(change, color=color)]
    if change.get("reason"):
        lines.append(f"{_FIELD_INDENT}# {escape_unsafe(change['reason'])}")
    for field_change in shown_fields(change):
        lines.append(_FIELD_INDENT + _field_line(change["action"], field_change, color))
    return "\n".join(lines)


def _field_line(action: str, field_change: Mapping[str, Any], color: bool) -> str:
    name = escape_unsafe(str(field_change["field"]))
    after = quote_value(field_change.get("after"))
    if action == "create":
        return f"{_paint('+', 'create', color)} {name}: {after}"
    before = quote_value(field_change.get("before"))
    delta = list_delta(field_change, quote_value)
    return f"{_paint('~', 'update', color)} {name}: {before} -> {after}" + _parenthesized(delta)


def _warning(text: str, color: bool) -> str:
    # Continuation lines line up under the first line's text.
    # Only LF is the engine's own line break; any other separator is shown escaped.
    lines = [escape_unsafe(line) for line in str(text).split("\n")]
    label = _paint(_WARNING_LABEL.rstrip(), "update", color) + " "
    indent = " " * len(_WARNING_LABEL)
    return label + ("\n" + indent).join(lines)


def _unmanaged_section(unmanaged: list[Mapping[str, Any]], compact: bool = False) -> str:
    count = len(unmanaged)
    noun, left = ("object is", "it is") if count == 1 else ("objects are", "they are")
    lines = [f"Unmanaged: {count} live {noun} not in the spec and left as {left}."]
    if compact:
        return lines[0] + " Run without --compact for the entries that would adopt them."
    for entry in unmanaged:
        subject = f"{escape_unsafe(entry['kind'])} {quote_value(entry['address'])}"
        lines.append(f"  {subject} (id {entry['id']})")
    lines.append(adopt_intro(unmanaged))
    return "\n".join(lines) + "\n\n" + adopt_snippet(unmanaged).rstrip("\n")


def _paint(text: str, action: str, color: bool) -> str:
    if not color:
        return text
    return f"\x1b[{_ANSI_COLOURS[action]}m{text}\x1b[0m"
