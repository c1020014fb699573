"""Matching: pair each spec entry with at most one live object, for every kind.

Exact key first, for every entry, so that another entry's previous name cannot steal it; then
a previous name (projects: under the same client only); then, for projects only, the live
project the entry's `move_from` names. Nothing else takes over a live object: a spec entry
never reaches an unmanaged object under another client unless `move_from` says so.

Under one key (`name_key`: NFC, case ignored) the live object spelled exactly like the entry
wins; one that differs only in case is renamed; two or more that differ only in case, with
none spelled exactly, refuse the plan naming them all. Names that merely look alike
(`lookalike_key`) are never matched, only reported. Client matching comes first and also
settles each client's name once renamed and the live clients projects use without listing
them; live projects are indexed by their client's id, so client twins never mix.

Every lookup is a dict keyed by `name_key`/`project_key`; nothing scans a list per object.
Keys are computed once per object and kept: a spec entry's on its `Pair` (`new_pairs`), a live
client's in `ClientMatch.by_key`, a live project's in the `ProjectIndex` dicts. Large plans
spent most of their calls re-folding the same names before that.
The names here serve `reconciler.engine.planner`; they are not an API of their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterable, Sequence, TypeVar

from reconciler.engine.safety import has_patterns, protecting_pattern
from reconciler.model import (
    DesiredClient,
    DesiredGroup,
    DesiredProject,
    DesiredState,
    DesiredTag,
    DesiredTask,
    KIND_SECTIONS,
    WORKSPACE_KIND_SECTIONS,
    Kind,
    LiveClient,
    LiveGroup,
    LiveProject,
    LiveState,
    LiveTag,
    LiveTask,
    escape_name,
    lookalike_key,
    name_key,
    project_address,
    project_key,
    spelling,
    split_address,
)
from reconciler.untrusted import quoted

D = TypeVar("D", DesiredClient, DesiredProject, DesiredTag, DesiredGroup, DesiredTask)
L = TypeVar("L", LiveClient, LiveProject, LiveTag, LiveGroup, LiveTask)
AnyLive = LiveClient | LiveProject | LiveTag | LiveGroup | LiveTask
_SECTIONS: dict[Kind, str] = {**KIND_SECTIONS, **WORKSPACE_KIND_SECTIONS}


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
    """How one kind finds live candidates for a spec entry (all live objects under a key)."""

    kind: Kind
    exact: Callable[[Pair[D, L]], list[L]]
    # Live objects a previous name may refer to.
    previous: Callable[[Pair[D, L], str], list[L]]
    live_address: Callable[[L], str]
    # Tried after every exact match, before previous names (projects: clientless orphans).
    fallback: Callable[[Pair[D, L]], list[L]] = lambda pair: []
    # How messages name a spec entry (tasks and members: with their project's address).
    entry_address: Callable[[Any], str] | None = None

    def address_of(self, entry: Any) -> str:
        return self.entry_address(entry) if self.entry_address else _desired_address(entry)


def _desired_address(entry: DesiredClient | DesiredProject | DesiredTag) -> str:
    return entry.address if isinstance(entry, DesiredProject) else escape_name(entry.name)


def _desired_key(entry: DesiredClient | DesiredProject | DesiredTag) -> tuple[str, str]:
    if isinstance(entry, DesiredProject):
        return project_key(entry.client, entry.name)
    return ("", name_key(entry.name))


def new_pairs(entries: Sequence[D]) -> list[Pair[D, Any]]:
    """One unmatched pair per spec entry, with the entry's key computed here once."""
    return [Pair(entry, _desired_key(entry)) for entry in entries]


def _choose(
    pair: Pair[D, L], name: str, candidates: list[L], rules: _Rules[D, L], notes: Notes
) -> L | None:
    """The one live object of `candidates` (all under the entry's key) the entry means.

    Exact spelling (NFC) first; else a single case variant; else none, as a problem: acting
    on one of several objects that differ only in case would be a guess.
    """
    wanted = spelling(name)
    if pair.desired.delete:
        # A delete acts on the exact spelling only: a case variant may be another object
        # (Toggl's rule is unknown) and a delete cannot be undone. `_warn_lookalikes` says so.
        candidates = [live for live in candidates if spelling(live.name) == wanted]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    exact = [live for live in candidates if spelling(live.name) == wanted]
    listed = ", ".join(f"{quoted(rules.live_address(live))} (id {live.id})" for live in candidates)
    address = rules.address_of(pair.desired)
    if len(exact) == 1:
        others = [live for live in candidates if live is not exact[0]]
        notes.warnings.append(
            f"{rules.kind} {quoted(address)}: the workspace also has "
            + ", ".join(f"{quoted(rules.live_address(live))} (id {live.id})" for live in others)
            + ", which differs only in case or Unicode form; the entry manages the exact "
            "spelling, the other is a separate object"
        )
        return exact[0]
    notes.problems.append(
        f"{rules.kind} {quoted(address)} could mean any of {len(candidates)} live objects whose "
        f"names differ only in case or Unicode form: {listed}; rename all but one in Toggl, "
        "or write the exact name of one of them"
    )
    return None


def _match(pairs: Sequence[Pair[D, L]], rules: _Rules[D, L], notes: Notes) -> None:
    """Exact keys first for every entry, so another entry's previous name cannot steal them."""
    _refuse_duplicates(pairs, rules, notes)
    claimed: set[int] = set()
    for finder in (rules.exact, rules.fallback):
        for pair in pairs:
            if pair.live is not None:
                continue
            candidates = finder(pair)
            live = _choose(pair, pair.desired.name, candidates, rules, notes)
            if live is not None and live.id not in claimed:
                pair.live, pair.via = live, "exact"
                claimed.add(live.id)
    for pair in pairs:
        # A delete follows only the exact name: removing whatever once had that name is
        # too loose a match for something that cannot be undone.
        if pair.live is None and not pair.desired.delete:
            _claim_previous(pair, rules, claimed, notes)


def _refuse_duplicates(pairs: Sequence[Pair[D, L]], rules: _Rules[D, L], notes: Notes) -> None:
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        if pair.key in seen:
            address = rules.address_of(pair.desired)
            notes.problems.append(f"{rules.kind} {quoted(address)} is listed twice in the spec")
        seen.add(pair.key)


def _claim_previous(
    pair: Pair[D, L], rules: _Rules[D, L], claimed: set[int], notes: Notes
) -> None:
    for old_name in pair.desired.previous_names:
        candidates = [live for live in rules.previous(pair, old_name) if live.id not in claimed]
        live = _choose(pair, old_name, candidates, rules, notes)
        if live is not None:
            pair.live, pair.via = live, "previous"
            claimed.add(live.id)
            return


def claimed_ids(pairs: Iterable[Pair[D, L]]) -> set[int]:
    return {pair.live.id for pair in pairs if pair.live is not None}


def _warn_shadowed(pairs: Sequence[Pair[D, L]], rules: _Rules[D, L], notes: Notes) -> None:
    """The new name wins when both it and a previous name exist: say which one is left alone."""
    claimed = claimed_ids(pairs)
    for pair in pairs:
        if pair.via != "exact" or pair.desired.delete:
            continue
        for old_name in pair.desired.previous_names:
            for other in rules.previous(pair, old_name):
                if other.id in claimed:
                    continue
                notes.warnings.append(
                    f"{rules.kind} {quoted(rules.address_of(pair.desired))} and its previous name "
                    f"{quoted(rules.live_address(other))} both exist: the new name is managed, "
                    f"{quoted(rules.live_address(other))} stays unmanaged"
                )


def _warn_lookalikes(
    pairs: Sequence[Pair[D, L]], live_objects: Iterable[L], rules: _Rules[D, L], notes: Notes,
    scope: Callable[[L], Any] = lambda live: None,
    entry_scope: Callable[[Pair[D, L]], Any] = lambda pair: None,
) -> None:
    """Entries that match nothing, next to a live object a reader could take for them.

    They are never matched (the names differ by more than case), so the plan says so instead:
    a create may meet Toggl's own idea of a duplicate, and a delete removes nothing.
    """
    unmatched = [pair for pair in pairs if pair.live is None]
    if not unmatched:
        return
    # Managed objects count too: creating "STRASSE" next to a managed "Stra\u00dfe" may meet
    # Toggl's own idea of a duplicate just the same.
    wanted = {id(pair): lookalike_key(pair.desired.name) for pair in unmatched}
    wanted_keys = set(wanted.values())
    index: dict[tuple[Any, str], list[L]] = defaultdict(list)
    for live in live_objects:
        name = live.name
        # lookalike_key of an ASCII name is its lower(): skip the call for the many names
        # that no unmatched entry could look like.
        key = name.lower() if name.isascii() else lookalike_key(name)
        if key in wanted_keys:
            index[(scope(live), key)].append(live)
    for pair in unmatched:
        similar = index.get((entry_scope(pair), wanted[id(pair)]), [])
        if not similar:
            continue
        names = ", ".join(f"{quoted(rules.live_address(live))} (id {live.id})" for live in similar)
        if pair.desired.delete and all(name_key(live.name) == pair.key[1] for live in similar):
            notes.warnings.append(
                f"{rules.kind} {quoted(rules.address_of(pair.desired))} matches no live object: "
                f"{names} differs in case, and a delete removes only the exact spelling, so "
                "nothing is deleted"
            )
            continue
        outcome = "nothing is deleted" if pair.desired.delete else "it is created as a new object"
        notes.warnings.append(
            f"{rules.kind} {quoted(rules.address_of(pair.desired))} matches no live object: {names} "
            f"looks alike but differs by more than case or Unicode form, so it is not touched "
            f"and {outcome}"
        )


def warn_live_lookalikes(
    kind: Kind, groups: Iterable[list[AnyLive]], address_of: Callable[[Any], str], notes: Notes
) -> None:
    """Live objects of one kind (and scope) whose names a reader could take for one another."""
    for group in groups:
        if len(group) < 2:
            continue
        shown = ", ".join(f"{quoted(address_of(live))} (id {live.id}, {ascii(live.name)})"
                          for live in group)
        notes.warnings.append(
            f"look-alike {_SECTIONS[kind]} in the workspace: {shown}; they are separate "
            "objects, matched by exact name only"
        )


def _lookalike_groups(objects: Iterable[L], scope: Callable[[L], Any]) -> list[list[L]]:
    """Objects (per scope) whose names look alike. Most names are ASCII, and an ASCII name
    looks like another only if it is that name up to case: those are counted first, cheaply,
    and only a scope holding a non-ASCII name or a repeated key is grouped in full."""
    seen: set[tuple[Any, str]] = set()
    suspect: set[Any] = set()
    for live in objects:
        name = live.name
        key = (scope(live), name.lower())
        if key in seen or not name.isascii():
            suspect.add(key[0])
        seen.add(key)
    if not suspect:
        return []
    groups: dict[tuple[Any, str], list[L]] = defaultdict(list)
    for live in objects:
        where = scope(live)
        if where in suspect:
            groups[(where, lookalike_key(live.name))].append(live)
    return [group for group in groups.values() if len(group) > 1]


def _by_name(objects: Iterable[L]) -> dict[str, list[L]]:
    index: dict[str, list[L]] = defaultdict(list)
    for live in objects:
        index[name_key(live.name)].append(live)
    return index


def _named_rules(kind: Kind, index: dict[str, list[L]]) -> _Rules[Any, L]:
    """Rules for kinds identified by name alone; `index` is the live objects by name key."""
    return _Rules(
        kind=kind,
        exact=lambda pair: index.get(pair.key[1], []),
        previous=lambda pair, old: index.get(name_key(old), []),
        live_address=lambda live: escape_name(live.name),
    )


# ---------------------------------------------------------------- clients: matching and names


@dataclass
class ClientMatch:
    pairs: list[Pair[DesiredClient, LiveClient]]
    by_id: dict[int, LiveClient]
    by_key: dict[str, list[LiveClient]]  # live clients by the name key they have now
    archived_in_spec: set[str]  # keys of spec clients with `archived: true`
    after_name: dict[int, str] = field(default_factory=dict)  # id -> name once phase 1 ran
    # Kept client key (spec or referenced) -> live id.
    live_id_by_key: dict[str, int] = field(default_factory=dict)
    # Client key of any spec client, deleted ones too -> live id: where spec projects live.
    home_by_key: dict[str, int] = field(default_factory=dict)
    # Live clients projects refer to without listing them.
    referenced_ids: set[int] = field(default_factory=set)
    deleted_ids: set[int] = field(default_factory=set)  # live clients this plan deletes
    # Live clients a delete leaves in place because it would unprotect a project.
    kept_for_projects: set[int] = field(default_factory=set)
    # Live client id -> the previous names its spec entry lists (old addresses of its projects).
    previous_names: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def name_of(self, client_id: int | None) -> str | None:
        # A client id Toggl no longer knows is treated as no client.
        return self.after_name.get(client_id) if client_id is not None else None

    def live_name_of(self, client_id: int | None) -> str | None:
        """The client's name in the workspace now (before this plan's renames)."""
        client = self.by_id.get(client_id) if client_id is not None else None
        return client.name if client is not None else None


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
    _warn_lookalikes(pairs, live.clients, rules, notes)
    warn_live_lookalikes("client", _lookalike_groups(live.clients, lambda c: None),
                         rules.live_address, notes)
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
    clients.deleted_ids = _deleted_clients(desired, live, clients, notes)
    return clients


def _settle_names(clients: ClientMatch, live_clients: Sequence[LiveClient]) -> None:
    """Every live client's name once phase 1 has renamed it."""
    clients.after_name = {client.id: client.name for client in live_clients}
    for pair in clients.pairs:
        if pair.live is not None:
            clients.home_by_key[pair.key[1]] = pair.live.id
        if pair.live is not None and not pair.desired.delete:
            clients.after_name[pair.live.id] = pair.desired.name
            clients.live_id_by_key[pair.key[1]] = pair.live.id
            if pair.desired.previous_names:
                clients.previous_names[pair.live.id] = pair.desired.previous_names


def _deleted_clients(
    desired: DesiredState, live: LiveState, clients: ClientMatch, notes: Notes
) -> set[int]:
    """Live clients deleted in phase 6 (protection permitting); their projects end up clientless."""
    doomed = {p.live.id for p in clients.pairs if p.live is not None and p.desired.delete}
    if desired.unmanaged.get("client") == "delete":
        kept = claimed_ids(clients.pairs) | clients.referenced_ids
        doomed.update(c.id for c in live.clients if c.id not in kept)
    doomed = {
        client_id
        for client_id in doomed
        if not protecting_pattern(desired, "client", clients.by_id[client_id].name)
    }
    if doomed and has_patterns(desired, "project"):
        clients.kept_for_projects = _keep_for_projects(desired, live, clients, doomed, notes)
    return doomed - clients.kept_for_projects


def _keep_for_projects(
    desired: DesiredState, live: LiveState, clients: ClientMatch, doomed: set[int], notes: Notes
) -> set[int]:
    """Client deletes that would strip a project of its protection: the client stays.

    A deleted client's projects lose their client, and with it any `Client/...` pattern; the
    next plan could then delete them. Protection must not lapse through a side effect, so
    such a client is kept (and the plan says why) until the patterns cover the projects alone.
    """
    kept: set[int] = set()
    for project in live.projects:
        if project.client_id not in doomed or project.client_id in kept:
            continue
        client_name = clients.by_id[project.client_id].name
        guard = protecting_pattern(desired, "project", project.name, client_name)
        if guard is None or protecting_pattern(desired, "project", project.name) is not None:
            continue
        kept.add(project.client_id)
        notes.warnings.append(
            f"client {quoted(escape_name(client_name))} is not deleted: its project "
            f"{quoted(project_address(client_name, project.name))} is protected by "
            f"{guard.describe('project')}, which would no longer cover it once it has no "
            "client; protect the project by its own name to allow the delete"
        )
    return kept


def _resolve_references(
    project_pairs: Sequence[Pair[DesiredProject, LiveProject]], clients: ClientMatch, notes: Notes
) -> None:
    """Projects may name a client the spec does not list; it must then exist, and is kept."""
    listed = {pair.key[1]: pair.desired for pair in clients.pairs}
    claimed = claimed_ids(clients.pairs)
    rules = _named_rules("client", clients.by_key)
    for project_pair in project_pairs:
        project = project_pair.desired
        if project.client is None or project.delete:
            continue
        key = project_pair.key[0]
        if key in listed:
            if listed[key].delete:
                notes.problems.append(
                    f"project {quoted(project.address)} needs client {quoted(escape_name(project.client))}, "
                    "which the spec deletes"
                )
            continue
        if key in clients.live_id_by_key:
            continue  # another project named it already
        reference = Pair(DesiredClient(project.client), ("", key))
        live_client = _choose(reference, project.client, clients.by_key.get(key, []), rules, notes)
        problem = _reference_problem(project, live_client, claimed, clients)
        if problem:
            notes.problems.append(problem)
        elif live_client is not None:
            clients.live_id_by_key[key] = live_client.id
            clients.home_by_key[key] = live_client.id
            clients.referenced_ids.add(live_client.id)


def _reference_problem(
    project: DesiredProject, live_client: LiveClient | None, claimed: set[int], clients: ClientMatch
) -> str:
    client = escape_name(project.client or "")
    if live_client is None:
        if clients.by_key.get(project_key(project.client, "")[0]):
            return ""  # ambiguous: the problem is already noted
        return (
            f"project {quoted(project.address)}: client {quoted(client)} is neither in the spec "
            "nor in the workspace"
        )
    if live_client.id in claimed:
        # A spec client claimed it under a previous name: the project uses the old name.
        return (
            f"project {quoted(project.address)}: client {quoted(client)} is renamed to "
            f"{quoted(escape_name(clients.after_name[live_client.id]))} by the spec; use the new name"
        )
    return ""


# ---------------------------------------------------------------- projects: matching


Home = int | None  # a live client id, or None for no client


class ProjectIndex:
    """Live projects by (client id, project name key), and by project name key alone.

    A client delete leaves its projects without a client. Such an orphan is also found under
    its final, clientless key, so a clientless spec entry of that name adopts it (moving it
    out explicitly) instead of creating a namesake that would clash with it.
    """

    def __init__(self, projects: Iterable[LiveProject], clients: ClientMatch) -> None:
        self.clients = clients
        self.projects: tuple[LiveProject, ...] = tuple(projects)
        self.by_home: dict[tuple[Home, str], list[LiveProject]] = defaultdict(list)
        self.by_name: dict[str, list[LiveProject]] = defaultdict(list)
        self.orphans: dict[tuple[Home, str], list[LiveProject]] = defaultdict(list)
        self.by_final_key: dict[tuple[Home, str], list[LiveProject]] = defaultdict(list)
        for project in self.projects:
            # Each live project's name is folded once.
            project_name_key = name_key(project.name)
            key = (self.home(project), project_name_key)
            self.by_home[key].append(project)
            self.by_name[project_name_key].append(project)
            if self.is_orphan(project):
                key = (None, project_name_key)
                self.orphans[key].append(project)
            self.by_final_key[key].append(project)

    def home(self, project: LiveProject) -> Home:
        """The project's live client id; an id Toggl no longer knows counts as no client."""
        client_id = project.client_id
        return client_id if client_id is not None and client_id in self.clients.by_id else None

    def is_orphan(self, project: LiveProject) -> bool:
        return project.client_id in self.clients.deleted_ids

    def client_of(self, project: LiveProject) -> str | None:
        return self.clients.name_of(project.client_id)

    def address_of(self, project: LiveProject) -> str:
        return project_address(self.client_of(project), project.name)

    def live_address_of(self, project: LiveProject) -> str:
        return project_address(self.clients.live_name_of(project.client_id), project.name)

    def wanted_home(self, pair: Pair[DesiredProject, LiveProject]) -> Home:
        """The live client a spec project sits under (None: no client, or one to create)."""
        client_key = pair.key[0]
        if not client_key:
            return None
        home = self.clients.home_by_key.get(client_key)
        if home is None and pair.desired.delete:
            # A delete may name a client the spec does not list: one spelled exactly so, or
            # the only one under that key. Never a client the spec renames.
            home = self._unlisted_client(client_key, pair.desired.client or "")
        return home

    def entry_scope(self, pair: Pair[DesiredProject, LiveProject]) -> Home | str:
        """Where a spec project sits, for look-alike checks: a live client id, None, or
        "new" under a client this plan creates (no live project is there to look like it)."""
        home = self.wanted_home(pair)
        return "new" if home is None and pair.desired.client is not None else home

    def _unlisted_client(self, client_key: str, name: str) -> Home:
        claimed = set(self.clients.home_by_key.values())
        candidates = [c for c in self.clients.by_key.get(client_key, []) if c.id not in claimed]
        exact = [c for c in candidates if spelling(c.name) == spelling(name)]
        chosen = exact if exact else candidates
        return chosen[0].id if len(chosen) == 1 else None

    def exact(self, pair: Pair[DesiredProject, LiveProject]) -> list[LiveProject]:
        if pair.desired.client is not None and self.wanted_home(pair) is None:
            return []  # a client this plan creates holds no live project yet
        return self.by_home.get((self.wanted_home(pair), pair.key[1]), [])

    def orphan(self, pair: Pair[DesiredProject, LiveProject]) -> list[LiveProject]:
        # Never for a delete: it would remove the orphan, not the clientless project it names.
        if pair.desired.client is not None or pair.desired.delete:
            return []
        return self.orphans.get((None, pair.key[1]), [])

    def previous(self, pair: Pair[DesiredProject, LiveProject], old_name: str) -> list[LiveProject]:
        # Under the entry's own client only: reaching another client takes `move_from`.
        return self.exact(Pair(pair.desired, (pair.key[0], name_key(old_name))))

    def at_address(self, address: str) -> list[LiveProject]:
        """Live projects at a `Client/Project` address, as the workspace names them now."""
        client, name = split_address(address)
        homes: list[Home] = [None]
        if client is not None:
            # The client as the workspace names it now, or as the spec renames it.
            homes = [c.id for c in self.clients.by_key.get(name_key(client), [])]
            renamed = self.clients.live_id_by_key.get(name_key(client))
            if renamed is not None and renamed not in homes:
                homes.append(renamed)
        found = [p for home in homes for p in self.by_home.get((home, name_key(name)), [])]
        exact = [p for p in found if spelling(self.live_address_of(p)) == spelling(address)
                 or spelling(self.address_of(p)) == spelling(address)]
        return exact or found


def match_projects(
    pairs: Sequence[Pair[DesiredProject, LiveProject]], index: ProjectIndex, notes: Notes
) -> None:
    """Fill in the live side of the project pairs made (with their keys) by `new_pairs`."""
    rules: _Rules[DesiredProject, LiveProject] = _Rules(
        kind="project",
        exact=index.exact,
        fallback=index.orphan,
        previous=index.previous,
        live_address=index.live_address_of,
    )
    _match(pairs, rules, notes)
    _claim_moves(pairs, index, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    _warn_moves_shadowed(pairs, index, notes)
    _warn_lookalikes(pairs, index.projects, rules, notes,
                     scope=index.home, entry_scope=index.entry_scope)
    _hint_namesakes(pairs, index, notes)
    warn_live_lookalikes("project", _lookalike_groups(index.projects, index.home),
                         index.live_address_of, notes)


def _claim_moves(
    pairs: Sequence[Pair[DesiredProject, LiveProject]], index: ProjectIndex,
    rules: _Rules[DesiredProject, LiveProject], notes: Notes,
) -> None:
    """`move_from`: the entry takes over the live project at that address, wherever it is.

    The only way to reach a project under another client: taking over a project the spec
    does not manage is never inferred from a name alone. Delete entries never move.
    """
    claimed = claimed_ids(pairs)
    for pair in pairs:
        source = pair.desired.move_from
        if source is not None and pair.desired.delete:
            notes.warnings.append(
                f"project {quoted(pair.desired.address)}: move_from is ignored on a delete entry, "
                "which removes only the project at its own address"
            )
        if pair.live is not None or pair.desired.delete or source is None:
            continue
        candidates = index.at_address(source)
        free = [live for live in candidates if live.id not in claimed]
        if candidates and not free:
            notes.problems.append(
                f"project {quoted(pair.desired.address)}: move_from {quoted(source)} is a project another "
                "entry of the spec manages"
            )
            continue
        live = _choose(pair, split_address(source)[1], free, rules, notes)
        if live is None:
            if not free:
                notes.warnings.append(
                    f"project {quoted(pair.desired.address)}: move_from {quoted(source)} matches no live "
                    "project, so it is created"
                )
            continue
        pair.live, pair.via = live, "move"
        claimed.add(live.id)


def _warn_moves_shadowed(
    pairs: Sequence[Pair[DesiredProject, LiveProject]], index: ProjectIndex, notes: Notes
) -> None:
    claimed = claimed_ids(pairs)
    for pair in pairs:
        source = pair.desired.move_from
        if pair.via != "exact" or source is None:
            continue
        for other in index.at_address(source):
            if other.id not in claimed:
                notes.warnings.append(
                    f"project {quoted(pair.desired.address)} and its move_from {quoted(source)} both exist: "
                    f"the new address is managed, {quoted(index.live_address_of(other))} stays "
                    "unmanaged"
                )


def _hint_namesakes(
    pairs: Sequence[Pair[DesiredProject, LiveProject]], index: ProjectIndex, notes: Notes
) -> None:
    """A created project whose name an unmanaged project elsewhere has: say it is not moved."""
    claimed = claimed_ids(pairs)
    for pair in pairs:
        if pair.live is not None or pair.desired.delete or pair.desired.move_from is not None:
            continue
        for other in index.by_name.get(pair.key[1], []):
            if other.id in claimed:
                continue
            hours = other.actual_seconds / 3600
            address = index.live_address_of(other)
            notes.warnings.append(
                f"project {quoted(pair.desired.address)} is created; {quoted(address)} ({hours:.1f} h "
                f"tracked) has the same name and is not taken over: write move_from: "
                f"{quoted(address)} in the entry to move it instead"
            )


# ---------------------------------------------------------------- tags


def match_tags(
    desired: DesiredState, live: LiveState, notes: Notes
) -> list[Pair[DesiredTag, LiveTag]]:
    rules: _Rules[DesiredTag, LiveTag] = _named_rules("tag", _by_name(live.tags))
    pairs: list[Pair[DesiredTag, LiveTag]] = new_pairs(desired.tags)
    _match(pairs, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    _warn_lookalikes(pairs, live.tags, rules, notes)
    warn_live_lookalikes("tag", _lookalike_groups(live.tags, lambda t: None),
                         rules.live_address, notes)
    return pairs


# ---------------------------------------------------------------- kinds keyed by name alone


def match_by_name(
    kind: Kind, entries: Sequence[D], live_objects: Sequence[L], notes: Notes,
    entry_address: Callable[[Any], str] | None = None,
    live_address: Callable[[L], str] | None = None,
) -> list[Pair[D, L]]:
    """Pairs for a kind identified by name within one scope (groups in the organization, the
    tasks of one project): exact spelling, then case only, then previous names, as tags."""
    quick = exact_matches(entries, live_objects)
    if quick is not None:
        return [Pair(entry, ("", name_key(entry.name)), live, "exact") for entry, live in quick]
    rules: _Rules[D, L] = _named_rules(kind, _by_name(live_objects))
    if entry_address is not None or live_address is not None:
        rules = _Rules(kind=kind, exact=rules.exact, previous=rules.previous,
                       live_address=live_address or rules.live_address,
                       entry_address=entry_address)
    pairs: list[Pair[D, L]] = new_pairs(entries)
    _match(pairs, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    _warn_lookalikes(pairs, live_objects, rules, notes)
    return pairs


def exact_matches(entries: Sequence[D], live_objects: Sequence[L]) -> list[tuple[D, L]] | None:
    """The common case, cheaply: every entry is the one live object of its name key, spelled
    exactly so, with no previous name and no delete. Then the full matching (`match_by_name`)
    could neither warn nor refuse anything (no twins, no renames, no entry left unmatched)
    and would pair them the same way; anything else returns None for it to decide."""
    by_key: dict[str, L] = {}
    for live in live_objects:
        name = live.name
        # name_key without its Unicode normalization for ASCII names, which NFC keeps as is.
        key = name.lower() if name.isascii() else name_key(name)
        if key in by_key:
            return None  # live names that differ only in case: the full matching decides
        by_key[key] = live
    found: list[tuple[D, L]] = []
    for entry in entries:
        if entry.previous_names or entry.delete:
            return None
        name = entry.name
        live = by_key.pop(name.lower() if name.isascii() else name_key(name), None)
        # A second entry of one key finds none (popped): the full matching refuses it.
        if live is None or (live.name != name and spelling(live.name) != spelling(name)):
            return None
        found.append((entry, live))
    return found
