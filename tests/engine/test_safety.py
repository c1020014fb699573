"""Removal thresholds: per-kind percentage once a kind is big enough, and a total cap."""

from __future__ import annotations

import pytest

from reconciler.engine.plan import Action, BlastRadius, Change, Plan
from reconciler.engine.safety import check_thresholds, removal_counts
from reconciler.model import Kind, LiveState, SafetyLimits

from .factories import live, live_client, live_project, live_tag


def _removals(kind: Kind, count: int, action: Action = Action.ARCHIVE) -> list[Change]:
    return [
        Change(action=action, kind=kind, address=f"{kind}{i}", name=f"{kind}{i}", live_id=i)
        for i in range(count)
    ]


def _state(clients: int = 0, projects: int = 0, tags: int = 0) -> LiveState:
    return live(
        [live_client(i, f"c{i}", archived=i % 2 == 0) for i in range(clients)],
        [live_project(i, f"p{i}", active=i % 3 != 0) for i in range(projects)],
        [live_tag(i, f"t{i}") for i in range(tags)],
    )


def _plan(*changes: Change) -> Plan:
    return Plan(workspace_id=42, changes=tuple(changes))


@pytest.mark.parametrize(
    ("removed", "existing", "limits", "over"),
    [
        pytest.param(6, 20, SafetyLimits(), False, id="at-30-percent"),
        pytest.param(5, 20, SafetyLimits(), False, id="below"),
        pytest.param(7, 20, SafetyLimits(), True, id="above"),
        pytest.param(9, 9, SafetyLimits(), False, id="kind-smaller-than-min-existing"),
        pytest.param(10, 10, SafetyLimits(), True, id="kind-at-min-existing"),
        pytest.param(3, 3, SafetyLimits(min_existing=0), True, id="no-minimum"),
        pytest.param(12, 20, SafetyLimits(max_removal_percent=60), False, id="raised-percent"),
    ],
)
def test_percentage_of_one_kind(removed: int, existing: int, limits: SafetyLimits,
                                over: bool) -> None:
    problems = check_thresholds(_plan(*_removals("project", removed)), _state(projects=existing),
                                limits)
    assert len(problems) == (1 if over else 0)


def test_the_message_gives_the_numbers_and_the_remedy() -> None:
    problems = check_thresholds(_plan(*_removals("project", 9, Action.DELETE)),
                                _state(projects=20), SafetyLimits())
    assert problems == [
        "Too many project removals: 45.0% is over 30% (9 of 20 live projects). Check the "
        "plan, then re-run with --force, or raise safety.max_removal_percent in the spec."
    ]


def test_archived_live_objects_count_towards_the_base() -> None:
    # 10 clients, half archived: 3 removals is 30% of all of them, not 60% of the active.
    assert check_thresholds(_plan(*_removals("client", 3)), _state(clients=10),
                            SafetyLimits()) == []


def test_updates_and_creates_are_not_removals() -> None:
    changes = [*_removals("tag", 10, Action.UPDATE), *_removals("tag", 10, Action.CREATE)]
    assert check_thresholds(_plan(*changes), _state(tags=10), SafetyLimits()) == []


@pytest.mark.parametrize(("removed", "over"), [(25, False), (26, True)])
def test_total_removals_across_kinds(removed: int, over: bool) -> None:
    changes = [*_removals("tag", removed - 10), *_removals("project", 10, Action.DELETE)]
    problems = check_thresholds(_plan(*changes), _state(projects=1000, tags=1000),
                                SafetyLimits())
    expected = [
        f"Too many removals: {removed} archives and deletes is over 25 (0 clients, 10 "
        f"projects, {removed - 10} tags). Check the plan, then re-run with --force, or raise "
        "safety.max_removals in the spec."
    ]
    assert problems == (expected if over else [])


def test_projects_a_client_archive_takes_along_count_as_project_removals() -> None:
    client_archive = Change(action=Action.ARCHIVE, kind="client", address="Acme", name="Acme",
                            live_id=1, blast=BlastRadius(tracked_seconds=0, projects=7))
    client_delete = Change(action=Action.DELETE, kind="client", address="Globex",
                           name="Globex", live_id=2, blast=BlastRadius(0, 50))
    plan = _plan(client_archive, client_delete)
    assert removal_counts(plan) == {"client": 2, "project": 7, "tag": 0}
    problems = check_thresholds(plan, _state(clients=100, projects=20), SafetyLimits())
    assert problems == [
        "Too many project removals: 35.0% is over 30% (7 of 20 live projects). Check the "
        "plan, then re-run with --force, or raise safety.max_removal_percent in the spec."
    ]


def test_every_limit_broken_is_reported() -> None:
    changes = [*_removals("client", 10), *_removals("tag", 20, Action.DELETE)]
    problems = check_thresholds(_plan(*changes), _state(clients=10, tags=20), SafetyLimits())
    assert [p.split(":")[0] for p in problems] == [
        "Too many client removals", "Too many tag removals", "Too many removals"]
