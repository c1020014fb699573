"""Groups: matched by name in the organization, members by e-mail, delete or detach."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.engine.fingerprint import dependency_problems, fingerprint_plan
from reconciler.engine.plan import Action, BlastRadius
from reconciler.engine.planner import build_plan
from reconciler.errors import PlanningError
from reconciler.model import DesiredGroup, SourceLocation
from tests.engine.factories import (
    actions,
    desired,
    field_map,
    group,
    live,
    live_group,
    live_user,
    only_change,
    with_kinds,
    with_live,
)

USERS = [live_user(1, "ana@acme.test"), live_user(2, "bo@acme.test"), live_user(3, "cy@acme.test")]


def _state(*groups, tier=None):
    return with_live(live(tier=tier), users=USERS, groups=list(groups))


def _spec(*groups, **options):
    return with_kinds(desired(), groups=groups, **options)


def test_a_new_group_is_created_with_its_members_sorted_as_the_workspace_spells_them() -> None:
    change = only_change(build_plan(_spec(group("Designers", ["BO@acme.test", "ana@acme.test"])),
                                    _state()))
    assert (change.action, change.kind, change.address) == (Action.CREATE, "group", "Designers")
    assert field_map(change) == {"members": (None, ["ana@acme.test", "bo@acme.test"])}
    assert change.options == {"user_ids": [1, 2]}


def test_a_group_as_written_plans_nothing() -> None:
    spec = _spec(group("Designers", ["bo@acme.test", "ana@acme.test"]))
    assert build_plan(spec, _state(live_group(5, "Designers", [2, 1]))).changes == ()


def test_a_group_without_members_key_leaves_its_membership_alone() -> None:
    assert build_plan(_spec(group("Designers")), _state(live_group(5, "Designers", [3]))).changes == ()


def test_members_are_replaced_and_users_of_other_workspaces_kept() -> None:
    spec = _spec(group("Designers", ["ana@acme.test", "cy@acme.test"]))
    change = only_change(build_plan(spec, _state(live_group(5, "Designers", [1, 2, 99]))))
    assert change.action is Action.UPDATE and change.live_id == 5 and change.live_at == "at-g5"
    assert field_map(change) == {"members": (["ana@acme.test", "bo@acme.test"],
                                             ["ana@acme.test", "cy@acme.test"])}
    # 99 is not a user of this workspace: the spec cannot name it, so it stays.
    assert change.options == {"user_ids": [1, 3, 99], "workspace_ids": [42]}


def test_a_user_listed_without_an_e_mail_stays_in_the_group_and_plans_nothing() -> None:
    # No spec can name a user without an e-mail: the group keeps them, and the plan converges.
    spec = _spec(group("Designers", ["ana@acme.test"]))
    state = with_live(live(), users=[*USERS, live_user(4, "")], groups=[live_group(5, "Designers", [1, 4])])
    assert build_plan(spec, state).changes == ()


@pytest.mark.parametrize("live_name, previous", [("designers", ()), ("Design", ("Design",))])
def test_renames_by_case_and_by_previous_name(live_name: str, previous: tuple[str, ...]) -> None:
    spec = _spec(group("Designers", previous=previous))
    change = only_change(build_plan(spec, _state(live_group(5, live_name))))
    assert change.action is Action.RENAME
    assert field_map(change) == {"name": (live_name, "Designers")}


def test_an_organization_group_not_attached_here_is_attached() -> None:
    spec = _spec(group("Designers"))
    change = only_change(build_plan(spec, _state(live_group(5, "Designers", [1], [77]))))
    assert change.action is Action.UPDATE and field_map(change) == {"attached": (False, True)}
    assert change.options["workspace_ids"] == [42, 77]
    assert "attached to this workspace" in change.reason


def test_unmanaged_groups_are_deleted_or_detached_and_the_plan_says_which() -> None:
    spec = _spec(unmanaged={"group": "delete"})
    state = _state(live_group(5, "Solo", [1, 2]), live_group(6, "Shared", [3], [42, 43]),
                   live_group(7, "Elsewhere", [1], [43]))
    plan = build_plan(spec, state)
    assert actions(plan) == [("delete", "group", "Shared"), ("delete", "group", "Solo")]
    shared, solo = plan.changes
    assert shared.options == {"group_removal": "detach"}
    assert "attached to 1 other workspace: detached from this workspace only" in shared.reason
    assert solo.options == {"group_removal": "delete"}
    assert "attached to no other workspace: deleted from the organization" in solo.reason
    assert solo.blast == BlastRadius(0, 0, people=2) and shared.blast == BlastRadius(0, 0, people=1)


def test_ignored_groups_are_listed_with_the_entry_that_adopts_them() -> None:
    plan = build_plan(_spec(), _state(live_group(5, "Solo", [2, 1]), live_group(7, "Far", [], [9])))
    assert plan.changes == ()
    assert [u.to_json() for u in plan.unmanaged] == [
        {"kind": "group", "address": "Solo", "id": 5,
         "spec": {"name": "Solo", "members": ["ana@acme.test", "bo@acme.test"]}},
    ]


def test_a_spec_without_groups_never_touches_them() -> None:
    spec = desired(unmanaged={"group": "delete"})
    plan = build_plan(spec, _state(live_group(5, "Solo")))
    assert plan.changes == () and plan.unmanaged == ()


def test_delete_true_deletes_the_exact_name_only() -> None:
    plan = build_plan(_spec(group("Old", delete=True)),
                      _state(live_group(5, "Old", [1]), live_group(6, "old")))
    change = only_change(plan)
    assert (change.action, change.live_id, change.options) == (
        Action.DELETE, 5, {"group_removal": "delete"})
    assert change.reason.startswith("delete: true in the spec")


def test_a_protected_group_is_never_removed() -> None:
    spec = _spec(group("Core", delete=True), unmanaged={"group": "delete"},
                 protected={"group": ("C*",)})
    plan = build_plan(spec, _state(live_group(5, "Core"), live_group(6, "Crew")))
    assert plan.changes == ()
    assert plan.warnings == ("group 'Core' is protected by 'C*': not deleted",
                             "group 'Crew' is protected by 'C*': not deleted")


def test_a_rename_out_of_protection_is_refused() -> None:
    spec = _spec(group("Team", previous=["Core"]), protected={"group": ("Core",)})
    with pytest.raises(PlanningError, match="add 'Team' to protected.groups"):
        build_plan(spec, _state(live_group(5, "Core")))


def test_an_unknown_e_mail_is_a_plan_error_at_its_line() -> None:
    entry = DesiredGroup("Designers", ("ana@acme.test", "zed@acme.test"),
                         source=SourceLocation("groups.yaml", 2, 5),
                         member_sources=(SourceLocation("groups.yaml", 3, 16),
                                         SourceLocation("groups.yaml", 3, 31)))
    with pytest.raises(PlanningError) as caught:
        build_plan(_spec(entry), _state())
    assert caught.value.problems == [
        "groups.yaml:3:31: group 'Designers': member: 'zed@acme.test' is not a user of "
        "workspace 'Test'; invite them to the workspace first, or correct the e-mail"
    ]


def test_groups_on_a_free_workspace_are_a_plan_error() -> None:
    entry = replace(group("Designers"), source=SourceLocation("spec.yaml", 9, 5))
    with pytest.raises(PlanningError) as caught:
        build_plan(_spec(entry), _state(tier="free"))
    assert caught.value.problems == [
        "spec.yaml:9:5: groups need the Starter plan or higher; workspace 'Test' is on the "
        "Free plan"
    ]


def test_a_group_removal_is_stale_once_its_users_or_workspaces_change() -> None:
    spec = _spec(unmanaged={"group": "delete"})
    state = _state(live_group(5, "Solo", [1, 2]))
    plan = fingerprint_plan(build_plan(spec, state), state)
    assert plan.changes[0].fingerprint == {"user_ids": [1, 2], "workspace_ids": [42]}
    assert dependency_problems(plan, state) == []
    later = _state(live_group(5, "Solo", [1, 2], [42, 43]))
    assert dependency_problems(plan, later) == [
        "group 'Solo' is attached to 2 workspace(s) now, the plan showed 1: whether it is "
        "deleted or detached may differ"
    ]
    gone = _state()
    assert dependency_problems(plan, gone) == ["group 'Solo' no longer exists"]
