"""Matching: pair each spec entry with at most one live object, for every kind.

Exact key first, for every entry, so that another entry's previous name cannot steal it; then
a previous name; then, for projects only, a unique same-named project under another client (a
move). Client matching comes first and also settles each client's name once renamed and the live
clients projects use without listing them, because project keys are built from those names.

Every lookup is a dict keyed by `name_key`/`project_key`; nothing scans a list per object.
The names here serve `reconciler.engine.planner`; they are not an API of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, Sequence, TypeVar

from reconciler.engine.safety import protecting_pattern
from reconciler.model import (
    DesiredClient,
    DesiredProject,
    DesiredState,
    DesiredTag,
    Kind,
    LiveClient,
    LiveProject,
    LiveState,
    LiveTag,
    name_key,
    project_address,
    project_key,
)

D = TypeVar("D", DesiredClient, DesiredProject, DesiredTag)
L = TypeVar("L", LiveClient, LiveProject, LiveTag)


# ---------------------------------------------------------------- matching, any kind


@dataclass
class Pair(Generic[D, L]):
    desired: D
    live: L | None = None
    via: str = "new"  # exact | previous | move | new


@dataclass
class Notes:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Rules(Generic[D, L]):
    """How one kind finds live candidates for a spec entry."""

    kind: Kind
    exact: Callable[[D], L | None]
    # Live objects a previous name may refer to, best first.
    previous: Callable[[D, str], list[L]]
    live_address: Callable[[L], str]
    # Tried after every exact match, before previous names (projects: clientless orphans).
    fallback: Callable[[D], L | None] = lambda entry: None


def _desired_address(entry: DesiredClient | DesiredProject | DesiredTag) -> str:
    return entry.address if isinstance(entry, DesiredProject) else entry.name


def _desired_key(entry: DesiredClient | DesiredProject | DesiredTag) -> tuple[str, str]:
    if isinstance(entry, DesiredProject):
        return project_key(entry.client, entry.name)
    return ("", name_key(entry.name))


def _match(entries: Sequence[D], rules: _Rules[D, L], notes: Notes) -> list[Pair[D, L]]:
    """Exact keys first for every entry, so another entry's previous name cannot steal them."""
    pairs: list[Pair[D, L]] = [Pair(entry) for entry in entries]
    _refuse_duplicates(entries, rules.kind, notes)
    claimed: set[int] = set()
    for finder in (rules.exact, rules.fallback):
        for pair in pairs:
            live = finder(pair.desired) if pair.live is None else None
            if live is not None and live.id not in claimed:
                pair.live, pair.via = live, "exact"
                claimed.add(live.id)
    for pair in pairs:
        # A delete follows only the exact name: removing whatever once had that name is
        # too loose a match for something that cannot be undone.
        if pair.live is None and not pair.desired.delete:
            _claim_previous(pair, rules, claimed)
    return pairs


def _refuse_duplicates(entries: Sequence[D], kind: Kind, notes: Notes) -> None:
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        key = _desired_key(entry)
        if key in seen:
            notes.problems.append(f"{kind} '{_desired_address(entry)}' is listed twice in the spec")
        seen.add(key)


def _claim_previous(pair: Pair[D, L], rules: _Rules[D, L], claimed: set[int]) -> None:
    for old_name in pair.desired.previous_names:
        live = _first_unclaimed(rules.previous(pair.desired, old_name), claimed)
        if live is not None:
            pair.live, pair.via = live, "previous"
            claimed.add(live.id)
            return


def _first_unclaimed(candidates: Iterable[L], claimed: set[int]) -> L | None:
    return next((live for live in candidates if live.id not in claimed), None)


def claimed_ids(pairs: Iterable[Pair[D, L]]) -> set[int]:
    return {pair.live.id for pair in pairs if pair.live is not None}


def _warn_shadowed(pairs: Sequence[Pair[D, L]], rules: _Rules[D, L], notes: Notes) -> None:
    """The new name wins when both it and a previous name exist: say which one is left alone."""
    claimed = claimed_ids(pairs)
    for pair in pairs:
        if pair.via != "exact" or pair.desired.delete:
            continue
        for old_name in pair.desired.previous_names:
            other = _first_unclaimed(rules.previous(pair.desired, old_name), claimed)
            if other is not None:
                notes.warnings.append(
                    f"{rules.kind} '{_desired_address(pair.desired)}' and its previous name "
                    f"'{rules.live_address(other)}' both exist: the new name is managed, "
                    f"'{rules.live_address(other)}' stays unmanaged"
                )


def _by_name(objects: Iterable[L]) -> dict[str, L]:
    index: dict[str, L] = {}
    for live in objects:
        index.setdefault(name_key(live.name), live)
    return index


def _named_rules(kind: Kind, objects: Iterable[L]) -> _Rules[Any, L]:
    index = _by_name(objects)
    return _Rules(
        kind=kind,
        exact=lambda entry: index.get(name_key(entry.name)),
        previous=lambda entry, old: [index[name_key(old)]] if name_key(old) in index else [],
        live_address=lambda live: live.name,
    )


# ---------------------------------------------------------------- clients: matching and names


@dataclass
class ClientMatch:
    pairs: list[Pair[DesiredClient, LiveClient]]
    by_id: dict[int, LiveClient]
    after_name: dict[int, str]  # live client id -> its name once phase 1 has run
    live_id_by_key: dict[str, int]  # kept client key (spec or referenced) -> live id
    archived_in_spec: set[str]  # keys of spec clients with `archived: true`
    referenced_ids: set[int]  # live clients projects refer to without listing them
    deleted_ids: set[int] = field(default_factory=set)  # live clients this plan deletes

    def name_of(self, client_id: int | None) -> str | None:
        # A client id Toggl no longer knows is treated as no client.
        return self.after_name.get(client_id) if client_id is not None else None


def match_clients(desired: DesiredState, live: LiveState, notes: Notes) -> ClientMatch:
    rules: _Rules[DesiredClient, LiveClient] = _named_rules("client", live.clients)
    pairs = _match(desired.clients, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    after_name = {client.id: client.name for client in live.clients}
    live_id_by_key: dict[str, int] = {}
    for pair in pairs:
        if pair.live is not None and not pair.desired.delete:
            after_name[pair.live.id] = pair.desired.name
            live_id_by_key[name_key(pair.desired.name)] = pair.live.id
    clients = ClientMatch(
        pairs=pairs,
        by_id={client.id: client for client in live.clients},
        after_name=after_name,
        live_id_by_key=live_id_by_key,
        archived_in_spec={
            name_key(entry.name)
            for entry in desired.clients
            if entry.fields.get("archived") is True
        },
        referenced_ids=set(),
    )
    _resolve_references(desired, live, clients, notes)
    clients.deleted_ids = _deleted_clients(desired, live, clients)
    return clients


def _deleted_clients(desired: DesiredState, live: LiveState, clients: ClientMatch) -> set[int]:
    """Live clients deleted in phase 6 (protection permitting); their projects end up clientless."""
    doomed = {p.live.id for p in clients.pairs if p.live is not None and p.desired.delete}
    if desired.unmanaged.get("client") == "delete":
        kept = claimed_ids(clients.pairs) | clients.referenced_ids
        doomed.update(c.id for c in live.clients if c.id not in kept)
    return {
        client_id
        for client_id in doomed
        if not protecting_pattern(desired, "client", clients.by_id[client_id].name)
    }


def _resolve_references(
    desired: DesiredState, live: LiveState, clients: ClientMatch, notes: Notes
) -> None:
    """Projects may name a client the spec does not list; it must then exist, and is kept."""
    listed = {name_key(entry.name): entry for entry in desired.clients}
    live_by_key = _by_name(live.clients)
    claimed = claimed_ids(clients.pairs)
    for project in desired.projects:
        if project.client is None or project.delete:
            continue
        key = name_key(project.client)
        if key in listed:
            if listed[key].delete:
                notes.problems.append(
                    f"project '{project.address}' needs client '{project.client}', "
                    "which the spec deletes"
                )
            continue
        live_client = live_by_key.get(key)
        problem = _reference_problem(project, live_client, claimed, clients)
        if problem:
            notes.problems.append(problem)
        elif live_client is not None:
            clients.live_id_by_key[key] = live_client.id
            clients.referenced_ids.add(live_client.id)


def _reference_problem(
    project: DesiredProject, live_client: LiveClient | None, claimed: set[int], clients: ClientMatch
) -> str:
    if live_client is None:
        return (
            f"project '{project.address}': client '{project.client}' is neither in the spec "
            "nor in the workspace"
        )
    if live_client.id in claimed:
        # A spec client claimed it under a previous name: the project uses the old name.
        return (
            f"project '{project.address}': client '{project.client}' is renamed to "
            f"'{clients.after_name[live_client.id]}' by the spec; use the new name"
        )
    return ""


# ---------------------------------------------------------------- projects: matching


class ProjectIndex:
    """Live projects by (client name once renamed, project name) and by project name alone.

    A client delete leaves its projects without a client. Such an orphan is also found under
    its final, clientless key, so a clientless spec entry of that name adopts it (moving it
    out explicitly) instead of creating a namesake that would clash with it.
    """

    def __init__(self, projects: Iterable[LiveProject], clients: ClientMatch) -> None:
        self.clients = clients
        self.by_key: dict[tuple[str, str], LiveProject] = {}
        self.by_name: dict[str, list[LiveProject]] = defaultdict(list)
        self.orphans: dict[tuple[str, str], LiveProject] = {}
        self.by_final_key: dict[tuple[str, str], list[LiveProject]] = defaultdict(list)
        for project in projects:
            key = project_key(self.client_of(project), project.name)
            self.by_key.setdefault(key, project)
            self.by_name[name_key(project.name)].append(project)
            if self.is_orphan(project):
                key = project_key(None, project.name)
                self.orphans.setdefault(key, project)
            self.by_final_key[key].append(project)

    def is_orphan(self, project: LiveProject) -> bool:
        return project.client_id in self.clients.deleted_ids

    def client_of(self, project: LiveProject) -> str | None:
        return self.clients.name_of(project.client_id)

    def address_of(self, project: LiveProject) -> str:
        return project_address(self.client_of(project), project.name)

    def exact(self, entry: DesiredProject) -> LiveProject | None:
        return self.by_key.get(project_key(entry.client, entry.name))

    def orphan(self, entry: DesiredProject) -> LiveProject | None:
        # Never for a delete: it would remove the orphan, not the clientless project it names.
        if entry.client is not None or entry.delete:
            return None
        return self.orphans.get(project_key(None, entry.name))

    def unique_named(self, name: str) -> LiveProject | None:
        same_name = self.by_name.get(name_key(name), [])
        return same_name[0] if len(same_name) == 1 else None

    def previous(self, entry: DesiredProject, old_name: str) -> list[LiveProject]:
        # Same client first; then anywhere, but only when the old name is unambiguous.
        found = [self.by_key.get(project_key(entry.client, old_name)), self.unique_named(old_name)]
        return [project for project in found if project is not None]


def match_projects(
    desired: DesiredState, index: ProjectIndex, notes: Notes
) -> list[Pair[DesiredProject, LiveProject]]:
    rules: _Rules[DesiredProject, LiveProject] = _Rules(
        kind="project",
        exact=index.exact,
        fallback=index.orphan,
        previous=index.previous,
        live_address=index.address_of,
    )
    pairs = _match(desired.projects, rules, notes)
    _claim_moves(pairs, index)
    _warn_shadowed(pairs, rules, notes)
    return pairs


def _claim_moves(pairs: list[Pair[DesiredProject, LiveProject]], index: ProjectIndex) -> None:
    """A project whose name is unique on both sides moves to the spec's client.

    Delete entries never move: deleting a same-named project under another client would
    remove something the spec did not point at.
    """
    claimed = claimed_ids(pairs)
    waiting = [pair for pair in pairs if pair.live is None and not pair.desired.delete]
    wanted = Counter(name_key(pair.desired.name) for pair in waiting)
    for pair in waiting:
        candidate = index.unique_named(pair.desired.name)
        if wanted[name_key(pair.desired.name)] == 1 and candidate and candidate.id not in claimed:
            pair.live, pair.via = candidate, "move"
            claimed.add(candidate.id)


# ---------------------------------------------------------------- tags


def match_tags(
    desired: DesiredState, live: LiveState, notes: Notes
) -> list[Pair[DesiredTag, LiveTag]]:
    rules: _Rules[DesiredTag, LiveTag] = _named_rules("tag", live.tags)
    pairs = _match(desired.tags, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    return pairs
