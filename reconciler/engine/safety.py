"""Safety checks on a plan: protected objects and octoDNS-style removal thresholds (pure).

Protection is consulted by the planner, which drops any archive or delete of a protected
object and refuses a plan that would leave a protected object where no pattern covers it.
Thresholds are checked by the shell after planning, so that `--force` can skip them.

Pattern language (`protected:` lists), matched against an object's name and its address
(`model.project_address`, where a `/` inside a name is written `\\/`):
- A pattern equal to the object's name or address, ignoring case (`model.name_key`),
  protects it, whatever characters it holds: `"[Internal] Ops"` protects that client.
- Otherwise it is a glob: `*` any run of characters (the client separator included, so
  `Globex*` covers Globex's projects too), `?` one character of a name, `[...]` / `[!...]`
  one character of a set. A backslash makes the next character literal: `\\/` a `/`
  inside a name, `\\*`, `\\?`, `\\[`, and `\\\\` a backslash.
- Case is ignored as everywhere (`name_key`). A project is also protected by a
  `protected.clients` pattern that covers its client.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import KIND_SECTIONS, KINDS, DesiredState, Kind, LiveState, SafetyLimits
from reconciler.model import escape_name, name_key, object_address
from reconciler.untrusted import quoted

_REMEDY = "Check the plan, then re-run with --force, or raise safety.{setting} in the spec."
# One character of a name inside an escaped address: an escape pair, or anything but the
# separator and the backslash.
_NAME_CHAR = r"(?:\\.|[^\\/])"
_ANY_RUN = r"(?:\\.|[^\\])*"


class Protector(NamedTuple):
    """The pattern that protects an object, and the `protected:` list it is written in."""

    pattern: str
    section: str  # clients, projects or tags

    def describe(self, kind: Kind) -> str:
        if self.section == KIND_SECTIONS[kind]:
            return f"{quoted(self.pattern)}"
        return f"{quoted(self.pattern)} (protected.{self.section}: its client is protected)"


@lru_cache(maxsize=4096)
def compiled_glob(pattern_key: str) -> re.Pattern[str]:
    """The regex of a (case-folded) pattern, matched against a (case-folded) escaped address."""
    parts: list[str] = []
    index = 0
    while index < len(pattern_key):
        char = pattern_key[index]
        index += 1
        if char == "\\" and index < len(pattern_key):
            literal = pattern_key[index]
            index += 1
            parts.append(re.escape(escape_name(literal)))
        elif char == "*":
            parts.append(_ANY_RUN)
        elif char == "?":
            parts.append(_NAME_CHAR)
        elif char == "[" and (end := _class_end(pattern_key, index)) > 0:
            parts.append(_char_class(pattern_key[index:end]))
            index = end + 1
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _class_end(pattern: str, start: int) -> int:
    """Index of the `]` closing a set opened before `start`, or -1 (then `[` is literal)."""
    index = start + (1 if start < len(pattern) and pattern[start] == "!" else 0)
    index += 1 if index < len(pattern) and pattern[index] == "]" else 0
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
            continue
        if pattern[index] == "]":
            return index
        index += 1
    return -1


def _char_class(body: str) -> str:
    negate = body.startswith("!")
    body = body[1:] if negate else body
    members = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            char = body[index + 1]
            index += 1
        members.append("-" if char == "-" and 0 < index < len(body) - 1 else re.escape(char))
        index += 1
    chars = "".join(members)
    one = f"[{'^' if negate else ''}{chars}]"
    # A set matches one character of a name: a plain one, or an escaped `\\` or `/`.
    return f"(?:(?![\\\\/]){one}|\\\\(?=[\\\\/]){one})"


def pattern_covers(pattern: str, name: str, address: str) -> bool:
    """Whether one pattern covers an object of this name and (escaped) address."""
    pattern_key = name_key(pattern)
    name_folded, address_folded = name_key(name), name_key(address)
    if pattern_key in (name_folded, address_folded):
        return True
    glob = compiled_glob(pattern_key)
    return bool(glob.fullmatch(address_folded) or glob.fullmatch(name_key(escape_name(name))))


def protecting_pattern(
    desired: DesiredState, kind: Kind, name: str, client: str | None = None
) -> Protector | None:
    """The first `protected` pattern that covers this object, if any (see the module notes).

    A project pattern may name the project alone or its `Client/Project` address; a project
    is also covered by a client pattern that covers its client.
    """
    address = object_address(kind, name, client)
    for pattern in desired.protected.get(kind, ()):
        if pattern_covers(pattern, name, address):
            return Protector(pattern, KIND_SECTIONS[kind])
    if kind == "project" and client is not None:
        for pattern in desired.protected.get("client", ()):
            if pattern_covers(pattern, client, escape_name(client)):
                return Protector(pattern, KIND_SECTIONS["client"])
    return None


def is_protected(desired: DesiredState, kind: Kind, name: str, client: str | None = None) -> bool:
    return protecting_pattern(desired, kind, name, client) is not None


def has_patterns(desired: DesiredState, kind: Kind) -> bool:
    """Whether any pattern could protect an object of this kind (projects: via clients too)."""
    if desired.protected.get(kind):
        return True
    return kind == "project" and bool(desired.protected.get("client"))


def removal_counts(plan: Plan) -> dict[Kind, int]:
    """Objects each kind loses to archives, deletes and moves, including projects that client
    archives take along (a client archive archives its active projects in Toggl).

    A project moved to another client leaves its old client with its tracked time: it counts
    like a removal, so a spec cannot move a workspace's projects wholesale past the limits.
    """
    counts: dict[Kind, int] = {kind: 0 for kind in KINDS}
    for change in plan.changes:
        if change.action.is_removal or is_move(change):
            counts[change.kind] += 1
        if _takes_projects_along(change):
            counts["project"] += change.blast.projects if change.blast else 0
    return counts


def is_move(change: Change) -> bool:
    """An existing project that changes client (not a removal: it keeps its time)."""
    return (
        change.kind == "project"
        and change.live_id is not None
        and not change.action.is_removal
        and any(field.field == "client" for field in change.fields)
    )


def _takes_projects_along(change: Change) -> bool:
    # A client delete leaves its projects in place (without a client): not a removal of them.
    return change.kind == "client" and change.action is Action.ARCHIVE


def check_thresholds(plan: Plan, live: LiveState, limits: SafetyLimits) -> list[str]:
    """One message per limit the plan goes over; an empty list means the plan is within limits."""
    counts = removal_counts(plan)
    moves = sum(1 for change in plan.changes if is_move(change))
    live_counts: dict[Kind, int] = {
        "client": len(live.clients),
        "project": len(live.projects),
        "tag": len(live.tags),
    }
    problems = [
        message
        for kind in KINDS
        if (message := _percent_problem(kind, counts[kind], live_counts[kind], limits,
                                        moves if kind == "project" else 0))
    ]
    total = sum(counts.values())
    if total > limits.max_removals:
        problems.append(_total_problem(counts, total, limits, moves))
    return problems


def _moves_note(moves: int) -> str:
    return f", {moves} of them moves to another client" if moves else ""


def _percent_problem(
    kind: Kind, removals: int, existing: int, limits: SafetyLimits, moves: int = 0
) -> str:
    # Small workspaces are exempt: removing 2 of 3 tags is 67% but rarely a disaster.
    if existing == 0 or existing < limits.min_existing:
        return ""
    percent = 100.0 * removals / existing
    if percent <= limits.max_removal_percent:
        return ""
    return (
        f"Too many {kind} removals: {percent:.1f}% is over {limits.max_removal_percent:g}% "
        f"({removals} of {existing} live {KIND_SECTIONS[kind]}{_moves_note(moves)}). "
        + _REMEDY.format(setting="max_removal_percent")
    )


def _total_problem(counts: dict[Kind, int], total: int, limits: SafetyLimits, moves: int) -> str:
    parts = ", ".join(f"{counts[kind]} {KIND_SECTIONS[kind]}" for kind in KINDS)
    what = "archives, deletes and moves" if moves else "archives and deletes"
    return (
        f"Too many removals: {total} {what} is over {limits.max_removals} "
        f"({parts}{_moves_note(moves)}). " + _REMEDY.format(setting="max_removals")
    )
