"""Properties of identity and protection over hostile names (issue 9 acceptance, planner level).

Names come from a small alphabet of troublemakers: case variants, NFC/NFD spellings, an
invisible character, ß/SS, glob characters, `/` and `\\` inside names, and project names
shared by several clients. For random live states and specs:
- nothing the spec did not name is archived, deleted or moved, and no object is acted on
  through a name that differs from it by more than case;
- protected objects survive any sequence of two applies with the same `protected:` list;
- planning again after an apply shows nothing to do.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import is_move, is_protected
from reconciler.errors import PlanningError
from reconciler.model import (
    DesiredState,
    LiveClient,
    LiveProject,
    LiveState,
    LiveTag,
    name_key,
    split_address,
)

from .factories import client, desired, live, project, tag
from .test_planner_property import Simulator

CLIENT_NAMES = ("Acme", "ACME", "Caf\u00e9", "Cafe\u0301", "Stra\u00dfe", "STRASSE",
                "Acme/Ops", "[Internal] Ops", "I Ops")
PROJECT_NAMES = ("Site", "SITE", "Ops/Payroll", "Payroll", "x\u200by", "xy", "a\\b", "Pay*",
                 "Caf\u00e9", "Cafe\u0301")
TAG_NAMES = ("urgent", "URGENT", "Stra\u00dfe", "strasse", "in\u200bvoice", "invoice", "#1")
PATTERNS = {
    "client": ("Acme", "[Internal] Ops", "Stra\u00dfe", "Acme\\/*", "Caf\u00e9"),
    "project": ("Acme/*", "Acme\\/Ops/*", "Pay\\*", "*Payroll", "Ops/Payroll", "\\[Internal] Ops/*",
                "site", "x\u200by", "STRASSE/*"),
    "tag": ("urgent", "Stra\u00dfe", "in*", "#1"),
}
POLICIES = ("ignore", "archive", "delete")
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _unique(draw: st.DrawFn, names: tuple[str, ...], max_size: int) -> list[str]:
    return draw(st.lists(st.sampled_from(names), max_size=max_size, unique_by=name_key))


@st.composite
def live_states(draw: st.DrawFn) -> LiveState:
    # Live names are unique exactly (Toggl's rule, case aside, is unknown): case twins and
    # NFC/NFD twins may coexist.
    client_names = draw(st.lists(st.sampled_from(CLIENT_NAMES), max_size=4, unique=True))
    clients = [LiveClient(i + 1, name, archived=draw(st.booleans()))
               for i, name in enumerate(client_names)]
    homes = [None] + [c.id for c in clients]
    places = draw(st.lists(st.tuples(st.sampled_from(homes), st.sampled_from(PROJECT_NAMES)),
                           max_size=7, unique=True))
    projects = [LiveProject(100 + i, name, client_id=home, active=draw(st.booleans()),
                            fields={"color": "#0b83d9"}, actual_seconds=3600 * i)
                for i, (home, name) in enumerate(places)]
    tag_names = draw(st.lists(st.sampled_from(TAG_NAMES), max_size=4, unique=True))
    return live(clients, projects, [LiveTag(200 + i, n) for i, n in enumerate(tag_names)])


@st.composite
def specs(draw: st.DrawFn, protected: dict[str, tuple[str, ...]]) -> DesiredState:
    client_names = _unique(draw, CLIENT_NAMES, 3)
    clients = [client(n, delete=draw(st.sampled_from((False, False, True))),
                      **({"archived": True} if draw(st.booleans()) else {}))
               for n in client_names]
    kept = [c.name for c in clients if not c.delete]
    homes = st.sampled_from([None, *kept])
    places = draw(st.lists(st.tuples(homes, st.sampled_from(PROJECT_NAMES)), max_size=5,
                           unique_by=lambda p: (name_key(p[0] or ""), name_key(p[1]))))
    projects = []
    for home, name in places:
        options: dict[str, Any] = {}
        choice = draw(st.sampled_from(("plain", "plain", "delete", "previous", "move")))
        if choice == "delete":
            options["delete"] = True
        elif choice == "previous":
            options["previous"] = [draw(st.sampled_from(PROJECT_NAMES))]
        elif choice == "move":
            source = draw(st.sampled_from([None, *CLIENT_NAMES]))
            options["move_from"] = (f"{source.replace('/', chr(92) + '/')}/{name}"
                                    if source else name)
        projects.append(project(name, home, **options))
    # Keep what the spec validator keeps: a previous name is no other entry's name.
    taken = {(name_key(p.client or ""), name_key(p.name)) for p in projects}
    projects = [p for p in projects
                if not any((name_key(p.client or ""), name_key(o)) in taken
                           for o in p.previous_names)]
    tags = [tag(n, delete=draw(st.sampled_from((False, False, True))))
            for n in _unique(draw, TAG_NAMES, 3)]
    policies = {kind: draw(st.sampled_from(POLICIES)) for kind in ("client", "project")}
    policies["tag"] = draw(st.sampled_from(("ignore", "delete")))
    return desired(clients, projects, tags, unmanaged=policies,  # type: ignore[arg-type]
                   protected=protected)  # type: ignore[arg-type]


protected_lists = st.fixed_dictionaries({
    kind: st.lists(st.sampled_from(patterns), max_size=2).map(tuple)
    for kind, patterns in PATTERNS.items()
})


def _plan(spec: DesiredState, state: LiveState) -> Plan | None:
    try:
        return build_plan(spec, state)
    except PlanningError:
        return None


def _case_key(name: str) -> str:
    """The promised identity, written out here so the test does not trust model.name_key."""
    return unicodedata.normalize("NFC", name).lower()


def _named_keys(spec: DesiredState, change: Change) -> set[str]:
    """Name keys by which the spec may name the object a change acts on."""
    if change.kind == "client":
        entries: list[Any] = list(spec.clients)
    elif change.kind == "tag":
        entries = list(spec.tags)
    else:
        entries = list(spec.projects)
    keys: set[str] = set()
    for entry in entries:
        keys.add(_case_key(entry.name))
        keys.update(_case_key(old) for old in entry.previous_names)
        if getattr(entry, "move_from", None):
            keys.add(_case_key(split_address(entry.move_from)[1]))
    return keys


def _live_name(state: LiveState, change: Change) -> str:
    objects = {"client": state.clients, "project": state.projects, "tag": state.tags}
    return next(obj.name for obj in objects[change.kind] if obj.id == change.live_id)


@SETTINGS
@given(state=live_states(), protected=st.just({}), data=st.data())
def test_nothing_unnamed_is_removed_or_moved_and_nothing_is_reached_by_a_looser_name(
    state: LiveState, protected: dict[str, tuple[str, ...]], data: st.DataObject
) -> None:
    spec = data.draw(specs(protected))
    plan = _plan(spec, state)
    assume(plan is not None)
    assert plan is not None
    for change in plan.changes:
        if change.live_id is None:
            continue
        named = _case_key(_live_name(state, change)) in _named_keys(spec, change)
        if is_move(change):
            entry = next(p for p in spec.projects if name_key(p.name) == name_key(change.name)
                         and name_key(p.client or "") == name_key(change.client or ""))
            # Moved only by move_from (or out of a client the plan deletes).
            assert entry.move_from is not None or entry.client is None, change.to_json()
        if change.action.is_removal and spec.unmanaged[change.kind] == "ignore":
            # Removed only when the spec names it (a client archive of a named client may
            # archive its projects along: that is the client's change, not theirs).
            assert named, change.to_json()
        if not change.action.is_removal:
            # Changed for an entry: the entry's name (or old name) is this name up to case.
            assert named, change.to_json()


def _protected_live(spec: DesiredState, state: LiveState) -> list[tuple[str, int, bool]]:
    names = {c.id: c.name for c in state.clients}
    found = [("client", c.id, not c.archived) for c in state.clients
             if is_protected(spec, "client", c.name)]
    found += [("project", p.id, p.active) for p in state.projects
              if is_protected(spec, "project", p.name, names.get(p.client_id or -1))]
    found += [("tag", t.id, True) for t in state.tags if is_protected(spec, "tag", t.name)]
    return found


def _still_there(state: LiveState, kind: str, object_id: int, was_active: bool) -> bool:
    if kind == "client":
        obj = next((c for c in state.clients if c.id == object_id), None)
        return obj is not None and (obj.archived is False or not was_active)
    if kind == "project":
        found = next((p for p in state.projects if p.id == object_id), None)
        return found is not None and (found.active or not was_active)
    return any(t.id == object_id for t in state.tags)


@SETTINGS
@given(state=live_states(), protected=protected_lists, data=st.data())
def test_protected_objects_survive_two_applies_with_the_same_protected_list(
    state: LiveState, protected: dict[str, tuple[str, ...]], data: st.DataObject
) -> None:
    first, second = data.draw(specs(protected)), data.draw(specs(protected))
    guarded = _protected_live(first, state)
    assume(guarded)
    current = state
    for spec in (first, second):
        plan = _plan(spec, current)
        event("refused" if plan is None else
              "kept a protected object" if any("protected" in w for w in plan.warnings)
              else "applied")
        if plan is not None:
            current = Simulator.of(current).apply(plan)
    for kind, object_id, was_active in guarded:
        assert _still_there(current, kind, object_id, was_active), (kind, object_id)


@SETTINGS
@given(state=live_states(), protected=protected_lists, data=st.data())
def test_planning_again_after_an_apply_changes_nothing(
    state: LiveState, protected: dict[str, tuple[str, ...]], data: st.DataObject
) -> None:
    spec = data.draw(specs(protected))
    plan = _plan(spec, state)
    assume(plan is not None)
    assert plan is not None
    after = Simulator.of(state).apply(plan)
    again = build_plan(spec, after)
    assert [c.to_json() for c in again.changes] == []
    assert not any(c.action is Action.CREATE for c in again.changes)
