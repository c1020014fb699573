"""Protection, the Free plan's limits, and the order of the plan's changes."""

from __future__ import annotations

import pytest

from reconciler.engine.plan import Action
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import is_protected, protecting_pattern
from reconciler.errors import PlanningError
from reconciler.model import DesiredState, Kind, LiveState

from .factories import (
    actions,
    client,
    desired,
    field_map,
    live,
    live_client,
    live_project,
    live_tag,
    only_change,
    project,
    tag,
)

GLOBEX = live_client(2, "Globex")

# ---------------------------------------------------------------- protection


@pytest.mark.parametrize(
    ("patterns", "kind", "name", "client_name", "expected"),
    [
        (("Site",), "project", "site", "Globex", "Site"),
        (("Globex/*",), "project", "Site", "Globex", "Globex/*"),
        (("globex/s?te",), "project", "SITE", "GLOBEX", "globex/s?te"),
        (("Globex/*",), "project", "Site", None, None),
        (("Globex/*",), "project", "Site", "Initech", None),
        (("inv*",), "tag", "Invoiced", None, "inv*"),
        (("Acme",), "client", "Acme Inc", None, None),
        (("Acme*", "*"), "client", "Acme Inc", None, "Acme*"),
    ],
)
def test_protection_patterns(patterns: tuple[str, ...], kind: Kind, name: str,
                             client_name: str | None, expected: str | None) -> None:
    spec = desired(protected={kind: patterns})
    found = protecting_pattern(spec, kind, name, client_name)
    assert (found.pattern if found else None) == expected
    assert is_protected(spec, kind, name, client_name) is (expected is not None)


def test_protection_is_per_kind() -> None:
    assert not is_protected(desired(protected={"client": ("Site",)}), "project", "Site")


def _protected_plan(spec: DesiredState, state: LiveState) -> tuple[list[str], tuple[str, ...]]:
    plan = build_plan(spec, state)
    return [c.address for c in plan.changes], plan.warnings


@pytest.mark.parametrize(
    ("spec", "warning"),
    [
        pytest.param(
            desired([client("Globex")], unmanaged={"project": "archive"},
                    protected={"project": ("Globex/*",)}),
            "project 'Globex/Site' is protected by 'Globex/*': not archived", id="archive-glob"),
        pytest.param(
            desired([client("Globex")], unmanaged={"project": "delete"},
                    protected={"project": ("site",)}),
            "project 'Globex/Site' is protected by 'site': not deleted", id="delete-name"),
        pytest.param(
            desired([client("Globex")], [project("Site", "Globex", delete=True)],
                    protected={"project": ("Globex/Site",)}),
            "project 'Globex/Site' is protected by 'Globex/Site': not deleted",
            id="explicit-delete"),
        pytest.param(
            desired(unmanaged={"client": "delete"}, protected={"client": ("Glob*",)}),
            "client 'Globex' is protected by 'Glob*': not deleted", id="client-delete"),
        pytest.param(
            desired([client("Globex", archived=True)], protected={"client": ("Globex",)}),
            "client 'Globex' is protected by 'Globex': not archived", id="client-archive"),
    ],
)
def test_protected_objects_are_never_removed(spec: DesiredState, warning: str) -> None:
    state = live([GLOBEX], [live_project(10, "Site", 2)])
    addresses, warnings = _protected_plan(spec, state)
    assert (addresses, warnings) == ([], (warning,))


def test_a_protected_tag_is_not_deleted() -> None:
    spec = desired(unmanaged={"tag": "delete"}, protected={"tag": ("keep-*",)})
    plan = build_plan(spec, live(tags=[live_tag(5, "keep-me"), live_tag(6, "drop-me")]))
    assert actions(plan) == [("delete", "tag", "drop-me")]
    assert plan.warnings == ("tag 'keep-me' is protected by 'keep-*': not deleted",)


def test_a_protected_archive_keeps_its_other_changes() -> None:
    spec = desired(projects=[project("Site", active=False, color="#d92b2b")],
                   protected={"project": ("Site",)})
    change = only_change(build_plan(spec, live(projects=[live_project(10, "Site")])))
    assert (change.action, field_map(change), change.blast) == (
        Action.UPDATE, {"color": ("#0b83d9", "#d92b2b")}, None)


def test_a_client_archive_that_would_take_a_protected_project_along_is_dropped() -> None:
    spec = desired([client("Globex", archived=True)], [project("App", "Globex")],
                   protected={"project": ("Globex/Site",)})
    state = live([GLOBEX], [live_project(10, "Site", 2), live_project(11, "App", 2)])
    plan = build_plan(spec, state)
    # Without the client archive, its spec'd project is archived on its own.
    assert actions(plan) == [("archive", "project", "Globex/App")]
    assert plan.warnings == (
        "client 'Globex' is not archived: it would archive project 'Globex/Site', "
        "protected by 'Globex/Site'",
    )


def test_an_already_archived_protected_project_does_not_hold_back_its_client() -> None:
    spec = desired([client("Globex", archived=True)], protected={"project": ("Site",)})
    state = live([GLOBEX], [live_project(10, "Site", 2, active=False)])
    assert actions(build_plan(spec, state)) == [("archive", "client", "Globex")]


# ---------------------------------------------------------------- the Free plan


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        pytest.param(desired(projects=[project("Site", color="#123456")]),
                     "project 'Site': colour #123456 needs a paid plan; the workspace is on "
                     "Free. Use one of the 14 free palette colours: #0b83d9, #9e5bd9, #d94182, "
                     "#e36a00, #bf7000, #2da608, #06a893, #c9806b, #465bb3, #990099, #c7af14, "
                     "#566614, #d92b2b, #525266", id="custom-colour"),
        pytest.param(desired([client("Globex", archived=True)]),
                     "client 'Globex': archiving a client needs a paid plan; the workspace "
                     "is on Free", id="client-archive"),
        pytest.param(desired(unmanaged={"client": "archive"}),
                     "client 'Globex': archiving a client needs a paid plan; the workspace "
                     "is on Free", id="unmanaged-client-archive"),
    ],
)
def test_paid_features_on_free_are_problems(spec: DesiredState, problem: str) -> None:
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, live([GLOBEX], tier="free"))
    assert raised.value.problems == [problem]


@pytest.mark.parametrize("tier", [None, "starter", "premium"])
def test_paid_features_are_fine_off_free_or_when_the_tier_is_unknown(tier: str | None) -> None:
    spec = desired([client("Globex", archived=True)], [project("Site", color="#123456")])
    assert len(build_plan(spec, live([GLOBEX], tier=tier)).changes) == 2


def test_palette_colours_in_any_case_are_fine_on_free() -> None:
    plan = build_plan(desired(projects=[project("Site", color="#D92B2B")]), live(tier="free"))
    assert plan.warnings == ()


def test_an_unchanged_custom_colour_is_not_a_problem_on_free() -> None:
    state = live(projects=[live_project(10, "Site", color="#123456")], tier="free")
    assert build_plan(desired(projects=[project("Site", color="#123456")]), state).changes == ()


def test_paid_fields_on_free_are_problems_but_their_free_values_are_not() -> None:
    spec = desired(projects=[project("Site", billable=False, rate=None, estimated_hours=3)])
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, live(tier="free"))
    assert raised.value.problems == [
        "project 'Site': estimated_hours needs a paid plan; the workspace is on Free (remove "
        "it from the spec, or upgrade the workspace)",
    ]


def test_paid_fields_the_live_project_already_has_are_fine_on_free() -> None:
    state = live(projects=[live_project(10, "Site", billable=True)], tier="free")
    plan = build_plan(desired(projects=[project("Site", billable=True)]), state)
    assert plan.changes == () and plan.warnings == ()


# ---------------------------------------------------------------- ordering


def test_changes_come_in_phases_then_action_then_address() -> None:
    spec = desired(
        [client("b-new"), client("A-new"), client("Ren", previous=["Old"]),
         client("Arch", archived=True), client("Del", delete=True), client("Upd", notes="x")],
        [project("z"), project("Y"), project("Ren2", previous=["P1"]),
         project("P2", active=False), project("P3", delete=True), project("P4", color="#d92b2b")],
        [tag("t-new"), tag("t-ren", previous=["t-old"]), tag("t-del", delete=True)],
        unmanaged={"tag": "delete"},
    )
    state = live(
        [live_client(1, "Old"), live_client(2, "Arch"), live_client(3, "Del"),
         live_client(4, "Upd")],
        [live_project(10, "P1"), live_project(11, "P2"), live_project(12, "P3"),
         live_project(13, "P4")],
        [live_tag(5, "t-old"), live_tag(6, "t-del"), live_tag(7, "a-stray")],
    )
    assert actions(build_plan(spec, state)) == [
        ("create", "client", "A-new"),
        ("create", "client", "b-new"),
        ("rename", "client", "Ren"),
        ("update", "client", "Upd"),
        ("create", "project", "Y"),
        ("create", "project", "z"),
        ("rename", "project", "Ren2"),
        ("update", "project", "P4"),
        ("create", "tag", "t-new"),
        ("rename", "tag", "t-ren"),
        ("delete", "tag", "a-stray"),
        ("delete", "tag", "t-del"),
        ("archive", "project", "P2"),
        ("delete", "project", "P3"),
        ("archive", "client", "Arch"),
        ("delete", "client", "Del"),
    ]


def test_the_plan_carries_the_workspace_and_spec_hash_and_no_bill() -> None:
    plan = build_plan(desired(), live())
    assert (plan.workspace_id, plan.workspace_name, plan.spec_hash) == (42, "Test", "sha256:test")
    assert (plan.bill.reads, plan.bill.writes) == (0, 0)
