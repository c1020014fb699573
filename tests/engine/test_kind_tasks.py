"""Tasks: name-keyed within their project; archive before delete; a paid-plan kind."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.engine.fingerprint import dependency_problems, fingerprint_plan
from reconciler.engine.plan import Action, BlastRadius
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import check_thresholds, removal_counts
from reconciler.errors import PlanningError
from reconciler.model import SafetyLimits, SourceLocation
from tests.engine.factories import (
    actions,
    client,
    desired,
    field_map,
    live,
    live_client,
    live_project,
    live_task,
    live_user,
    only_change,
    project,
    task,
    with_kinds,
    with_live,
)

USERS = [live_user(1, "ana@acme.test"), live_user(2, "bo@acme.test")]


def _spec(*tasks, **options):
    return with_kinds(desired([client("Globex")], [project("Web", "Globex", tasks=tasks)]),
                      **options)


def _state(*tasks, tier=None, projects=None):
    return with_live(live([live_client(1, "Globex")],
                          projects if projects is not None else [live_project(10, "Web", 1)],
                          tier=tier),
                     users=USERS, tasks=list(tasks))


def test_listed_tasks_are_created_with_their_fields_and_the_shorthand_works() -> None:
    plan = build_plan(_spec(task("Wireframes", estimated_hours=10, active=True,
                                 assignee="ANA@acme.test"), "Design review"), _state())
    assert actions(plan) == [("create", "task", "Globex/Web/Design review"),
                             ("create", "task", "Globex/Web/Wireframes")]
    review, wireframes = plan.changes
    assert review.fields == () and review.parent == "Globex/Web"
    assert field_map(wireframes) == {"active": (None, True), "estimated_hours": (None, 10),
                                     "assignee": (None, "ana@acme.test")}
    assert wireframes.options == {"user_id": 1}


def test_tasks_as_listed_plan_nothing() -> None:
    spec = _spec(task("Wireframes", estimated_hours=1.5, assignee="bo@acme.test"), "Review")
    state = _state(live_task(200, "Wireframes", 10, estimated_seconds=5400, user_id=2),
                   live_task(201, "Review", 10))
    assert build_plan(spec, state).changes == ()


@pytest.mark.parametrize("live_name, previous", [("wireframes", ()), ("Sketches", ("Sketches",))])
def test_renames_by_case_and_previous_name(live_name: str, previous: tuple[str, ...]) -> None:
    change = only_change(build_plan(_spec(task("Wireframes", previous=previous)),
                                    _state(live_task(200, live_name, 10))))
    assert change.action is Action.RENAME and change.live_id == 200
    assert field_map(change) == {"name": (live_name, "Wireframes")}
    assert change.address == "Globex/Web/Wireframes"


def test_estimate_and_assignee_are_updated_in_spec_terms() -> None:
    change = only_change(build_plan(
        _spec(task("Wireframes", estimated_hours=10, assignee=None)),
        _state(live_task(200, "Wireframes", 10, estimated_seconds=7200, user_id=1))))
    assert change.action is Action.UPDATE
    assert field_map(change) == {"estimated_hours": (2, 10), "assignee": ("ana@acme.test", None)}
    assert change.options == {"user_id": None}


def test_active_false_archives_and_a_listed_done_task_is_restored() -> None:
    plan = build_plan(_spec(task("Done", active=False), "Again"),
                      _state(live_task(200, "Done", 10, tracked_seconds=3600),
                             live_task(201, "Again", 10, active=False)))
    assert actions(plan) == [("restore", "task", "Globex/Web/Again"),
                             ("archive", "task", "Globex/Web/Done")]
    assert plan.changes[1].blast == BlastRadius(3600, 0)


@pytest.mark.parametrize("policy, expected", [
    ("ignore", []),
    ("archive", [("archive", "task", "Globex/Web/Stray")]),
    ("delete", [("delete", "task", "Globex/Web/Old"), ("delete", "task", "Globex/Web/Stray")]),
])
def test_unlisted_tasks_follow_the_policy(policy: str, expected: list) -> None:
    plan = build_plan(_spec("Kept", unmanaged={"task": policy}),
                      _state(live_task(200, "Kept", 10), live_task(201, "Stray", 10),
                             live_task(202, "Old", 10, active=False)))
    assert actions(plan) == expected
    if policy == "ignore":
        assert [u.address for u in plan.unmanaged] == ["Globex/Web/Old", "Globex/Web/Stray"]
        assert plan.unmanaged[0].spec_entry == {"name": "Old", "active": False}


def test_a_delete_shows_and_fingerprints_the_time_it_takes_off_the_task() -> None:
    state = _state(live_task(200, "Old", 10, tracked_seconds=9000))
    plan = fingerprint_plan(build_plan(_spec(task("Old", delete=True)), state), state)
    change = only_change(plan)
    assert change.action is Action.DELETE and change.blast == BlastRadius(9000, 0)
    assert change.fingerprint == {"tracked_seconds": 9000}
    assert change.reason == "delete: true in the spec"  # the blast radius shows the hours
    later = _state(live_task(200, "Old", 10, tracked_seconds=9900))
    assert dependency_problems(plan, later) == [
        "task 'Globex/Web/Old' has 2.75 h tracked now, the plan showed 2.50 h"]


def test_tasks_of_a_project_without_tasks_key_are_left_alone() -> None:
    spec = with_kinds(desired([client("Globex")],
                              [project("Web", "Globex"), project("App", "Globex", tasks=[])]),
                      unmanaged={"task": "delete"})
    state = _state(live_task(200, "A", 10), live_task(201, "B", 11),
                   projects=[live_project(10, "Web", 1), live_project(11, "App", 1)])
    assert actions(build_plan(spec, state)) == [("delete", "task", "Globex/App/B")]


def test_protected_tasks_are_never_archived_or_deleted() -> None:
    spec = _spec(task("Kept", active=False), unmanaged={"task": "delete"},
                 protected={"task": ("Globex/Web/*",)})
    plan = build_plan(spec, _state(live_task(200, "Kept", 10), live_task(201, "Stray", 10)))
    assert plan.changes == ()
    assert plan.warnings == (
        "task 'Globex/Web/Kept' is protected by 'Globex/Web/*': not archived",
        "task 'Globex/Web/Stray' is protected by 'Globex/Web/*': not deleted",
    )


def test_tasks_on_a_free_workspace_are_a_plan_error_naming_the_plan() -> None:
    spec = _spec(replace(task("Wireframes"), source=SourceLocation("spec.yaml", 20, 9)))
    with pytest.raises(PlanningError) as caught:
        build_plan(spec, _state(tier="free"))
    assert caught.value.problems == [
        "spec.yaml:20:9: tasks need the Starter plan or higher; workspace 'Test' is on the "
        "Free plan"
    ]


def test_an_unknown_assignee_is_a_plan_error() -> None:
    spec = _spec(replace(task("W", assignee="zed@acme.test"), source=SourceLocation("s.yaml", 3, 9)))
    with pytest.raises(PlanningError, match=r"s.yaml:3:9: task 'Globex/Web/W': assignee: "
                                            r"'zed@acme.test' is not a user of workspace 'Test'"):
        build_plan(spec, _state())


def test_tasks_of_a_created_project_are_created_after_it() -> None:
    state = _state(projects=[])
    plan = fingerprint_plan(build_plan(_spec("First"), state), state)
    assert actions(plan) == [("create", "project", "Globex/Web"),
                             ("create", "task", "Globex/Web/First")]
    assert plan.changes[1].fingerprint == {"project_id": None}


def test_task_removals_count_toward_the_thresholds_and_old_messages_stay() -> None:
    tasks = [live_task(200 + n, f"T{n}", 10) for n in range(30)]
    state = _state(*tasks)
    plan = build_plan(_spec(unmanaged={"task": "delete"}), state)
    assert removal_counts(plan)["task"] == 30
    assert check_thresholds(plan, state, SafetyLimits()) == [
        "Too many task removals: 100.0% is over 30% (30 of 30 live tasks). Check the plan, "
        "then re-run with --force, or raise safety.max_removal_percent in the spec.",
        "Too many removals: 30 archives and deletes is over 25 (0 clients, 0 projects, 0 tags, "
        "30 tasks). Check the plan, then re-run with --force, or raise safety.max_removals in "
        "the spec.",
    ]


def test_a_rename_out_of_task_protection_is_refused() -> None:
    spec = _spec(task("Fresh", previous=["Kept"]), protected={"task": ("Globex/Web/Kept",)})
    with pytest.raises(PlanningError, match=r"task 'Globex/Web/Kept' is protected by "
                                            r"'Globex/Web/Kept', but after this plan it would be "
                                            r"'Globex/Web/Fresh'.*protected.tasks"):
        build_plan(spec, _state(live_task(200, "Kept", 10)))


def test_a_project_rename_that_takes_its_tasks_out_of_protection_is_refused() -> None:
    # Protection follows addresses (no state file): the task would be `Globex/Site/Kept`,
    # which no pattern covers, so the next plan could delete it.
    spec = with_kinds(desired([client("Globex")],
                              [project("Site", "Globex", previous=["Web"], tasks=["Kept"])]),
                      protected={"task": ("Globex/Web/*",)})
    with pytest.raises(PlanningError, match="would be 'Globex/Site/Kept'.*protected.tasks"):
        build_plan(spec, _state(live_task(200, "Kept", 10)))
    covered = replace(spec, protected={"task": ("Globex/Web/*", "Globex/Site/*")})
    change = only_change(build_plan(covered, _state(live_task(200, "Kept", 10))))
    assert (change.kind, change.action) == ("project", Action.RENAME)


def test_a_slash_in_a_task_name_is_escaped_in_its_address_and_patterns() -> None:
    spec = _spec(unmanaged={"task": "delete"}, protected={"task": ("Globex/Web/a\\/b",)})
    plan = build_plan(spec, _state(live_task(200, "a/b", 10), live_task(201, "a", 10)))
    # `Globex/Web/a\/b` is the task "a/b"; it never reads as a task "b" of a project "Web/a".
    assert actions(plan) == [("delete", "task", "Globex/Web/a")]
    assert plan.warnings == ("task 'Globex/Web/a\\/b' is protected by 'Globex/Web/a\\/b': "
                             "not deleted",)


def test_an_unlisted_task_of_a_renamed_project_keeps_its_protection_or_refuses() -> None:
    spec = with_kinds(desired([client("Globex")],
                              [project("Site", "Globex", previous=["Web"], tasks=[])]),
                      protected={"task": ("Globex/Web/*",)})
    with pytest.raises(PlanningError, match="would be 'Globex/Site/Loose'"):
        build_plan(spec, _state(live_task(200, "Loose", 10)))
