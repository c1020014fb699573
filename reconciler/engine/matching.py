"""Matching: pair each spec entry with at most one live object, for every kind.

Exact key first, for every entry, so that another entry's previous name cannot steal it; then
a previous name; then, for projects only, a unique same-named project under another client (a
move). Client matching comes first and also settles each client's name once renamed and the live
clients projects use without listing them, because project keys are built from those names.

Every lookup is a dict keyed by `name_key`/`project_key`; nothing scans a list per object.
Keys are computed once per object and kept: a spec entry's on its `Pair` (`new_pairs`), a live
client's in `ClientMatch.after_key`, a live project's in the `ProjectIndex` dicts. Large plans
spent most of their calls re-folding the same names before that.
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
from reconciler.untrusted import quoted

D = TypeVar("D", DesiredClient, DesiredProject, DesiredTag)
L = TypeVar("L", LiveClient, LiveProject, LiveTag)


# ---------------------------------------------------------------- matching, any kind


@dataclass
class Pair(Generic[D, L]):
    """A spec entry and the live object it manages (None: to be created, or nothing to delete)."""

    desired: D
    # The entry's identity key, computed once: (client key, name key) for projects and
    # ("", name key) for clients and tags. Every later lookup of the entry reuses it.
    key: tuple[str, str]
    live: L | None = None
    via: str = "new"  # exact | previous | move | new


@dataclass
class Notes:
    """What every planning step found: problems refuse the plan, warnings go with it."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Rules(Generic[D, L]):
    """How one kind finds live candidates for a spec entry."""

    kind: Kind
    exact: Callable[[Pair[D, L]], L | None]
    # Live objects a previous name may refer to, best first.
    previous: Callable[[Pair[D, L], str], list[L]]
    live_address: Callable[[L], str]
    # Tried after every exact match, before previous names (projects: clientless orphans).
    fallback: Callable[[Pair[D, L]], L | None] = lambda pair: None


def _desired_address(entry: DesiredClient | DesiredProject | DesiredTag) -> str:
    return entry.address if isinstance(entry, DesiredProject) else entry.name


def _desired_key(entry: DesiredClient | DesiredProject | DesiredTag) -> tuple[str, str]:
    if isinstance(entry, DesiredProject):
        return project_key(entry.client, entry.name)
    return ("", name_key(entry.name))


def new_pairs(entries: Sequence[D]) -> list[Pair[D, Any]]:
    """One unmatched pair per spec entry, with the entry's key computed here once."""
    return [Pair(entry, _desired_key(entry)) for entry in entries]


def _match(pairs: Sequence[Pair[D, L]], rules: _Rules[D, L], notes: Notes) -> None:
    """Exact keys first for every entry, so another entry's previous name cannot steal them."""
    _refuse_duplicates(pairs, rules.kind, notes)
    claimed: set[int] = set()
    for finder in (rules.exact, rules.fallback):
        for pair in pairs:
            live = finder(pair) if pair.live is None else None
            if live is not None and live.id not in claimed:
                pair.live, pair.via = live, "exact"
                claimed.add(live.id)
    for pair in pairs:
        # A delete follows only the exact name: removing whatever once had that name is
        # too loose a match for something that cannot be undone.
        if pair.live is None and not pair.desired.delete:
            _claim_previous(pair, rules, claimed)


def _refuse_duplicates(pairs: Sequence[Pair[D, L]], kind: Kind, notes: Notes) -> None:
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        if pair.key in seen:
            address = _desired_address(pair.desired)
            notes.problems.append(f"{kind} {quoted(address)} is listed twice in the spec")
        seen.add(pair.key)


def _claim_previous(pair: Pair[D, L], rules: _Rules[D, L], claimed: set[int]) -> None:
    for old_name in pair.desired.previous_names:
        live = _first_unclaimed(rules.previous(pair, old_name), claimed)
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
            other = _first_unclaimed(rules.previous(pair, old_name), claimed)
            if other is not None:
                notes.warnings.append(
                    f"{rules.kind} {quoted(_desired_address(pair.desired))} and its previous name "
                    f"{quoted(rules.live_address(other))} both exist: the new name is managed, "
                    f"{quoted(rules.live_address(other))} stays unmanaged"
                )


def _by_name(objects: Iterable[L]) -> dict[str, L]:
    index: dict[str, L] = {}
    for live in objects:
        index.setdefault(name_key(live.name), live)
    return index


def _named_rules(kind: Kind, index: dict[str, L]) -> _Rules[Any, L]:
    """Rules for kinds identified by name alone; `index` is the live objects by name key."""
    return _Rules(
        kind=kind,
        exact=lambda pair: index.get(pair.key[1]),
        previous=lambda pair, old: [index[name_key(old)]] if name_key(old) in index else [],
        live_address=lambda live: live.name,
    )


# ---------------------------------------------------------------- clients: matching and names


@dataclass
class ClientMatch:
    pairs: list[Pair[DesiredClient, LiveClient]]
    by_id: dict[int, LiveClient]
    by_key: dict[str, LiveClient]  # live clients by the name key they have now
    archived_in_spec: set[str]  # keys of spec clients with `archived: true`
    after_name: dict[int, str] = field(default_factory=dict)  # id -> name once phase 1 ran
    after_key: dict[int, str] = field(default_factory=dict)  # id -> name_key of that name
    # Kept client key (spec or referenced) -> live id.
    live_id_by_key: dict[str, int] = field(default_factory=dict)
    # Live clients projects refer to without listing them.
    referenced_ids: set[int] = field(default_factory=set)
    deleted_ids: set[int] = field(default_factory=set)  # live clients this plan deletes

    def name_of(self, client_id: int | None) -> str | None:
        # A client id Toggl no longer knows is treated as no client.
        return self.after_name.get(client_id) if client_id is not None else None

    def key_of(self, client_id: int | None) -> str:
        """The client part of a project key, as `project_key(name_of(client_id), ...)` has it."""
        return self.after_key.get(client_id, "") if client_id is not None else ""


def match_clients(
    desired: DesiredState,
    live: LiveState,
    project_pairs: Sequence[Pair[DesiredProject, LiveProject]],
    notes: Notes,
) -> ClientMatch:
    """Match the clients; `project_pairs` (still unmatched) show which clients projects use."""
    live_by_key = _by_name(live.clients)
    rules: _Rules[DesiredClient, LiveClient] = _named_rules("client", live_by_key)
    pairs: list[Pair[DesiredClient, LiveClient]] = new_pairs(desired.clients)
    _match(pairs, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    clients = ClientMatch(
        pairs=pairs,
        by_id={client.id: client for client in live.clients},
        by_key=live_by_key,
        archived_in_spec={
            pair.key[1] for pair in pairs if pair.desired.fields.get("archived") is True
        },
    )
    _settle_names(clients, live.clients)
    _resolve_references(project_pairs, clients, notes)
    clients.deleted_ids = _deleted_clients(desired, live, clients)
    return clients


def _settle_names(clients: ClientMatch, live_clients: Sequence[LiveClient]) -> None:
    """Every live client's name once phase 1 has renamed it, and that name's key, folded once
    here because every live project's key is built from it."""
    clients.after_name = {client.id: client.name for client in live_clients}
    clients.after_key = {client.id: name_key(client.name) for client in live_clients}
    for pair in clients.pairs:
        if pair.live is not None and not pair.desired.delete:
            clients.after_name[pair.live.id] = pair.desired.name
            clients.after_key[pair.live.id] = pair.key[1]
            clients.live_id_by_key[pair.key[1]] = pair.live.id


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
    project_pairs: Sequence[Pair[DesiredProject, LiveProject]], clients: ClientMatch, notes: Notes
) -> None:
    """Projects may name a client the spec does not list; it must then exist, and is kept."""
    listed = {pair.key[1]: pair.desired for pair in clients.pairs}
    claimed = claimed_ids(clients.pairs)
    for project_pair in project_pairs:
        project = project_pair.desired
        if project.client is None or project.delete:
            continue
        key = project_pair.key[0]
        if key in listed:
            if listed[key].delete:
                notes.problems.append(
                    f"project {quoted(project.address)} needs client {quoted(project.client)}, "
                    "which the spec deletes"
                )
            continue
        live_client = clients.by_key.get(key)
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
            f"project {quoted(project.address)}: client {quoted(project.client)} is neither in the spec "
            "nor in the workspace"
        )
    if live_client.id in claimed:
        # A spec client claimed it under a previous name: the project uses the old name.
        return (
            f"project {quoted(project.address)}: client {quoted(project.client)} is renamed to "
            f"{quoted(clients.after_name[live_client.id])} by the spec; use the new name"
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
            # Each live project's name is folded once; its client's key comes precomputed.
            project_name_key = name_key(project.name)
            key = (clients.key_of(project.client_id), project_name_key)
            self.by_key.setdefault(key, project)
            self.by_name[project_name_key].append(project)
            if self.is_orphan(project):
                key = ("", project_name_key)
                self.orphans.setdefault(key, project)
            self.by_final_key[key].append(project)

    def is_orphan(self, project: LiveProject) -> bool:
        return project.client_id in self.clients.deleted_ids

    def client_of(self, project: LiveProject) -> str | None:
        return self.clients.name_of(project.client_id)

    def address_of(self, project: LiveProject) -> str:
        return project_address(self.client_of(project), project.name)

    def exact(self, pair: Pair[DesiredProject, LiveProject]) -> LiveProject | None:
        return self.by_key.get(pair.key)

    def orphan(self, pair: Pair[DesiredProject, LiveProject]) -> LiveProject | None:
        # Never for a delete: it would remove the orphan, not the clientless project it names.
        if pair.desired.client is not None or pair.desired.delete:
            return None
        return self.orphans.get(pair.key)  # a clientless entry's key is its final key

    def unique_named(self, project_name_key: str) -> LiveProject | None:
        same_name = self.by_name.get(project_name_key, [])
        return same_name[0] if len(same_name) == 1 else None

    def previous(self, pair: Pair[DesiredProject, LiveProject], old_name: str) -> list[LiveProject]:
        # Same client first; then anywhere, but only when the old name is unambiguous.
        old_key = name_key(old_name)
        found = [self.by_key.get((pair.key[0], old_key)), self.unique_named(old_key)]
        return [project for project in found if project is not None]


def match_projects(
    pairs: Sequence[Pair[DesiredProject, LiveProject]], index: ProjectIndex, notes: Notes
) -> None:
    """Fill in the live side of the project pairs made (with their keys) by `new_pairs`."""
    rules: _Rules[DesiredProject, LiveProject] = _Rules(
        kind="project",
        exact=index.exact,
        fallback=index.orphan,
        previous=index.previous,
        live_address=index.address_of,
    )
    _match(pairs, rules, notes)
    _claim_moves(pairs, index)
    _warn_shadowed(pairs, rules, notes)


def _claim_moves(pairs: Sequence[Pair[DesiredProject, LiveProject]], index: ProjectIndex) -> None:
    """A project whose name is unique on both sides moves to the spec's client.

    Delete entries never move: deleting a same-named project under another client would
    remove something the spec did not point at.
    """
    claimed = claimed_ids(pairs)
    waiting = [pair for pair in pairs if pair.live is None and not pair.desired.delete]
    wanted = Counter(pair.key[1] for pair in waiting)
    for pair in waiting:
        candidate = index.unique_named(pair.key[1])
        if wanted[pair.key[1]] == 1 and candidate and candidate.id not in claimed:
            pair.live, pair.via = candidate, "move"
            claimed.add(candidate.id)


# ---------------------------------------------------------------- tags


def match_tags(
    desired: DesiredState, live: LiveState, notes: Notes
) -> list[Pair[DesiredTag, LiveTag]]:
    rules: _Rules[DesiredTag, LiveTag] = _named_rules("tag", _by_name(live.tags))
    pairs: list[Pair[DesiredTag, LiveTag]] = new_pairs(desired.tags)
    _match(pairs, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    return pairs
