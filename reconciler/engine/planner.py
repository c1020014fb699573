"""The planner: desired state + live state -> an ordered Plan (pure, linear in the objects).

Three steps. Matching pairs each spec entry with at most one live object (exact key, then a
previous name, then, for projects, a unique same-named project elsewhere: a move). A layout
then works out where every surviving project sits when client archives run (the last phase),
because a client archive takes its projects along in Toggl and a client restore may bring
some back. Finally each pair and each unmatched live object yields at most one Change.

Every lookup is a dict keyed by `name_key`/`project_key`; nothing scans a list per object.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Generic, Iterable, Mapping, Sequence, TypeVar

from reconciler.engine.plan import (
    Action,
    BlastRadius,
    Change,
    FieldChange,
    Plan,
    UnmanagedObject,
)
from reconciler.engine.safety import protecting_pattern
from reconciler.errors import PlanningError
from reconciler.model import (
    CLIENT_FIELDS,
    FREE_PALETTE,
    KINDS,
    PAID_PROJECT_FIELDS,
    PROJECT_FIELDS,
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

_ACTION_ORDER: Mapping[Action, int] = {
    action: rank
    for rank, action in enumerate(
        (Action.CREATE, Action.RENAME, Action.UPDATE, Action.RESTORE, Action.ARCHIVE, Action.DELETE)
    )
}
_CREATE_REASON = "in the spec, not in the workspace"
# Fields a project diff compares besides name/client/active, which have their own rules.
_PLAIN_PROJECT_FIELDS: tuple[str, ...] = tuple(
    name for name in PROJECT_FIELDS if name not in ("client", "active")
)


# ---------------------------------------------------------------- matching


@dataclass
class _Pair(Generic[D, L]):
    desired: D
    live: L | None = None
    via: str = "new"  # exact | previous | move | new


@dataclass
class _Notes:
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


def _match(entries: Sequence[D], rules: _Rules[D, L], notes: _Notes) -> list[_Pair[D, L]]:
    """Exact keys first for every entry, so another entry's previous name cannot steal them."""
    pairs: list[_Pair[D, L]] = [_Pair(entry) for entry in entries]
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


def _refuse_duplicates(entries: Sequence[D], kind: Kind, notes: _Notes) -> None:
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        key = _desired_key(entry)
        if key in seen:
            notes.problems.append(f"{kind} '{_desired_address(entry)}' is listed twice in the spec")
        seen.add(key)


def _claim_previous(pair: _Pair[D, L], rules: _Rules[D, L], claimed: set[int]) -> None:
    for old_name in pair.desired.previous_names:
        live = _first_unclaimed(rules.previous(pair.desired, old_name), claimed)
        if live is not None:
            pair.live, pair.via = live, "previous"
            claimed.add(live.id)
            return


def _first_unclaimed(candidates: Iterable[L], claimed: set[int]) -> L | None:
    return next((live for live in candidates if live.id not in claimed), None)


def _claimed_ids(pairs: Iterable[_Pair[D, L]]) -> set[int]:
    return {pair.live.id for pair in pairs if pair.live is not None}


def _warn_shadowed(pairs: Sequence[_Pair[D, L]], rules: _Rules[D, L], notes: _Notes) -> None:
    """The new name wins when both it and a previous name exist: say which one is left alone."""
    claimed = _claimed_ids(pairs)
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
class _Clients:
    pairs: list[_Pair[DesiredClient, LiveClient]]
    by_id: dict[int, LiveClient]
    after_name: dict[int, str]  # live client id -> its name once phase 1 has run
    live_id_by_key: dict[str, int]  # kept client key (spec or referenced) -> live id
    archived_in_spec: set[str]  # keys of spec clients with `archived: true`
    referenced_ids: set[int]  # live clients projects refer to without listing them
    deleted_ids: set[int] = field(default_factory=set)  # live clients this plan deletes

    def name_of(self, client_id: int | None) -> str | None:
        # A client id Toggl no longer knows is treated as no client.
        return self.after_name.get(client_id) if client_id is not None else None


def _match_clients(desired: DesiredState, live: LiveState, notes: _Notes) -> _Clients:
    rules: _Rules[DesiredClient, LiveClient] = _named_rules("client", live.clients)
    pairs = _match(desired.clients, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    after_name = {client.id: client.name for client in live.clients}
    live_id_by_key: dict[str, int] = {}
    for pair in pairs:
        if pair.live is not None and not pair.desired.delete:
            after_name[pair.live.id] = pair.desired.name
            live_id_by_key[name_key(pair.desired.name)] = pair.live.id
    clients = _Clients(
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


def _deleted_clients(desired: DesiredState, live: LiveState, clients: _Clients) -> set[int]:
    """Live clients deleted in phase 6 (protection permitting); their projects end up clientless."""
    doomed = {p.live.id for p in clients.pairs if p.live is not None and p.desired.delete}
    if desired.unmanaged.get("client") == "delete":
        kept = _claimed_ids(clients.pairs) | clients.referenced_ids
        doomed.update(c.id for c in live.clients if c.id not in kept)
    return {
        client_id
        for client_id in doomed
        if not protecting_pattern(desired, "client", clients.by_id[client_id].name)
    }


def _resolve_references(
    desired: DesiredState, live: LiveState, clients: _Clients, notes: _Notes
) -> None:
    """Projects may name a client the spec does not list; it must then exist, and is kept."""
    listed = {name_key(entry.name): entry for entry in desired.clients}
    live_by_key = _by_name(live.clients)
    claimed = _claimed_ids(clients.pairs)
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
    project: DesiredProject, live_client: LiveClient | None, claimed: set[int], clients: _Clients
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


class _ProjectIndex:
    """Live projects by (client name once renamed, project name) and by project name alone.

    A client delete leaves its projects without a client. Such an orphan is also found under
    its final, clientless key, so a clientless spec entry of that name adopts it (moving it
    out explicitly) instead of creating a namesake that would clash with it.
    """

    def __init__(self, projects: Iterable[LiveProject], clients: _Clients) -> None:
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


def _refuse_clashes(ctx: _Context, pairs: Sequence[_Pair[DesiredProject, LiveProject]]) -> None:
    """Orphans of a client delete must not meet a clientless namesake (Toggl keeps names
    unique per client), nor take a name the spec deletes, unless the plan moves them first."""
    index = ctx.projects
    leaving = _leaving_ids(ctx, pairs)
    deleted_names = {
        project_key(None, entry.name)
        for entry in ctx.desired.projects
        if entry.delete and entry.client is None
    }
    for key, group in index.by_final_key.items():
        staying = [project for project in group if project.id not in leaving]
        orphan = next((project for project in staying if index.is_orphan(project)), None)
        if orphan is None or (len(staying) == 1 and key not in deleted_names):
            continue
        holders = ", ".join(f"'{index.address_of(p)}'" for p in staying if p is not orphan)
        what = f"where {holders} holds that name" if holders else "a name the spec deletes"
        ctx.notes.problems.append(
            f"deleting client '{index.client_of(orphan)}' would leave its project "
            f"'{orphan.name}' without a client, {what}: move or delete "
            f"'{index.address_of(orphan)}' in the spec"
        )


def _leaving_ids(ctx: _Context, pairs: Sequence[_Pair[DesiredProject, LiveProject]]) -> set[int]:
    """Projects the plan moves under a client or deletes before they could clash.

    A spec delete of a clientless project does not count: the orphan would take its name
    and the next plan would delete that one too.
    """
    leaving: set[int] = set()
    for pair in pairs:
        if pair.live is None:
            continue
        deleted = pair.desired.delete and ctx.projects.is_orphan(pair.live)
        if deleted or (pair.desired.client and not pair.desired.delete):
            leaving.add(pair.live.id)
    matched = _claimed_ids(pairs)
    leaving.update(
        p.id
        for p in ctx.live.projects
        if p.id not in matched and _unmanaged_delete_applies(ctx, p)
    )
    return leaving


def _match_projects(
    desired: DesiredState, index: _ProjectIndex, notes: _Notes
) -> list[_Pair[DesiredProject, LiveProject]]:
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


def _claim_moves(pairs: list[_Pair[DesiredProject, LiveProject]], index: _ProjectIndex) -> None:
    """A project whose name is unique on both sides moves to the spec's client.

    Delete entries never move: deleting a same-named project under another client would
    remove something the spec did not point at.
    """
    claimed = _claimed_ids(pairs)
    waiting = [pair for pair in pairs if pair.live is None and not pair.desired.delete]
    wanted = Counter(name_key(pair.desired.name) for pair in waiting)
    for pair in waiting:
        candidate = index.unique_named(pair.desired.name)
        if wanted[name_key(pair.desired.name)] == 1 and candidate and candidate.id not in claimed:
            pair.live, pair.via = candidate, "move"
            claimed.add(candidate.id)


# ---------------------------------------------------------------- layout at the client phase


@dataclass(frozen=True)
class _Member:
    """A project under a client when client archives run; `wanted` is None if unmanaged."""

    live: LiveProject
    wanted: DesiredProject | None


@dataclass
class _Context:
    desired: DesiredState
    live: LiveState
    notes: _Notes
    clients: _Clients
    projects: _ProjectIndex
    members: dict[int, list[_Member]] = field(default_factory=dict)
    archiving: set[int] = field(default_factory=set)  # live client ids archived in phase 6
    restored: set[int] = field(default_factory=set)  # project ids a client restore brings back

    def policy(self, kind: Kind) -> str:
        return self.desired.unmanaged.get(kind, "ignore")

    def protection(self, kind: Kind, *names: tuple[str, str | None]) -> str | None:
        """The pattern protecting an object under any of its names (live or spec), if any."""
        for name, client in names:
            pattern = protecting_pattern(self.desired, kind, name, client)
            if pattern is not None:
                return pattern
        return None

    def wants_active(self, entry: DesiredProject) -> bool:
        if "active" in entry.fields:
            return bool(entry.fields["active"])
        # Archiving a client archives its projects, so they default to archived with it.
        return not (entry.client and name_key(entry.client) in self.clients.archived_in_spec)

    def target_client_id(self, entry: DesiredProject) -> int | None:
        return self.clients.live_id_by_key.get(name_key(entry.client)) if entry.client else None


def _lay_out(ctx: _Context, pairs: Sequence[_Pair[DesiredProject, LiveProject]]) -> None:
    """Where each live project sits in phase 6: moved to its spec client, or left in place
    unless a (non-protected) delete removes it first."""
    members: dict[int, list[_Member]] = defaultdict(list)
    matched: set[int] = set()
    for pair in pairs:
        if pair.live is None:
            continue
        matched.add(pair.live.id)
        if pair.desired.delete:
            protected_by = ctx.protection("project", _live_project_name(ctx, pair.live))
            if protected_by and pair.live.client_id is not None:
                members[pair.live.client_id].append(_Member(pair.live, None))
            continue
        target = ctx.target_client_id(pair.desired)
        if target is not None:
            members[target].append(_Member(pair.live, pair.desired))
    for project in ctx.live.projects:
        if project.id not in matched and project.client_id is not None:
            if not _unmanaged_delete_applies(ctx, project):
                members[project.client_id].append(_Member(project, None))
    ctx.members = dict(members)


def _unmanaged_delete_applies(ctx: _Context, project: LiveProject) -> bool:
    return ctx.policy("project") == "delete" and not ctx.protection(
        "project", _live_project_name(ctx, project)
    )


def _live_project_name(ctx: _Context, project: LiveProject) -> tuple[str, str | None]:
    return (project.name, ctx.projects.client_of(project))


# ---------------------------------------------------------------- client archive / restore


def _decide_client_states(ctx: _Context) -> None:
    """Fix which clients are archived in phase 6 and which projects client restores bring back;
    projects are planned around these side effects."""
    for pair in ctx.clients.pairs:
        live, entry = pair.live, pair.desired
        if live is None or entry.delete:
            continue
        wants_archived = entry.fields.get("archived") is True
        if wants_archived and not live.archived and _may_archive_client(ctx, live, entry.name):
            ctx.archiving.add(live.id)
        elif live.archived and not wants_archived:
            ctx.restored.update(_projects_to_restore(ctx, live.id))
    if ctx.policy("client") == "archive":
        for live in _unmatched_clients(ctx):
            if not live.archived and _may_archive_client(ctx, live, live.name):
                ctx.archiving.add(live.id)


def _may_archive_client(ctx: _Context, live: LiveClient, name: str) -> bool:
    pattern = ctx.protection("client", (live.name, None), (name, None))
    if pattern:
        ctx.notes.warnings.append(f"client '{name}' is protected by '{pattern}': not archived")
        return False
    client_name = ctx.clients.name_of(live.id)
    for member in ctx.members.get(live.id, []):
        project = member.live
        names = [(project.name, client_name)]
        if member.wanted is not None:
            names.append((member.wanted.name, member.wanted.client))
        pattern = ctx.protection("project", *names) if project.active else None
        if pattern:
            ctx.notes.warnings.append(
                f"client '{name}' is not archived: it would archive project "
                f"'{project_address(client_name, project.name)}', protected by '{pattern}'"
            )
            return False
    return True


def _projects_to_restore(ctx: _Context, client_id: int) -> list[int]:
    # Only projects already under the client: moves happen after client restores.
    return [
        member.live.id
        for member in ctx.members.get(client_id, [])
        if member.wanted is not None
        and member.live.client_id == client_id
        and not member.live.active
        and ctx.wants_active(member.wanted)
    ]


def _unmatched_clients(ctx: _Context) -> list[LiveClient]:
    kept = _claimed_ids(ctx.clients.pairs) | ctx.clients.referenced_ids
    return [client for client in ctx.live.clients if client.id not in kept]


def _client_blast(ctx: _Context, client_id: int, action: Action) -> BlastRadius:
    members = ctx.members.get(client_id, [])
    seconds = sum(member.live.actual_seconds for member in members)
    if action is Action.DELETE:
        return BlastRadius(seconds, len(members))
    return BlastRadius(seconds, sum(1 for member in members if member.live.active))


# ---------------------------------------------------------------- value comparison


def _same_value(field_name: str, live_value: Any, wanted: Any) -> bool:
    if field_name == "notes":
        return (live_value or "") == (wanted or "")
    if isinstance(live_value, bool) or isinstance(wanted, bool):
        # bool is an int in Python: keep True from equalling 1.
        return type(live_value) is type(wanted) and live_value == wanted
    if field_name == "color" and isinstance(live_value, str) and isinstance(wanted, str):
        return live_value.casefold() == wanted.casefold()
    return bool(live_value == wanted)


def _is_archiving(change: FieldChange) -> bool:
    return (change.field == "archived" and change.after is True) or (
        change.field == "active" and change.after is False
    )


def _is_state(change: FieldChange) -> bool:
    return change.field in ("archived", "active")


def _action_for(fields: Sequence[FieldChange]) -> Action | None:
    """The action of an existing object's change: state changes dominate, then renames."""
    for change in fields:
        if _is_state(change):
            return Action.ARCHIVE if _is_archiving(change) else Action.RESTORE
    if any(change.field == "name" for change in fields):
        return Action.RENAME
    return Action.UPDATE if fields else None


# ---------------------------------------------------------------- building changes


def _change(
    kind: Kind,
    action: Action,
    name: str,
    live: LiveClient | LiveProject | LiveTag | None,
    fields: Sequence[FieldChange] = (),
    client: str | None = None,
    **extra: Any,
) -> Change:
    address = project_address(client, name) if kind == "project" else name
    return Change(
        action=action,
        kind=kind,
        address=address,
        name=name,
        client=client,
        live_id=live.id if live is not None else None,
        live_at=live.at if live is not None else None,
        fields=tuple(fields),
        **extra,
    )


def _guard_removal(
    ctx: _Context, change: Change | None, names: Sequence[tuple[str, str | None]]
) -> Change | None:
    """Protected objects are never archived or deleted: strip the removal, keep the rest."""
    if change is None or not change.action.is_removal:
        return change
    pattern = ctx.protection(change.kind, *names)
    if pattern is None:
        return change
    verb = "deleted" if change.action is Action.DELETE else "archived"
    ctx.notes.warnings.append(
        f"{change.kind} '{change.address}' is protected by '{pattern}': not {verb}"
    )
    if change.action is Action.DELETE:
        return None
    rest = tuple(f for f in change.fields if not _is_state(f))
    action = _action_for(rest)
    return replace(change, action=action, fields=rest, blast=None) if action else None


def _reason_for(fields: Sequence[FieldChange], state: str) -> str:
    """A short why for display: `state` explains an archive."""
    parts: list[str] = []
    for change in fields:
        if change.field == "name":
            parts.append(f"renamed from '{change.before}'")
        elif change.field == "client":
            moved_from = f"client '{change.before}'" if change.before else "no client"
            parts.append(f"moved from {moved_from}")
        elif _is_state(change):
            restore = "archived now; the spec wants it active"
            parts.append(state if _is_archiving(change) else restore)
    others = [f.field for f in fields if f.field not in ("name", "client", "active", "archived")]
    if others:
        parts.append("changed: " + ", ".join(others))
    return "; ".join(parts)


# ---------------------------------------------------------------- client changes


def _client_changes(ctx: _Context) -> list[Change]:
    changes: list[Change | None] = []
    for pair in ctx.clients.pairs:
        if pair.desired.delete:
            changes.append(_client_delete(ctx, pair.live, "delete: true in the spec"))
        elif pair.live is None:
            changes.append(_client_create(pair.desired))
        else:
            changes.append(_client_update(ctx, pair))
    changes.extend(_unmanaged_clients(ctx))
    return [change for change in changes if change is not None]


def _client_create(entry: DesiredClient) -> Change:
    fields = [FieldChange(f, None, entry.fields[f]) for f in CLIENT_FIELDS if f in entry.fields]
    return _change("client", Action.CREATE, entry.name, None, fields, reason=_CREATE_REASON)


def _client_update(ctx: _Context, pair: _Pair[DesiredClient, LiveClient]) -> Change | None:
    live, entry = pair.live, pair.desired
    assert live is not None
    fields: list[FieldChange] = []
    if live.name != entry.name:
        fields.append(FieldChange("name", live.name, entry.name))
    if "notes" in entry.fields and not _same_value("notes", live.notes, entry.fields["notes"]):
        fields.append(FieldChange("notes", live.notes, entry.fields["notes"]))
    wants_archived = entry.fields.get("archived") is True
    if live.id in ctx.archiving or (live.archived and not wants_archived):
        fields.append(FieldChange("archived", live.archived, wants_archived))
    action = _action_for(fields)
    if action is None:
        return None
    extra: dict[str, Any] = {}
    if action is Action.RESTORE:
        extra["options"] = {"restore_project_ids": _projects_to_restore(ctx, live.id)}
    if action is Action.ARCHIVE:
        extra["blast"] = _client_blast(ctx, live.id, action)
    reason = _reason_for(fields, "the spec sets archived: true")
    return _change("client", action, entry.name, live, fields, reason=reason, **extra)


def _client_delete(ctx: _Context, live: LiveClient | None, reason: str) -> Change | None:
    if live is None:
        return None
    change = _change(
        "client", Action.DELETE, live.name, live,
        blast=_client_blast(ctx, live.id, Action.DELETE), reason=reason,
    )
    return _guard_removal(ctx, change, [(live.name, None)])


def _unmanaged_clients(ctx: _Context) -> list[Change | None]:
    policy = ctx.policy("client")
    reason = f"not in the spec; unmanaged.clients is {policy}"
    if policy == "delete":
        return [_client_delete(ctx, live, reason) for live in _unmatched_clients(ctx)]
    if policy == "archive":
        return [
            _change(
                "client", Action.ARCHIVE, live.name, live, [FieldChange("archived", False, True)],
                blast=_client_blast(ctx, live.id, Action.ARCHIVE), reason=reason,
            )
            for live in _unmatched_clients(ctx)
            if live.id in ctx.archiving
        ]
    return []


# ---------------------------------------------------------------- project changes


def _project_changes(
    ctx: _Context, pairs: Sequence[_Pair[DesiredProject, LiveProject]]
) -> list[Change]:
    changes: list[Change | None] = []
    for pair in pairs:
        entry = pair.desired
        if entry.delete:
            reason = "delete: true in the spec"
            changes.append(_project_delete(ctx, pair.live, entry.delete_time_entries, reason))
        elif pair.live is None:
            changes.append(_project_create(ctx, entry))
        else:
            changes.append(_project_update(ctx, pair))
    matched = _claimed_ids(pairs)
    changes.extend(
        _unmanaged_project(ctx, live) for live in ctx.live.projects if live.id not in matched
    )
    return [change for change in changes if change is not None]


def _project_create(ctx: _Context, entry: DesiredProject) -> Change:
    fields = [FieldChange("client", None, entry.client)] if entry.client else []
    wanted = ctx.wants_active(entry)
    if ctx.target_client_id(entry) in ctx.archiving:
        _refuse_active_under_archive(ctx, entry, wanted)
    # Always sent: Toggl creates a project archived unless told `active: true`.
    fields.append(FieldChange("active", None, wanted))
    fields.extend(
        FieldChange(f, None, entry.fields[f]) for f in _PLAIN_PROJECT_FIELDS if f in entry.fields
    )
    return _change(
        "project", Action.CREATE, entry.name, None, fields, client=entry.client,
        reason=_CREATE_REASON,
    )


def _project_update(ctx: _Context, pair: _Pair[DesiredProject, LiveProject]) -> Change | None:
    live, entry = pair.live, pair.desired
    assert live is not None
    fields = _identity_fields(ctx, live, entry)
    fields.extend(_active_field(ctx, live, entry))
    fields.extend(
        FieldChange(name, live.fields.get(name), entry.fields[name])
        for name in _PLAIN_PROJECT_FIELDS
        if name in entry.fields and not _same_value(name, live.fields.get(name), entry.fields[name])
    )
    action = _action_for(fields)
    if action is None:
        return None
    archive_reason = (
        "the spec sets active: false"
        if "active" in entry.fields
        else f"its client '{entry.client}' is archived in the spec"
    )
    change = _change(
        "project", action, entry.name, live, fields, client=entry.client,
        blast=BlastRadius(live.actual_seconds, 0) if action is Action.ARCHIVE else None,
        reason=_reason_for(fields, archive_reason),
    )
    return _guard_removal(ctx, change, [_live_project_name(ctx, live), (entry.name, entry.client)])


def _identity_fields(ctx: _Context, live: LiveProject, entry: DesiredProject) -> list[FieldChange]:
    fields: list[FieldChange] = []
    if live.name != entry.name:
        fields.append(FieldChange("name", live.name, entry.name))
    live_client = ctx.projects.client_of(live)
    if project_key(live_client, "") != project_key(entry.client, ""):
        fields.append(FieldChange("client", live_client, entry.client))
    return fields


def _active_field(ctx: _Context, live: LiveProject, entry: DesiredProject) -> list[FieldChange]:
    wanted = ctx.wants_active(entry)
    if ctx.target_client_id(entry) in ctx.archiving:
        # The client archive of phase 6 sets this project's state: no change of its own.
        _refuse_active_under_archive(ctx, entry, wanted)
        return []
    live_active = live.active or live.id in ctx.restored
    return [] if live_active == wanted else [FieldChange("active", live_active, wanted)]


def _refuse_active_under_archive(ctx: _Context, entry: DesiredProject, wanted: bool) -> None:
    if wanted:
        ctx.notes.problems.append(
            f"project '{entry.address}' is wanted active, but its client '{entry.client}' "
            "is archived by this plan, which archives all its projects"
        )


def _project_delete(
    ctx: _Context, live: LiveProject | None, with_entries: bool, reason: str
) -> Change | None:
    if live is None:
        return None
    client = ctx.projects.client_of(live)
    change = _change(
        "project", Action.DELETE, live.name, live, client=client,
        blast=BlastRadius(live.actual_seconds, 0),
        options={"te_deletion_mode": "delete" if with_entries else "unassign"},
        reason=reason,
    )
    return _guard_removal(ctx, change, [(live.name, client)])


def _unmanaged_project(ctx: _Context, live: LiveProject) -> Change | None:
    policy = ctx.policy("project")
    reason = f"not in the spec; unmanaged.projects is {policy}"
    if policy == "delete":
        return _project_delete(ctx, live, False, reason)
    taken_along = live.client_id in ctx.archiving
    if policy != "archive" or not live.active or taken_along:
        return None
    client = ctx.projects.client_of(live)
    change = _change(
        "project", Action.ARCHIVE, live.name, live, [FieldChange("active", True, False)],
        client=client, blast=BlastRadius(live.actual_seconds, 0), reason=reason,
    )
    return _guard_removal(ctx, change, [(live.name, client)])


# ---------------------------------------------------------------- tags


def _match_tags(
    desired: DesiredState, live: LiveState, notes: _Notes
) -> list[_Pair[DesiredTag, LiveTag]]:
    rules: _Rules[DesiredTag, LiveTag] = _named_rules("tag", live.tags)
    pairs = _match(desired.tags, rules, notes)
    _warn_shadowed(pairs, rules, notes)
    return pairs


def _tag_changes(ctx: _Context, pairs: Sequence[_Pair[DesiredTag, LiveTag]]) -> list[Change]:
    changes: list[Change | None] = []
    for pair in pairs:
        live, entry = pair.live, pair.desired
        if entry.delete:
            changes.append(_tag_delete(ctx, live, "delete: true in the spec"))
        elif live is None:
            changes.append(_change("tag", Action.CREATE, entry.name, None, reason=_CREATE_REASON))
        elif live.name != entry.name:
            fields = [FieldChange("name", live.name, entry.name)]
            reason = _reason_for(fields, "")
            changes.append(_change("tag", Action.RENAME, entry.name, live, fields, reason=reason))
    # Tags cannot be archived (the schema forbids the policy); anything but delete leaves them.
    if ctx.policy("tag") == "delete":
        matched = _claimed_ids(pairs)
        reason = "not in the spec; unmanaged.tags is delete"
        changes.extend(
            _tag_delete(ctx, live, reason) for live in ctx.live.tags if live.id not in matched
        )
    return [change for change in changes if change is not None]


def _tag_delete(ctx: _Context, live: LiveTag | None, reason: str) -> Change | None:
    if live is None:
        return None
    change = _change("tag", Action.DELETE, live.name, live, reason=reason)
    return _guard_removal(ctx, change, [(live.name, None)])


# ---------------------------------------------------------------- unmanaged objects (ignore)


def _unmanaged_listing(ctx: _Context, matched: Mapping[Kind, set[int]]) -> list[UnmanagedObject]:
    """Objects left alone by the `ignore` policy, each with a spec entry that would adopt it."""
    listing: list[UnmanagedObject] = []
    if ctx.policy("client") == "ignore":
        listing.extend(_client_entry(live) for live in _unmatched_clients(ctx))
    if ctx.policy("project") == "ignore":
        listing.extend(
            _project_entry(ctx, live)
            for live in ctx.live.projects
            if live.id not in matched["project"]
        )
    if ctx.policy("tag") != "delete":
        listing.extend(
            UnmanagedObject("tag", live.name, live.id, live.name)
            for live in ctx.live.tags
            if live.id not in matched["tag"]
        )
    return sorted(
        listing, key=lambda obj: (KINDS.index(obj.kind), obj.address.casefold(), obj.live_id)
    )


def _client_entry(live: LiveClient) -> UnmanagedObject:
    entry: dict[str, Any] = {"name": live.name}
    if live.notes:
        entry["notes"] = live.notes
    if live.archived:
        entry["archived"] = True
    return UnmanagedObject("client", live.name, live.id, entry)


def _project_entry(ctx: _Context, live: LiveProject) -> UnmanagedObject:
    client = ctx.projects.client_of(live)
    entry: dict[str, Any] = {"name": live.name}
    if client:
        entry["client"] = client
    # color / is_private go in when Toggl reported them: a null would not validate.
    for name in ("color", "is_private"):
        if live.fields.get(name) is not None:
            entry[name] = live.fields[name]
    if not live.active:
        entry["active"] = False
    if live.fields.get("billable") is not None:
        entry["billable"] = live.fields["billable"]
    return UnmanagedObject("project", project_address(client, live.name), live.id, entry)


# ---------------------------------------------------------------- plan tier


def _check_tier(changes: Iterable[Change], tier: str | None, notes: _Notes) -> None:
    if tier != "free":
        return
    for change in changes:
        label = f"{change.kind} '{change.address}'"
        color = change.after("color")
        if isinstance(color, str) and color.casefold() not in FREE_PALETTE:
            notes.problems.append(
                f"{label}: colour {color} needs a paid plan; the workspace is on Free "
                "(use one of the 14 free palette colours)"
            )
        if change.kind == "client" and change.after("archived") is True:
            notes.problems.append(
                f"{label}: archiving a client needs a paid plan; the workspace is on Free"
            )
        paid = [
            f.field for f in change.fields if f.field in PAID_PROJECT_FIELDS and f.after is not None
        ]
        if paid:
            notes.warnings.append(
                f"{label}: {', '.join(paid)} needs a paid plan; the workspace is on Free, "
                "so Toggl may refuse or ignore it"
            )


# ---------------------------------------------------------------- ordering and entry point


def _phase(change: Change) -> int:
    phases = {"client": (1, 6), "project": (2, 5), "tag": (3, 4)}[change.kind]
    return phases[1] if change.action.is_removal else phases[0]


def _order_key(change: Change) -> tuple[int, int, str, str, int]:
    return (
        _phase(change),
        _ACTION_ORDER[change.action],
        change.address.casefold(),
        change.address,
        change.live_id if change.live_id is not None else -1,
    )


def build_plan(desired: DesiredState, live: LiveState) -> Plan:
    """Diff the spec against the workspace; raises PlanningError for what Toggl would refuse."""
    notes = _Notes()
    clients = _match_clients(desired, live, notes)
    index = _ProjectIndex(live.projects, clients)
    project_pairs = _match_projects(desired, index, notes)
    tag_pairs = _match_tags(desired, live, notes)
    ctx = _Context(desired, live, notes, clients, index)
    _refuse_clashes(ctx, project_pairs)
    _lay_out(ctx, project_pairs)
    _decide_client_states(ctx)
    changes = [
        *_client_changes(ctx),
        *_project_changes(ctx, project_pairs),
        *_tag_changes(ctx, tag_pairs),
    ]
    _check_tier(changes, live.tier, notes)
    if notes.problems:
        raise PlanningError(notes.problems)
    matched: dict[Kind, set[int]] = {"project": _claimed_ids(project_pairs),
                                      "tag": _claimed_ids(tag_pairs)}
    return Plan(
        workspace_id=live.workspace_id,
        workspace_name=live.workspace_name,
        changes=tuple(sorted(changes, key=_order_key)),
        unmanaged=tuple(_unmanaged_listing(ctx, matched)),
        warnings=tuple(notes.warnings),
        spec_hash=desired.spec_hash,
    )
