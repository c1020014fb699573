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
- Tasks and members live inside a project: their address is the project's address, a `/`,
  and the task's escaped name (`Globex/Website/Wireframes`) or the member's key
  (`Globex/Website/user:ana@acme.test`, `Globex/Website/group:Designers`), so
  `protected.tasks: ["Globex/Website/*"]` covers every task of that project. Groups are
  protected by name like tags.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from reconciler.engine.plan import Action, Change, Plan
from reconciler.model import (
    KIND_SECTIONS,
    KINDS,
    WORKSPACE_KIND_SECTIONS,
    DesiredState,
    Kind,
    LiveState,
    SafetyLimits,
)
from reconciler.model import escape_name, name_key, object_address
from reconciler.untrusted import quoted

_SECTIONS: dict[Kind, str] = {**KIND_SECTIONS, **WORKSPACE_KIND_SECTIONS}
# Kinds whose removals the thresholds count besides the first three, when the plan read them.
_WORKSPACE_REMOVAL_KINDS: tuple[Kind, ...] = ("group", "member", "task")
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
        if self.section == _SECTIONS[kind]:
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
    address = protected_address(kind, name, client)
    for pattern in desired.protected.get(kind, ()):
        if pattern_covers(pattern, name, address):
            return Protector(pattern, _SECTIONS[kind])
    if kind == "project" and client is not None:
        for pattern in desired.protected.get("client", ()):
            if pattern_covers(pattern, client, escape_name(client)):
                return Protector(pattern, KIND_SECTIONS["client"])
    return None


def protected_address(kind: Kind, name: str, parent: str | None = None) -> str:
    """The address protection patterns match: a task's `Project address/escaped name`, a
    member's `Project address/user:e-mail` (`name` is its member key), else `object_address`
    (`parent` is a project's client, or the project address of a task or member)."""
    if kind == "task":
        return f"{parent}/{escape_name(name)}" if parent is not None else escape_name(name)
    if kind == "member":
        return f"{parent}/{name}" if parent is not None else name
    return object_address(kind, name, parent)


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
            counts[change.kind] = counts.get(change.kind, 0) + 1
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
        **_workspace_kind_counts(live),
    }
    kinds = (*KINDS, *(kind for kind in _WORKSPACE_REMOVAL_KINDS if kind in live_counts))
    problems = [
        message
        for kind in kinds
        if (message := _percent_problem(kind, counts.get(kind, 0), live_counts[kind], limits,
                                        moves if kind == "project" else 0))
    ]
    total = sum(counts.get(kind, 0) for kind in kinds)
    if total > limits.max_removals:
        problems.append(_total_problem(counts, total, limits, moves, kinds))
    return problems


def _workspace_kind_counts(live: LiveState) -> dict[Kind, int]:
    """Live objects of the workspace kinds the plan read (a kind not read is not counted)."""
    counts: dict[Kind, int] = {}
    if live.groups is not None:  # the organization's groups: only this workspace's count
        counts["group"] = sum(1 for group in live.groups
                              if live.workspace_id in group.workspace_ids)
    if live.members is not None:
        counts["member"] = len(live.members)
    if live.tasks is not None:
        counts["task"] = len(live.tasks)
    return counts


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
        f"({removals} of {existing} live {_SECTIONS[kind]}{_moves_note(moves)}). "
        + _REMEDY.format(setting="max_removal_percent")
    )


def _total_problem(counts: dict[Kind, int], total: int, limits: SafetyLimits, moves: int,
                   kinds: tuple[Kind, ...] = KINDS) -> str:
    parts = ", ".join(f"{counts.get(kind, 0)} {_SECTIONS[kind]}" for kind in kinds)
    what = "archives, deletes and moves" if moves else "archives and deletes"
    return (
        f"Too many removals: {total} {what} is over {limits.max_removals} "
        f"({parts}{_moves_note(moves)}). " + _REMEDY.format(setting="max_removals")
    )
