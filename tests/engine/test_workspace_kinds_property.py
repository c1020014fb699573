"""Convergence with the workspace kinds: apply a plan to a model of Toggl, plan again, nothing.

Generated specs list groups, project members and tasks (with case twins, previous names,
deletes and every unmanaged policy) against generated workspaces; the simulator below does
with each change what Toggl does (a group delete takes its project groups along, a member
of a group this plan creates joins it once it exists), reading only the change itself, as
the executor must.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import is_protected
from reconciler.errors import PlanningError
from reconciler.model import (
    DesiredGroup,
    DesiredMember,
    DesiredState,
    DesiredTask,
    LiveGroup,
    LiveMember,
    LiveProject,
    LiveState,
    LiveTask,
    name_key,
    project_address,
)

from .factories import desired, live, live_user, project, with_kinds, with_live

WID = 42
USERS = (live_user(1, "ana@acme.test"), live_user(2, "bo@acme.test"), live_user(3, "cy@acme.test"))
EMAILS = ("ana@acme.test", "BO@acme.test", "cy@acme.test")
GROUP_NAMES = ("Design", "design", "Ops", "Old")
TASK_NAMES = ("a", "A", "b", "Old", "old")


@dataclass
class Simulator:
    projects: dict[int, LiveProject]
    groups: dict[int, LiveGroup]
    members: dict[int, LiveMember]
    tasks: dict[int, LiveTask]
    next_id: int = 5000

    @classmethod
    def of(cls, state: LiveState) -> Simulator:
        return cls({p.id: p for p in state.projects}, {g.id: g for g in state.groups or ()},
                   {m.id: m for m in state.members or ()}, {t.id: t for t in state.tasks or ()})

    def apply(self, plan: Plan, state: LiveState) -> LiveState:
        for change in plan.changes:
            getattr(self, f"_{change.kind}")(change)
        return replace(state, projects=tuple(self.projects.values()),
                       groups=tuple(self.groups.values()), members=tuple(self.members.values()),
                       tasks=tuple(self.tasks.values()))

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _project_id(self, address: str) -> int:
        found = [p.id for p in self.projects.values()
                 if name_key(project_address(None, p.name)) == name_key(address)]
        assert len(found) == 1, (address, found)
        return found[0]

    def _project(self, change: Change) -> None:
        assert change.action is Action.CREATE, change  # the generated specs only add projects
        new = LiveProject(self._new_id(), change.name, active=change.after("active", True))
        self.projects[new.id] = new

    def _group(self, change: Change) -> None:
        if change.action is Action.DELETE:
            group = self.groups[change.live_id]
            if change.options["group_removal"] == "delete":
                del self.groups[group.id]
            else:
                self.groups[group.id] = replace(group, workspace_ids=tuple(
                    w for w in group.workspace_ids if w != WID))
            for mid, member in list(self.members.items()):  # its project groups go with it
                if member.group_id == group.id:
                    del self.members[mid]
            return
        current = self.groups.get(change.live_id) or LiveGroup(self._new_id(), change.name)
        self.groups[current.id] = replace(
            current, name=change.name, user_ids=tuple(change.options["user_ids"]),
            workspace_ids=tuple(change.options.get("workspace_ids", [WID])))

    def _member(self, change: Change) -> None:
        if change.action is Action.DELETE:
            del self.members[change.live_id]
            return
        if change.action is Action.CREATE:
            project_id = self._project_id(change.parent or "")
            if change.options["member"] == "user":
                current = LiveMember(self._new_id(), project_id, user_id=change.options["user_id"])
            else:
                group_id = change.options["group_id"]
                if group_id is None:  # created by this plan: found by its name
                    group_id = next(g.id for g in self.groups.values() if g.name == change.name)
                current = LiveMember(self._new_id(), project_id, group_id=group_id)
        else:
            current = self.members[change.live_id]
        self.members[current.id] = replace(current, manager=change.after("manager", current.manager),
                                           rate=change.after("rate", current.rate))

    def _task(self, change: Change) -> None:
        if change.action is Action.DELETE:
            del self.tasks[change.live_id]
            return
        current = self.tasks.get(change.live_id) or LiveTask(
            self._new_id(), change.name, self._project_id(change.parent or ""))
        hours = change.after("estimated_hours", "unchanged")
        seconds = current.estimated_seconds if hours == "unchanged" else (
            None if hours is None else int(round(hours * 3600)))
        user_id = change.options["user_id"] if "user_id" in change.options else current.user_id
        self.tasks[current.id] = replace(current, name=change.name,
                                         active=change.after("active", current.active),
                                         estimated_seconds=seconds, user_id=user_id)


def _unique(draw: st.DrawFn, names: tuple[str, ...], max_size: int) -> list[str]:
    return draw(st.lists(st.sampled_from(names), max_size=max_size, unique_by=name_key))


@st.composite
def live_states(draw: st.DrawFn) -> LiveState:
    groups = [
        LiveGroup(10 + n, name, tuple(draw(st.lists(st.sampled_from((1, 2, 3, 99)), unique=True))),
                  draw(st.sampled_from(((WID,), (WID, 43), (43,)))))
        for n, name in enumerate(_unique(draw, GROUP_NAMES, 3))
    ]
    attached = [g.id for g in groups if WID in g.workspace_ids]
    members = [LiveMember(100 + n, 1, user_id=uid, manager=draw(st.booleans()),
                          rate=draw(st.sampled_from((None, 50, 120.0))))
               for n, uid in enumerate(draw(st.lists(st.sampled_from((1, 2, 3)), unique=True)))]
    members += [LiveMember(150 + n, 1, group_id=gid)
                for n, gid in enumerate(draw(st.lists(st.sampled_from(attached), unique=True))
                                        if attached else [])]
    tasks = [LiveTask(200 + n, name, 1, active=draw(st.booleans()),
                      estimated_seconds=draw(st.sampled_from((None, 3600, 5400))),
                      user_id=draw(st.sampled_from((None, 1, 2))),
                      tracked_seconds=n)
             for n, name in enumerate(_unique(draw, TASK_NAMES, 4))]
    state = live([], [LiveProject(1, "Web")])
    return with_live(state, users=USERS, groups=groups, members=members, tasks=tasks)


def _previous(draw: st.DrawFn, names: tuple[str, ...], taken: set[str]) -> tuple[str, ...]:
    free = [n for n in names if name_key(n) not in taken]
    chosen = draw(st.lists(st.sampled_from(free), max_size=1)) if free else []
    taken.update(name_key(n) for n in chosen)
    return tuple(chosen)


@st.composite
def desired_groups(draw: st.DrawFn) -> list[DesiredGroup] | None:
    if draw(st.booleans()):
        return None
    names = _unique(draw, GROUP_NAMES, 3)
    taken = {name_key(n) for n in names}
    return [DesiredGroup(name,
                         draw(st.one_of(st.none(), st.lists(st.sampled_from(EMAILS), unique_by=str.lower).map(tuple))),
                         previous_names=_previous(draw, GROUP_NAMES, taken),
                         delete=draw(st.sampled_from((False, False, False, True))))
            for name in names]


@st.composite
def desired_members(draw: st.DrawFn, group_names: list[str]) -> tuple[DesiredMember, ...] | None:
    if draw(st.sampled_from((True, False, False))):
        return None
    users = [DesiredMember(user=email, fields=draw(st.fixed_dictionaries({}, optional={
        "manager": st.booleans(), "rate": st.sampled_from((None, 50, 50.0, 120))})))
        for email in draw(st.lists(st.sampled_from(EMAILS), unique_by=str.lower))]
    groups = [DesiredMember(group=name)
              for name in draw(st.lists(st.sampled_from(group_names), unique_by=name_key))] \
        if group_names else []
    return tuple(users + groups)


@st.composite
def desired_tasks(draw: st.DrawFn) -> tuple[DesiredTask, ...] | None:
    if draw(st.sampled_from((True, False, False))):
        return None
    names = _unique(draw, TASK_NAMES, 3)
    taken = {name_key(n) for n in names}
    return tuple(
        DesiredTask(name, fields=draw(st.fixed_dictionaries({}, optional={
            "active": st.booleans(), "estimated_hours": st.sampled_from((None, 1, 1.5, 2)),
            "assignee": st.sampled_from((None, "ANA@acme.test", "bo@acme.test"))})),
            previous_names=_previous(draw, TASK_NAMES, taken),
            delete=draw(st.sampled_from((False, False, False, True))))
        for name in names)


@st.composite
def desired_states(draw: st.DrawFn, state: LiveState) -> DesiredState:
    groups = draw(desired_groups())
    listed = [g.name for g in groups or () if not g.delete]
    live_names = [g.name for g in state.groups or () if WID in g.workspace_ids]
    group_names = listed + [n for n in live_names if name_key(n) not in map(name_key, listed)]
    projects = [project("Web", members=draw(desired_members(group_names)),
                        tasks=draw(desired_tasks()))]
    if draw(st.booleans()):
        projects.append(project("New", members=draw(desired_members(group_names)),
                                tasks=draw(desired_tasks())))
    policies: dict[str, Any] = {
        "group": draw(st.sampled_from(("ignore", "delete"))),
        "member": draw(st.sampled_from(("ignore", "remove"))),
        "task": draw(st.sampled_from(("ignore", "archive", "delete"))),
    }
    return with_kinds(desired([], projects), groups=groups, unmanaged=policies)


@st.composite
def cases(draw: st.DrawFn) -> tuple[DesiredState, LiveState]:
    state = draw(live_states())
    return draw(desired_states(state)), state


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=cases())
def test_planning_again_after_applying_the_plan_changes_nothing(
        case: tuple[DesiredState, LiveState]) -> None:
    spec, state = case
    try:
        first = build_plan(spec, state)
    except PlanningError:
        assume(False)
        raise
    for change in first.changes:  # shown by --hypothesis-show-statistics: what was exercised
        event(f"{change.kind} {change.action.value}")
    after = Simulator.of(state).apply(first, state)
    second = build_plan(spec, after)
    assert [c.to_json() for c in second.changes] == []


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=cases())
def test_addresses_are_unique_per_kind_and_plans_are_deterministic(
        case: tuple[DesiredState, LiveState]) -> None:
    spec, state = case
    try:
        plan = build_plan(spec, state)
    except PlanningError:
        assume(False)
        raise
    keys = [(c.kind, c.address.casefold()) for c in plan.changes]
    assert len(keys) == len(set(keys))
    assert build_plan(spec, state).to_json() == plan.to_json()


PATTERNS = {"group": ("D*", "ops", "Old"), "task": ("Web/a", "Web/*", "*/old", "New/?"),
            "member": ("Web/user:ana@acme.test", "*/group:*", "user:bo@acme.test", "Web/*")}


@st.composite
def protected_cases(draw: st.DrawFn) -> tuple[DesiredState, LiveState]:
    spec, state = draw(cases())
    protected = {kind: tuple(draw(st.lists(st.sampled_from(patterns), min_size=1, max_size=2)))
                 for kind, patterns in PATTERNS.items()}
    return replace(spec, protected=protected), state


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=protected_cases())
def test_a_protected_group_task_or_member_is_never_removed(
        case: tuple[DesiredState, LiveState]) -> None:
    spec, state = case
    try:
        plan = build_plan(spec, state)
    except PlanningError:
        assume(False)
        raise
    for change in plan.changes:
        if not change.action.is_removal or change.kind not in PATTERNS:
            continue
        name = change.address.rsplit("/", 1)[-1] if change.parent else change.name
        assert not is_protected(spec, change.kind, name, change.parent), change.to_json()
