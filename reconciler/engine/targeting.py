"""Targeting: `--target KIND:PATTERN` / `--exclude KIND:PATTERN` narrow a plan (pure).

A selector names changes by the address the plan prints (projects `Client/Project`, names
escaped as in `reconciler.model.project_address`), with the protection patterns' glob rules
(`covers`, after `reconciler.engine.safety.pattern_covers`: case-insensitive, `*`, `?`,
`[..]`, backslash escapes; an exact escaped name or address always matches).

Changes depend on each other (see `needs`): a change that needs another cannot run without it.
- Targets pull in what a selected change needs, transitively; the plan says so.
- An excluded change drops every change that needs it, transitively; the plan says so. Exclude
  wins: a target that needs an excluded change is dropped too.

Dependencies follow the order the planner and the executor rely on (planner phases, layout):
- a project change whose client (after the plan) is created, renamed or restored by the plan
  needs that client change: the executor resolves the client by its name after the plan, and a
  project cannot be activated under an archived client;
- a client archive or delete needs the project changes that take projects out from under it
  first (moves away, project deletes): without them it would archive or orphan those projects;
- a member or task change needs the change that creates, renames, moves or restores its
  project (the executor finds the project by its address after the plan), and a group's
  member the change that creates or renames the group;
- every change needs the workspace create, when the plan has one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.safety import compiled_glob
from reconciler.errors import UsageError
from reconciler.model import (
    ALL_KINDS,
    DesiredState,
    LiveState,
    escape_name,
    name_key,
    project_address,
    split_address,
)
from reconciler.untrusted import quoted

PLANNED_KINDS: tuple[str, ...] = ALL_KINDS
# Kinds a later version may add: accepted so that scripts written for them parse, but this
# version plans no changes of them, so a selector of one matches nothing and says so.
FUTURE_KINDS: tuple[str, ...] = ()
_NEAREST = 3


@dataclass(frozen=True)
class Selector:
    kind: str
    pattern: str

    @property
    def text(self) -> str:
        return f"{self.kind}:{self.pattern}"

    def matches(self, change: Change) -> bool:
        if change.kind != self.kind:
            return False
        return any(covers(self.pattern, name, address) for name, address in _addresses(change))


def covers(pattern: str, name: str, address: str) -> bool:
    """The protection patterns' rules (`safety.pattern_covers`), but an exact match is of the
    escaped address or name only: `Globex/Website` is client Globex's project, never a
    clientless project whose name is that text (its address is `Globex\\/Website`)."""
    pattern_key = name_key(pattern)
    address_key, name_only = name_key(address), name_key(escape_name(name))
    if pattern_key in (address_key, name_only):
        return True
    glob = compiled_glob(pattern_key)  # the same compiled (and cached) globs as protection
    return bool(glob.fullmatch(address_key) or glob.fullmatch(name_only))


def _addresses(change: Change) -> list[tuple[str, str]]:
    """(name, address) of a change's object after it and, for a rename or move, before it:
    a renamed object may be targeted by the name it has in the workspace now."""
    found = [(change.name, change.address)]
    before = {f.field: f.before for f in change.fields}
    old_name = before.get("name") if isinstance(before.get("name"), str) else change.name
    if change.kind == "project":
        old_client = before["client"] if "client" in before else change.client
        if not isinstance(old_client, (str, type(None))):
            old_client = change.client
        if (old_name, old_client) != (change.name, change.client):
            found.append((old_name, project_address(old_client, old_name)))
    elif change.kind == "task" and change.parent is not None:
        if old_name != change.name:
            found.append((old_name, f"{change.parent}/{escape_name(old_name)}"))
    elif old_name != change.name:
        found.append((old_name, escape_name(old_name)))
    return found


@dataclass(frozen=True)
class Selection:
    targets: tuple[Selector, ...] = ()
    excludes: tuple[Selector, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.targets or self.excludes)


def parse_selector(text: str, flag: str = "--target") -> Selector:
    kind, sep, pattern = text.partition(":")
    kind = kind.strip().lower()
    if not sep or not pattern:
        raise UsageError(f"{flag} {quoted(text)}: expected KIND:PATTERN, e.g. project:Globex/*")
    if kind not in PLANNED_KINDS + FUTURE_KINDS:
        raise UsageError(f"{flag} {quoted(text)}: unknown kind {quoted(kind)}; kinds are "
                         + ", ".join(PLANNED_KINDS + FUTURE_KINDS))
    return Selector(kind, pattern)


def selection_of(targets: Iterable[str] | None, excludes: Iterable[str] | None) -> Selection:
    return Selection(tuple(parse_selector(t, "--target") for t in targets or ()),
                     tuple(parse_selector(e, "--exclude") for e in excludes or ()))


# ---------------------------------------------------------------- dependencies


def needs(changes: Sequence[Change]) -> list[set[int]]:
    """For each change (by index), the indexes of the changes it cannot run without."""
    client_setup: dict[str, int] = {}  # client name after the plan -> its create/rename/restore
    for index, change in enumerate(changes):
        if change.kind == "client" and change.action in (Action.CREATE, Action.RENAME,
                                                         Action.RESTORE):
            client_setup[name_key(change.name)] = index
    leaving: dict[str, set[int]] = {}  # client name -> project changes taking projects out of it
    for index, change in enumerate(changes):
        for client in _clients_left(change):
            leaving.setdefault(name_key(client), set()).add(index)
    project_setup, group_setup, workspace = _workspace_kind_setups(changes)
    result: list[set[int]] = []
    for index, change in enumerate(changes):
        wanted: set[int] = set()
        if change.kind == "project" and change.client is not None:
            setup = client_setup.get(name_key(change.client))
            if setup is not None:
                wanted.add(setup)
        if change.kind == "client" and change.action.is_removal:
            wanted |= leaving.get(name_key(change.name), set())
        if change.kind in ("member", "task") and change.parent is not None \
                and not change.action.is_removal:
            wanted |= project_setup.get(name_key(change.parent), set())
        if change.kind == "member" and change.options.get("member") == "group" \
                and not change.action.is_removal:
            setup = group_setup.get(name_key(change.name))
            if setup is not None:
                wanted.add(setup)
        if workspace is not None:
            wanted.add(workspace)
        wanted.discard(index)
        result.append(wanted)
    return result


def _workspace_kind_setups(
    changes: Sequence[Change],
) -> tuple[dict[str, set[int]], dict[str, int], int | None]:
    """(project address after the plan -> changes that set the project up, group name ->
    its create or rename, the workspace create) of a plan's changes."""
    project_setup: dict[str, set[int]] = {}
    group_setup: dict[str, int] = {}
    workspace: int | None = None
    for index, change in enumerate(changes):
        if change.kind == "project" and (
                change.action in (Action.CREATE, Action.RENAME, Action.RESTORE)
                or bool(_clients_left(change))):
            project_setup.setdefault(name_key(change.address), set()).add(index)
        elif change.kind == "group" and change.action in (Action.CREATE, Action.RENAME):
            group_setup[name_key(change.name)] = index
        elif change.kind == "workspace" and change.action is Action.CREATE:
            workspace = index
    return project_setup, group_setup, workspace


def _clients_left(change: Change) -> list[str]:
    """Clients a project change takes its project away from (a move, a delete)."""
    if change.kind != "project":
        return []
    if change.action is Action.DELETE and change.client is not None:
        return [change.client]
    for item in change.fields:
        if item.field == "client" and isinstance(item.before, str) and item.before != item.after:
            return [item.before]
    return []


# ---------------------------------------------------------------- selection


def select(plan: Plan, selection: Selection,
           known: Mapping[str, Sequence[tuple[str, str]]] | None = None, *,
           strict: bool = True) -> Plan:
    """The plan narrowed to `selection`, with a `targeting` record of what was left out and why.

    `known` lists (name, address) of the objects of each kind (spec and workspace), so that a
    pattern that matches no change but does name an object is not a typo; a pattern that
    matches neither is an error (exit 1) listing the nearest addresses. Not `strict` (one
    workspace of several, where a selector may be meant for another): the problem becomes a
    plan warning and the record's `unmatched` list, for the caller to judge over all of them.
    """
    if not selection.active:
        return plan
    changes = plan.changes
    problems = unmatched_selectors(selection, changes, known or {})
    if problems and strict:
        raise UsageError("\n".join(problems.values()))
    requires = needs(changes)
    needed_by = _reverse(requires)
    excluded = {i for i, c in enumerate(changes) if any(s.matches(c) for s in selection.excludes)}
    # Everything that needs an excluded change, transitively: exclude wins over target.
    blocked = _closure(excluded, needed_by)
    if selection.targets:
        picked = {i for i, c in enumerate(changes) if any(s.matches(c) for s in selection.targets)}
    else:
        picked = set(range(len(changes)))
    wanted = _closure(picked, requires)  # what the selection would have planned
    # What survives needs nothing blocked, so its closure never reaches a blocked change.
    kept = _closure(picked - blocked, requires)
    pulled_in = kept - picked
    dropped = (wanted & blocked) - excluded
    record = {
        "targets": [s.text for s in selection.targets],
        "excludes": [s.text for s in selection.excludes],
        "total_changes": len(changes),
        "left_out": len(changes) - len(kept),
        "pulled_in": [_entry(changes[i],
                             _because(i, picked & kept, needed_by, changes, "needed by"))
                      for i in sorted(pulled_in)],
        "dropped": [_entry(changes[i], _because(i, excluded, requires, changes, "needs"))
                    for i in sorted(dropped)],
    }
    if problems:
        record["unmatched"] = sorted(problems)
    return replace(plan, changes=tuple(changes[i] for i in sorted(kept)), targeting=record,
                   warnings=plan.warnings + tuple(problems.values()))


def _entry(change: Change, because: dict[str, str]) -> dict[str, object]:
    """A pulled-in or dropped change and the change it was pulled in for (or needs)."""
    return {"kind": change.kind, "address": change.address, "action": change.action.value,
            "because": because}


def _because(index: int, anchors: set[int], links: list[set[int]], changes: Sequence[Change],
             verb: str) -> dict[str, str]:
    """Why a change was pulled in or dropped: the first anchor it reaches through `links`."""
    seen, frontier = {index}, [index]
    while frontier:
        current = frontier.pop(0)
        for other in sorted(links[current]):
            if other in anchors:
                anchor = changes[other]
                return {"relation": verb, "action": anchor.action.value, "kind": anchor.kind,
                        "address": anchor.address}
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return {}


def _reverse(links: list[set[int]]) -> list[set[int]]:
    reverse: list[set[int]] = [set() for _ in links]
    for index, targets in enumerate(links):
        for other in targets:
            reverse[other].add(index)
    return reverse


def _closure(start: set[int], links: list[set[int]]) -> set[int]:
    found, frontier = set(start), list(start)
    while frontier:
        for other in links[frontier.pop()]:
            if other not in found:
                found.add(other)
                frontier.append(other)
    return found


# ---------------------------------------------------------------- patterns that match nothing


def unmatched_selectors(selection: Selection, changes: Sequence[Change],
                        known: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, str]:
    """`--target X` / `--exclude X` -> why it matches nothing, for each selector that does not."""
    problems: dict[str, str] = {}
    for flag, selectors in (("--target", selection.targets), ("--exclude", selection.excludes)):
        for selector in selectors:
            problem = _no_match(flag, selector, changes, known)
            if problem:
                problems[f"{flag} {selector.text}"] = problem
    return problems


def unmatched_everywhere(records: Sequence[Mapping[str, object]]) -> list[str]:
    """Selectors that matched nothing in any of several workspaces' plans."""
    if not records:
        return []
    sets = [set(record.get("unmatched", ()) or ()) for record in records]  # type: ignore[arg-type]
    return sorted(set.intersection(*sets))


def _no_match(flag: str, selector: Selector, changes: Sequence[Change],
              known: Mapping[str, Sequence[tuple[str, str]]]) -> str:
    if selector.kind in FUTURE_KINDS:
        return (f"{flag} {quoted(selector.text)} matches nothing: this version plans no "
                f"{selector.kind} changes")
    if any(selector.matches(change) for change in changes):
        return ""
    objects = list(known.get(selector.kind, ())) + [pair for c in changes
                                                    if c.kind == selector.kind
                                                    for pair in _addresses(c)]
    if any(covers(selector.pattern, name, address) for name, address in objects):
        return ""  # names an object that has nothing to change: not a typo
    addresses = sorted({address for _, address in objects})
    nearest = difflib.get_close_matches(selector.pattern, addresses, n=_NEAREST, cutoff=0.4) or \
        _case_nearest(selector.pattern, addresses)
    hint = ("; nearest: " + ", ".join(quoted(a) for a in nearest)) if nearest else \
        f"; there is no {selector.kind} close to it"
    return f"{flag} {quoted(selector.text)} matches no {selector.kind}{hint}"


def _case_nearest(pattern: str, addresses: Sequence[str]) -> list[str]:
    folded = {name_key(a): a for a in addresses}
    found = difflib.get_close_matches(name_key(pattern), list(folded), n=_NEAREST, cutoff=0.4)
    return [folded[f] for f in found]


def known_addresses(clients: Iterable[str], projects: Iterable[str],
                    tags: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """(name, address) per kind from client names, project addresses and tag names."""
    return {
        "client": [(name, escape_name(name)) for name in clients],
        "project": [(split_address(address)[1], address) for address in projects],
        "tag": [(name, escape_name(name)) for name in tags],
    }


def workspace_kind_addresses(desired: DesiredState,
                             live: LiveState) -> dict[str, list[tuple[str, str]]]:
    """(name, address) of the workspace kinds' objects the spec and the workspace name, so a
    selector of an unchanged task, member or group is not taken for a typo."""
    known: dict[str, list[tuple[str, str]]] = {
        "settings": [("settings", "settings")] if desired.settings is not None else [],
        "workspace": ([(desired.workspace, escape_name(desired.workspace))]
                      if isinstance(desired.workspace, str) else []),
        "group": [(g.name, escape_name(g.name)) for g in (*(desired.groups or ()),
                                                           *(live.groups or ()))],
        "task": [], "member": [],
    }
    for entry in desired.projects:
        known["task"].extend((t.name, f"{entry.address}/{escape_name(t.name)}")
                             for t in entry.tasks or ())
        known["member"].extend((m.user or m.group or "", f"{entry.address}/{m.member_key}")
                               for m in entry.members or ())
    return known


# ---------------------------------------------------------------- what fits the quota


def fitting_targets(plan: Plan, budget: int) -> list[str]:
    """`--target` arguments for the changes that fit `budget` writes, in plan order.

    Each change is taken with what it needs; a change whose group does not fit is skipped, so
    later smaller ones may still fit. Each try prices the whole group (bulk calls make writes
    not additive), so the search stops once the budget is spent or after `_MISSES_BEFORE_STOP`
    tries in a row that do not fit: a hint may leave out a change that would have fitted, never
    include one that does not.
    """
    from reconciler.engine.batching import count_writes  # batching prices the writes

    changes = plan.changes
    requires = needs(changes)
    chosen: set[int] = set()
    picked: list[int] = []
    misses = 0
    for index in range(len(changes)):
        if index in chosen:
            continue
        group = _closure({index}, requires) | chosen
        writes = count_writes([changes[i] for i in sorted(group)])
        if writes > budget:
            misses += 1
            if misses >= _MISSES_BEFORE_STOP:
                break
            continue
        chosen, misses = group, 0
        picked.append(index)
        if writes == budget:
            break
    return [f"{changes[i].kind}:{glob_literal(changes[i].address)}" for i in picked]


_MISSES_BEFORE_STOP = 20


def glob_literal(address: str) -> str:
    """An address as a pattern that matches only it: glob characters escaped."""
    return "".join("\\" + char if char in "*?[]" else char for char in address)
