"""The workspace kinds in the whole plan: order, targeting, the bill, stale plans."""

from __future__ import annotations

from dataclasses import replace

from reconciler.engine.batching import count_writes
from reconciler.engine.fingerprint import dependency_problems, fingerprint_plan
from reconciler.engine.plan import Bill, Plan, reads_by_kind, writes_by_kind
from reconciler.engine.planner import build_plan
from reconciler.engine.targeting import select, selection_of
from reconciler.model import LiveState
from tests.engine.factories import (
    actions,
    client,
    desired,
    group,
    live,
    live_client,
    live_group,
    live_member,
    live_project,
    live_tag,
    live_task,
    live_user,
    member,
    project,
    tag,
    task,
    with_kinds,
    with_live,
)

USERS = [live_user(1, "ana@acme.test"), live_user(2, "bo@acme.test")]


def _everything() -> tuple:
    spec = with_kinds(
        desired([client("Globex")],
                [project("Web", "Globex", members=[member(group="New team"), member("ana@acme.test")],
                         tasks=["Draft"]),
                 project("Fresh", members=[member("bo@acme.test")], tasks=["First"])],
                [tag("t")]),
        settings={"reports_collapse": True}, groups=[group("New team", ["bo@acme.test"])],
        unmanaged={"tag": "delete", "group": "delete", "member": "remove", "task": "delete",
                   "project": "delete", "client": "delete"},
    )
    state = with_live(
        live([live_client(1, "Globex"), live_client(2, "Gone")],
             [live_project(10, "Web", 1), live_project(11, "Stale", 2)], [live_tag(5, "old")]),
        settings={"reports_collapse": False}, users=USERS,
        groups=[live_group(7, "Old team", [1])],
        members=[live_member(100, 10, user_id=2)],
        tasks=[live_task(200, "Stray", 10, tracked_seconds=60)],
    )
    return spec, state


def test_creates_run_kind_by_kind_and_removals_in_reverse() -> None:
    spec, state = _everything()
    assert actions(build_plan(spec, state)) == [
        ("update", "settings", "settings"),
        ("create", "project", "Fresh"),
        ("create", "tag", "t"),
        ("create", "group", "New team"),
        ("create", "member", "Fresh/user:bo@acme.test"),
        ("create", "member", "Globex/Web/group:New team"),
        ("create", "member", "Globex/Web/user:ana@acme.test"),
        ("create", "task", "Fresh/First"),
        ("create", "task", "Globex/Web/Draft"),
        ("delete", "task", "Globex/Web/Stray"),
        ("delete", "member", "Globex/Web/user:bo@acme.test"),
        ("delete", "group", "Old team"),
        ("delete", "tag", "old"),
        ("delete", "project", "Gone/Stale"),
        ("delete", "client", "Gone"),
    ]


def test_a_targeted_member_pulls_in_its_project_and_group_creates() -> None:
    spec, state = _everything()
    plan = build_plan(spec, state)
    narrowed = select(plan, selection_of(["member:Globex/Web/group:*", "task:Fresh/*"], []))
    assert actions(narrowed) == [
        ("create", "project", "Fresh"),
        ("create", "group", "New team"),
        ("create", "member", "Globex/Web/group:New team"),
        ("create", "task", "Fresh/First"),
    ]
    assert [entry["address"] for entry in narrowed.targeting["pulled_in"]] == ["Fresh", "New team"]


def test_excluding_a_project_create_drops_its_members_and_tasks() -> None:
    spec, state = _everything()
    narrowed = select(build_plan(spec, state), selection_of([], ["project:Fresh"]))
    assert ("create", "task", "Fresh/First") not in actions(narrowed)
    assert ("create", "member", "Fresh/user:bo@acme.test") not in actions(narrowed)
    assert {entry["address"] for entry in narrowed.targeting["dropped"]} == {
        "Fresh/First", "Fresh/user:bo@acme.test"}


def test_a_renamed_task_is_targeted_by_its_old_address_too() -> None:
    spec = with_kinds(desired([], [project("Web", tasks=[task("New", previous=["Old"])])]))
    state = with_live(live([], [live_project(10, "Web")]), users=USERS,
                      tasks=[live_task(200, "Old", 10)])
    narrowed = select(build_plan(spec, state), selection_of(["task:Web/Old"], []))
    assert actions(narrowed) == [("rename", "task", "Web/New")]


def test_everything_needs_the_workspace_create() -> None:
    spec = with_kinds(desired([client("Globex")]), organization="Acme")
    spec = replace(spec, workspace="New")
    state = with_live(LiveState(workspace_id=0), workspace_missing=True, organization_id=3)
    narrowed = select(build_plan(spec, state), selection_of(["client:Globex"], []))
    assert actions(narrowed) == [("create", "workspace", "New"), ("create", "client", "Globex")]


def test_a_workspace_create_is_stale_once_the_workspace_exists() -> None:
    spec = with_kinds(desired(), organization="Acme")
    spec = replace(spec, workspace="New")
    state = with_live(LiveState(workspace_id=0), workspace_missing=True, organization_id=3)
    plan = fingerprint_plan(build_plan(spec, state), state)
    assert plan.changes[0].fingerprint == {"workspace_missing": True}
    assert dependency_problems(plan, state) == []
    assert dependency_problems(plan, live()) == ["workspace 'New' exists now; the plan was to "
                                                 "create it"]


def test_the_bill_by_kind_round_trips_and_is_left_out_when_unknown() -> None:
    bill = Bill(reads=5, writes=3, reads_by_kind={"task": 2, "client": 1},
                writes_by_kind={"task": 3})
    assert Bill.from_json(bill.to_json()) == bill
    assert "reads_by_kind" not in Bill(reads=1).to_json()
    assert Plan.from_json(Plan(1, bill=bill).to_json()).bill == bill


def test_reads_and_writes_by_kind() -> None:
    assert reads_by_kind(live()) == {}  # a live read that does not count per kind
    counted = type("Counted", (), {"read_counts": {"client": 1, "task": 3}})()
    assert reads_by_kind(counted) == {"client": 1, "task": 3}
    spec, state = _everything()
    plan = build_plan(spec, state)
    by_kind = writes_by_kind(plan.changes, lambda changes: len(changes))
    assert by_kind["member"] == 4 and by_kind["task"] == 3 and sum(by_kind.values()) == 15
    old_kinds = [c for c in plan.changes if c.kind in ("client", "project", "tag")]
    assert writes_by_kind(old_kinds, count_writes) == {"project": 2, "tag": 2, "client": 1}


def test_a_spec_without_the_new_keys_plans_as_before_whatever_the_workspace_has() -> None:
    spec = desired([client("Globex")], [project("Web", "Globex")],
                   unmanaged={"group": "delete", "member": "remove", "task": "delete"})
    plain = live([live_client(1, "Globex")], [live_project(10, "Web", 1)])
    full = with_live(plain, users=USERS, groups=[live_group(7, "G", [1])],
                     members=[live_member(100, 10, user_id=1)],
                     tasks=[live_task(200, "T", 10)], settings={"rounding": 1})
    assert build_plan(spec, full).to_json() == build_plan(spec, plain).to_json()


def test_task_messages_name_the_task_by_its_full_address() -> None:
    import pytest

    from reconciler.errors import PlanningError

    spec = with_kinds(desired([client("Globex")], [project("Web", "Globex", tasks=["REVIEW"])]))
    state = with_live(live([live_client(1, "Globex")], [live_project(10, "Web", 1)]),
                      users=USERS, tasks=[live_task(200, "Review", 10), live_task(201, "review", 10)])
    with pytest.raises(PlanningError, match=r"task 'Globex/Web/REVIEW' could mean any of 2 live "
                                            r"objects .*'Globex/Web/Review' \(id 200\)"):
        build_plan(spec, state)


def test_ignored_tasks_are_listed_with_their_fields_in_spec_terms() -> None:
    spec = with_kinds(desired([], [project("Web", tasks=[])]))
    state = with_live(live([], [live_project(10, "Web"), live_project(11, "Other")]), users=USERS,
                      tasks=[live_task(200, "Done", 10, active=False, estimated_seconds=5400,
                                       user_id=2),
                             live_task(201, "Elsewhere", 11)])
    plan = build_plan(spec, state)
    assert [u.to_json() for u in plan.unmanaged if u.kind == "task"] == [
        {"kind": "task", "address": "Web/Done", "id": 200,
         "spec": {"name": "Done", "active": False, "estimated_hours": 1.5,
                  "assignee": "bo@acme.test"}},
    ]


def test_a_selector_of_an_unchanged_task_or_group_is_not_a_typo() -> None:
    from reconciler.engine.targeting import workspace_kind_addresses

    spec = with_kinds(desired([], [project("Web", tasks=["Kept"], members=[member("bo@acme.test")])]),
                      groups=[group("Team")])
    state = with_live(live([], [live_project(10, "Web")]), users=USERS,
                      groups=[live_group(7, "Team")], members=[live_member(1, 10, user_id=2)],
                      tasks=[live_task(200, "Kept", 10)])
    plan = build_plan(spec, state)
    assert plan.changes == ()
    known = workspace_kind_addresses(spec, state)
    assert known["task"] == [("Kept", "Web/Kept")]
    assert known["member"] == [("bo@acme.test", "Web/user:bo@acme.test")]
    for selector in ("task:Web/Kept", "group:Team", "member:Web/user:*"):
        assert select(plan, selection_of([selector], []), known).changes == ()


def test_a_plan_of_every_kind_survives_its_json_form() -> None:
    spec, state = _everything()
    plan = fingerprint_plan(build_plan(spec, state), state)
    again = Plan.from_json(plan.to_json())
    assert again.changes == plan.changes and again.unmanaged == plan.unmanaged
    assert dependency_problems(again, state) == []
