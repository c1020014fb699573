"""Project members: users by e-mail, groups by name, per project entry that lists them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.engine.fingerprint import dependency_problems, fingerprint_plan
from reconciler.engine.plan import Action, BlastRadius
from reconciler.engine.planner import build_plan
from reconciler.errors import PlanningError
from reconciler.model import SourceLocation
from tests.engine.factories import (
    actions,
    client,
    desired,
    field_map,
    group,
    live,
    live_client,
    live_group,
    live_member,
    live_project,
    live_user,
    member,
    only_change,
    project,
    with_kinds,
    with_live,
)

USERS = [live_user(1, "ana@acme.test"), live_user(2, "bo@acme.test"), live_user(3, "cy@acme.test")]
AT = SourceLocation("spec.yaml", 14, 11)


def _spec(*members, groups=None, **options):
    return with_kinds(desired([client("Globex")], [project("Web", "Globex", members=members)]),
                      groups=groups, **options)


def _state(*members, groups=(), tier=None, projects=None):
    return with_live(live([live_client(1, "Globex")],
                          # Private, as projects with members usually are: only members track.
                          projects if projects is not None else
                          [live_project(10, "Web", 1, is_private=True)],
                          tier=tier),
                     users=USERS, groups=list(groups), members=list(members))


def test_a_listed_user_is_added_with_manager_and_rate() -> None:
    change = only_change(build_plan(_spec(member("ANA@acme.test", manager=True, rate=120)),
                                    _state()))
    assert (change.action, change.kind) == (Action.CREATE, "member")
    assert change.address == "Globex/Web/user:ana@acme.test" and change.parent == "Globex/Web"
    assert change.name == "ana@acme.test"
    assert field_map(change) == {"manager": (None, True), "rate": (None, 120)}
    assert change.options == {"member": "user", "user_id": 1}
    assert change.billing  # a rate decides what the member bills


def test_a_listed_group_is_added() -> None:
    change = only_change(build_plan(_spec(member(group="Designers")),
                                    _state(groups=[live_group(5, "Designers", [1, 2])])))
    assert change.address == "Globex/Web/group:Designers" and change.fields == ()
    assert change.options == {"member": "group", "group_id": 5}


def test_a_group_this_plan_creates_can_be_a_member() -> None:
    plan = build_plan(_spec(member(group="Designers"), groups=[group("Designers", ["bo@acme.test"])]),
                      _state())
    assert actions(plan) == [("create", "group", "Designers"),
                             ("create", "member", "Globex/Web/group:Designers")]
    assert plan.changes[1].options == {"member": "group", "group_id": None}


def test_members_as_listed_plan_nothing_and_rates_compare_by_value() -> None:
    spec = _spec(member("ana@acme.test", manager=True, rate=120), member(group="Designers"))
    state = _state(live_member(100, 10, user_id=1, manager=True, rate=120.0),
                   live_member(101, 10, group_id=5), groups=[live_group(5, "Designers")])
    assert build_plan(spec, state).changes == ()


def test_manager_and_rate_are_updated() -> None:
    change = only_change(build_plan(_spec(member("ana@acme.test", manager=False, rate=90)),
                                    _state(live_member(100, 10, user_id=1, manager=True, rate=80))))
    assert (change.action, change.live_id, change.live_at) == (Action.UPDATE, 100, "at-m100")
    assert field_map(change) == {"manager": (True, False), "rate": (80, 90)}


def test_unlisted_members_are_removed_under_remove_with_how_many_people_lose_access() -> None:
    spec = _spec(member("ana@acme.test"), unmanaged={"member": "remove"})
    state = _state(live_member(100, 10, user_id=1), live_member(101, 10, user_id=2),
                   live_member(102, 10, group_id=5), groups=[live_group(5, "Designers", [1, 2, 3])])
    plan = build_plan(spec, state)
    assert actions(plan) == [("delete", "member", "Globex/Web/group:Designers"),
                             ("delete", "member", "Globex/Web/user:bo@acme.test")]
    group_removal, user_removal = plan.changes
    # ana stays listed and bo is counted on his own removal: the group's takes cy's access only.
    assert group_removal.blast == BlastRadius(0, 0, people=1)
    assert user_removal.blast == BlastRadius(0, 0, people=1)
    assert group_removal.options == {"member": "group"} and user_removal.live_id == 101


def test_a_removed_user_who_keeps_access_through_a_listed_group_loses_none() -> None:
    spec = _spec(member(group="Designers"), unmanaged={"member": "remove"})
    state = _state(live_member(100, 10, user_id=1), live_member(101, 10, group_id=5),
                   groups=[live_group(5, "Designers", [1, 2])])
    change = only_change(build_plan(spec, state))
    assert change.address == "Globex/Web/user:ana@acme.test"
    assert change.blast == BlastRadius(0, 0, people=0)


def test_removals_from_a_public_project_take_nobody_s_access() -> None:
    # Everyone in the workspace may track on a public project, member or not.
    spec = _spec(unmanaged={"member": "remove"})
    public = live_project(10, "Web", 1, is_private=False)
    state = _state(live_member(100, 10, user_id=1), live_member(101, 10, group_id=5),
                   groups=[live_group(5, "Designers", [2, 3])], projects=[public])
    plan = build_plan(spec, state)
    assert [c.blast.people for c in plan.changes] == [0, 0]
    assert len(plan.changes) == 2


def test_unlisted_members_are_kept_and_listed_under_ignore() -> None:
    plan = build_plan(_spec(member("ana@acme.test")),
                      _state(live_member(100, 10, user_id=1),
                             live_member(101, 10, user_id=2, manager=True, rate=50)))
    assert plan.changes == ()
    assert [u.to_json() for u in plan.unmanaged] == [
        {"kind": "member", "address": "Globex/Web/user:bo@acme.test", "id": 101,
         "spec": {"user": "bo@acme.test", "manager": True, "rate": 50}},
    ]


def test_a_project_entry_without_members_leaves_its_members_alone() -> None:
    spec = with_kinds(desired([client("Globex")],
                              [project("Web", "Globex"), project("App", "Globex", members=[])]),
                      unmanaged={"member": "remove"})
    state = _state(live_member(100, 10, user_id=1), live_member(101, 11, user_id=2),
                   projects=[live_project(10, "Web", 1), live_project(11, "App", 1)])
    assert actions(build_plan(spec, state)) == [("delete", "member", "Globex/App/user:bo@acme.test")]


def test_members_of_a_project_this_plan_creates_are_created_after_it() -> None:
    state = _state(projects=[])
    plan = fingerprint_plan(build_plan(_spec(member("bo@acme.test")), state), state)
    assert actions(plan) == [("create", "project", "Globex/Web"),
                             ("create", "member", "Globex/Web/user:bo@acme.test")]
    assert plan.changes[1].fingerprint == {"project_id": None}


def test_a_member_create_is_stale_once_its_project_is_another() -> None:
    state = _state()
    plan = fingerprint_plan(build_plan(_spec(member("bo@acme.test")), state), state)
    assert plan.changes[0].fingerprint == {"project_id": 10}
    later = _state(projects=[live_project(11, "Web", 1)])
    assert dependency_problems(plan, later) == [
        "member 'Globex/Web/user:bo@acme.test' needs project 'Globex/Web', which is now another "
        "project (id 11, the plan saw id 10)"
    ]


def test_a_protected_member_is_never_removed() -> None:
    spec = _spec(unmanaged={"member": "remove"},
                 protected={"member": ("Globex/*/user:*@acme.test",)})
    plan = build_plan(spec, _state(live_member(100, 10, user_id=1)))
    assert plan.changes == ()
    assert plan.warnings == ("member 'Globex/Web/user:ana@acme.test' is protected by "
                             "'Globex/*/user:*@acme.test': not deleted",)


def test_unknown_users_and_groups_are_plan_errors_at_their_lines() -> None:
    spec = _spec(replace(member("zed@acme.test"), source=AT),
                 replace(member(group="Nobody"), source=SourceLocation("spec.yaml", 15, 11)),
                 replace(member(group="Far"), source=SourceLocation("spec.yaml", 16, 11)))
    with pytest.raises(PlanningError) as caught:
        build_plan(spec, _state(groups=[live_group(7, "Far", [], [99])]))
    assert caught.value.problems == [
        "spec.yaml:14:11: project 'Globex/Web': member: 'zed@acme.test' is not a user of "
        "workspace 'Test'; invite them to the workspace first, or correct the e-mail",
        "spec.yaml:15:11: project 'Globex/Web': member: group 'Nobody' is neither a group of "
        "the organization nor in `groups:`; add it to `groups:` to create it",
        "spec.yaml:16:11: project 'Globex/Web': member: group 'Far' is not attached to "
        "workspace 'Test'; list it under `groups:` to attach it",
    ]


def test_a_group_named_in_a_case_two_live_groups_share_is_ambiguous_not_missing() -> None:
    spec = _spec(replace(member(group="DESIGN"), source=AT))
    with pytest.raises(PlanningError) as caught:
        build_plan(spec, _state(groups=[live_group(7, "Design"), live_group(8, "design")]))
    assert caught.value.problems == [
        "spec.yaml:14:11: project 'Globex/Web': member: group 'DESIGN' could be 'Design' (id 7) "
        "and 'design' (id 8), which differ only in letter case; write the exact spelling of one",
    ]
    # The exact spelling of one is no problem.
    assert build_plan(_spec(member(group="design")),
                      _state(groups=[live_group(7, "Design"), live_group(8, "design")])).changes


def test_a_member_rate_on_a_free_workspace_is_a_plan_error() -> None:
    spec = _spec(replace(member("ana@acme.test", rate=120), source=AT), member("bo@acme.test"))
    with pytest.raises(PlanningError) as caught:
        build_plan(spec, _state(tier="free"))
    assert caught.value.problems == [
        "spec.yaml:14:11: members.rate needs the Starter plan or higher; workspace 'Test' is on "
        "the Free plan"
    ]


def test_a_project_rename_that_takes_its_members_out_of_protection_is_refused() -> None:
    spec = with_kinds(desired([client("Globex")],
                              [project("Site", "Globex", previous=["Web"], members=[])]),
                      protected={"member": ("Globex/Web/*",)})
    state = _state(live_member(100, 10, user_id=1))
    with pytest.raises(PlanningError, match=r"member 'Globex/Web/user:ana@acme.test' is "
                                            r"protected .* would be "
                                            r"'Globex/Site/user:ana@acme.test'.*protected.members"):
        build_plan(spec, state)


def test_plan_problems_are_listed_by_file_line_and_column() -> None:
    from reconciler.engine.planner import in_spec_order
    problems = ["b.yaml:2:1: x", "a.yaml:10:3: y", "a.yaml:9:70: z", "a.yaml:9:8: w",
                "no place: v", "a.yaml:4:68: u", "a.yaml:4:43: t"]
    assert in_spec_order(problems) == ["a.yaml:4:43: t", "a.yaml:4:68: u", "a.yaml:9:8: w",
                                       "a.yaml:9:70: z", "a.yaml:10:3: y", "b.yaml:2:1: x",
                                       "no place: v"]


def test_a_free_workspace_s_paid_keys_and_unknown_people_come_in_spec_order() -> None:
    # Found in the order they are planned (kind after kind, entry after entry: here the entries
    # stand out of line order, as two files' or two kinds' problems do), shown in the file's.
    spec = _spec(replace(member("zed@acme.test"), source=SourceLocation("spec.yaml", 20, 11)),
                 replace(member("ana@acme.test", rate=120), source=SourceLocation("spec.yaml", 9, 11)))
    with pytest.raises(PlanningError) as caught:
        build_plan(spec, _state(tier="free"))
    assert [problem.split(":", 2)[1] for problem in caught.value.problems] == ["9", "20"]
