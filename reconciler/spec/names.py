"""Names as the spec writes them: one Unicode form, nothing invisible, within Toggl's limits.

Run on each file's plain data right after it is read, before the schema and the cross-entry
checks, so that everything after sees names in NFC (an NFD "Café" and an NFC "Café" are one
name, as they are to a reader) and no name that would reach Toggl with a character nobody can
see in a review.

Most names are printable ASCII: `isascii()` and `isprintable()` are C-speed and settle them, so
a valid spec pays next to nothing here (the spec load is on the 10k-project plan's critical path).
"""

from __future__ import annotations

import unicodedata
from typing import Any, Iterator

from reconciler.spec.source import DataPath, Issue, SpecFile

# Toggl's limits on names: its own mobile app caps tag, client and project names at 255 BYTES
# of UTF-8 (toggl/mobileapp, Toggl.Core/Helper/Constants.cs: MaxTagNameLengthInBytes = 255,
# MaxClientNameLengthInBytes, MaxProjectNameLengthInBytes). Toggl's API reference names a
# `{max_client_length}` without its value. Bytes are the conservative reading: a name within
# them is within any character limit of 255 too. The schema holds the character form
# (maxLength 255); bytes cannot be said in JSON Schema, so they are checked here.
MAX_NAME_BYTES = 255
# Client notes: no source states a limit. 3,000 bytes is the only free-text limit Toggl's own
# app states (MaxTimeEntryDescriptionLengthInBytes = 3000); chosen as a conservative bound.
MAX_NOTES_BYTES = 3000

# Cc controls have no Unicode name; these are the ones a YAML file can carry.
_CONTROL_NAMES = {
    "\t": "TAB", "\n": "LINE FEED, a line break", "\r": "CARRIAGE RETURN, a line break",
    "\x85": "NEXT LINE, a line break",
}
_SHOWN_CHARACTERS = 3  # at most this many different invisible characters named per message
# Printable to Python, yet drawn as nothing or as a blank: the Hangul fillers, the combining
# grapheme joiner, the Khmer inherent vowels (Unicode's default-ignorable letters and marks)
# and the blank braille cell. "Designers\u3164" would pass for "Designers" in any review.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u034f\u17b4\u17b5\u2800")


# What a slot holds: a name Toggl stores (held to its limits), a name that only matches live
# names (previous names, references, protection patterns), or a user's e-mail.
_LIMITED, _MATCHED, _EMAIL = "limited", "matched", "email"


def check_names(file: SpecFile) -> list[Issue]:
    """NFC-normalizes every name and e-mail of the file in place; returns those that cannot be
    used."""
    issues: list[Issue] = []
    for holder, key, path, slot in _name_slots(file.data):
        name = holder[key]
        if not isinstance(name, str) or (name.isascii() and name.isprintable()):
            continue  # ASCII: a byte is a character, so the schema's maxLength is the limit
        if name.isprintable() and not unicodedata.is_normalized("NFC", name):
            name = holder[key] = unicodedata.normalize("NFC", name)
        problem = (email_problem(name) if slot == _EMAIL
                   else name_problem(name, limited=slot == _LIMITED))
        if problem:
            issues.append(Issue(file, path, problem))
    issues += _notes_issues(file)
    return issues


def _visible(text: str) -> bool:
    """Every character is drawn as something a reviewer sees."""
    return text.isprintable() and (text.isascii() or not _BLANK_LOOKING.intersection(text))


def _hidden(character: str) -> bool:
    return not character.isprintable() or character in _BLANK_LOOKING


def email_problem(email: str) -> str | None:
    """Why a spec cannot hold this e-mail beyond the schema's shape (None when it can): a
    character nobody can see in a review (a zero-width space would make another address)."""
    if _visible(email):
        return None
    return _invisible_message(email, "e-mail")


def name_problem(name: str, *, limited: bool = True) -> str | None:
    """Why a spec cannot hold `name` beyond what the schema says (None when it can): a character
    nobody can see, or more bytes than Toggl takes. Export asks this too, so that it never
    writes a name the spec would refuse."""
    if name.isascii() and name.isprintable():
        return None
    if not _visible(name):
        return _invisible_message(name, "name")
    size = len(unicodedata.normalize("NFC", name).encode("utf-8", "surrogatepass"))
    if limited and size > MAX_NAME_BYTES:
        return _too_long_message(name, size, MAX_NAME_BYTES, "a name")
    return None


def notes_problem(notes: str) -> str | None:
    """Why a spec cannot hold these client notes beyond the schema (None when it can)."""
    if len(notes) * 4 <= MAX_NOTES_BYTES:  # cannot be over
        return None
    size = len(notes.encode("utf-8", "surrogatepass"))
    return _too_long_message(notes, size, MAX_NOTES_BYTES, "notes") if size > MAX_NOTES_BYTES else None


Slot = tuple[Any, Any, DataPath, str]


def _name_slots(data: dict[str, Any]) -> Iterator[Slot]:
    """(container, key, data path, what) for every string the spec uses as a name or e-mail.

    `what`: _LIMITED for the name of an object the plan may create or rename (held to Toggl's
    limits), _MATCHED for names that only match live names (previous names, references,
    protection patterns), _EMAIL for a user's e-mail.
    """
    for key in ("workspace", "organization"):
        if isinstance(data.get(key), str):
            yield data, key, (key,), _MATCHED
    defaults = data.get("defaults")
    project_defaults = defaults.get("project") if isinstance(defaults, dict) else None
    if isinstance(project_defaults, dict) and "client" in project_defaults:
        yield project_defaults, "client", ("defaults", "project", "client"), _MATCHED
    for section in ("clients", "projects", "tags", "groups"):
        items = data.get(section)
        if isinstance(items, list):
            yield from _list_slots(items, (section,))
    protected = data.get("protected")
    if isinstance(protected, dict):
        for section, patterns in protected.items():
            if isinstance(patterns, list):
                for index in range(len(patterns)):
                    yield patterns, index, ("protected", section, index), _MATCHED


def _list_slots(items: list[Any], path: DataPath) -> Iterator[Slot]:
    """The slots of a list of named entries (written as mappings, or tags and tasks as names)."""
    for index, item in enumerate(items):
        if isinstance(item, str):  # a tag or task written as a bare name
            if not (item.isascii() and item.isprintable()):
                yield items, index, path + (index,), _LIMITED
        elif isinstance(item, dict):
            if not _plain_entry(item):
                yield from _entry_slots(item, path + (index,))
            if "members" in item or "tasks" in item:
                yield from _inner_slots(item, path + (index,))


def _plain_entry(entry: dict[str, Any]) -> bool:
    """Nothing to check or change: the usual entry, whose names are printable ASCII."""
    name, client = entry.get("name"), entry.get("client")
    return (type(name) is str and name.isascii() and name.isprintable()
            and (client is None or (type(client) is str and client.isascii()
                                    and client.isprintable()))
            and "previous_names" not in entry and "assignee" not in entry
            and "move_from" not in entry)


def _entry_slots(entry: dict[str, Any], path: DataPath) -> Iterator[Slot]:
    if "name" in entry:
        yield entry, "name", path + ("name",), _LIMITED
    if "client" in entry:
        yield entry, "client", path + ("client",), _MATCHED
    if "move_from" in entry:  # a project's: an address, matched against live names
        yield entry, "move_from", path + ("move_from",), _MATCHED
    if "assignee" in entry:  # a task's
        yield entry, "assignee", path + ("assignee",), _EMAIL
    previous = entry.get("previous_names")
    if isinstance(previous, list):
        for index in range(len(previous)):
            yield previous, index, path + ("previous_names", index), _MATCHED


def _inner_slots(entry: dict[str, Any], path: DataPath) -> Iterator[Slot]:
    """A group's member e-mails; a project's members (e-mails, group names) and tasks."""
    members = entry.get("members")
    if isinstance(members, list):
        for index, member in enumerate(members):
            if isinstance(member, str):  # a group's member
                yield members, index, path + ("members", index), _EMAIL
            elif isinstance(member, dict):
                if "user" in member:
                    yield member, "user", path + ("members", index, "user"), _EMAIL
                if "group" in member:
                    yield member, "group", path + ("members", index, "group"), _MATCHED
    tasks = entry.get("tasks")
    if isinstance(tasks, list):
        yield from _list_slots(tasks, path + ("tasks",))


def _notes_issues(file: SpecFile) -> Iterator[Issue]:
    clients = file.data.get("clients")
    if not isinstance(clients, list):
        return
    for index, client in enumerate(clients):
        notes = client.get("notes") if isinstance(client, dict) else None
        problem = notes_problem(notes) if isinstance(notes, str) else None
        if problem:
            yield Issue(file, ("clients", index, "notes"), problem)


def _too_long_message(text: str, size: int, limit: int, what: str) -> str:
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    characters = f"{len(text):,} characters, " if size != len(text) else ""
    return (f"{shown} is {characters}{size:,} bytes in UTF-8; Toggl takes {what} of at most "
            f"{limit} bytes: shorten it")


def _invisible_message(name: str, what: str) -> str:
    found: dict[str, int] = {}
    for position, character in enumerate(name, start=1):
        if _hidden(character):
            found.setdefault(character, position)
    described = [f"{_code(character)} at character {position}"
                 for character, position in list(found.items())[:_SHOWN_CHARACTERS]]
    more = len(found) - _SHOWN_CHARACTERS
    listing = ", ".join(described) + (f" and {more} more" if more > 0 else "")
    plural = "s" if len(found) > 1 else ""
    them = "them" if plural else "it"
    advice = "(or write a plain space)" if what == "name" else "(an e-mail has no spaces)"
    return (f"{what} {_escaped(name)} contains invisible or control character{plural} "
            f"{listing}; a reviewer cannot see {them}, so two different {what}s would look the "
            f"same: remove {them} {advice}")


def _code(character: str) -> str:
    name = _CONTROL_NAMES.get(character) or unicodedata.name(character, "")
    if not name:
        name = {"Cc": "a control character", "Cn": "unassigned", "Co": "private use",
                "Cs": "a surrogate"}.get(unicodedata.category(character), "")
    if unicodedata.category(character) == "Zs":
        name += ", not a plain space"
    return f"U+{ord(character):04X}" + (f" ({name})" if name else "")


def _escaped(name: str) -> str:
    """The name quoted with every invisible character written as an escape (`\\u200b`)."""
    shown = name if len(name) <= 60 else name[:57] + "..."
    return "'" + "".join(
        _escape(character) if _hidden(character) else character for character in shown
    ) + "'"


def _escape(character: str) -> str:
    if character.isprintable():  # a blank-looking letter, which repr() would leave as it is
        return f"\\u{ord(character):04x}"
    return repr(character)[1:-1]  # \n, \x07, \xa0, \u200b: Python's spelling of it
