"""The shape of each change: fields in spec terms, state side effects, blast radius, policies."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.plan import Action, BlastRadius, FieldChange
from reconciler.engine.planner import build_plan
from reconciler.errors import PlanningError
from reconciler.model import DesiredProject, Kind, LiveProject, LiveState

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

ACME = live_client(1, "Acme")


# ---------------------------------------------------------------- creates


def test_a_client_create_carries_every_spec_field() -> None:
    change = only_change(build_plan(desired([client("Acme", notes="n")]), live()))
    assert (change.action, change.live_id, change.live_at) == (Action.CREATE, None, None)
    assert change.fields == (FieldChange("notes", None, "n"),)


def test_a_project_create_always_says_active_and_names_its_client() -> None:
    spec = desired([client("Acme")], [project("Site", "Acme", color="#d92b2b", billable=True)])
    change = only_change(build_plan(spec, live([ACME])))
    assert (change.address, change.name, change.client) == ("Acme/Site", "Site", "Acme")
    assert change.fields == (
        FieldChange("client", None, "Acme"),
        FieldChange("active", None, True),
        FieldChange("color", None, "#d92b2b"),
        FieldChange("billable", None, True),
    )


def test_a_tag_create_has_no_fields() -> None:
    change = only_change(build_plan(desired(tags=[tag("urgent")]), live()))
    assert (change.action, change.kind, change.fields, change.blast) == (
        Action.CREATE, "tag", (), None)


# ---------------------------------------------------------------- value comparison


@pytest.mark.parametrize(
    ("name", "live_value", "wanted", "changed"),
    [
        ("color", "#D92B2B", "#d92b2b", False),
        ("color", "#0b83d9", "#d92b2b", True),
        ("estimated_hours", 1, 1.0, False),
        ("estimated_hours", 1, 2, True),
        ("estimated_hours", None, 0, True),
        ("billable", 1, True, True),  # a bool is not the number 1
        ("billable", False, False, False),
        ("billable", None, False, True),
        ("currency", "EUR", "USD", True),
    ],
)
def test_project_fields_compare_by_value(
    name: str, live_value: Any, wanted: Any, changed: bool
) -> None:
    spec = desired(projects=[project("Site", **{name: wanted})])
    plan = build_plan(spec, live(projects=[live_project(10, "Site", **{name: live_value})]))
    assert [f.field for c in plan.changes for f in c.fields] == ([name] if changed else [])


@pytest.mark.parametrize(
    ("live_notes", "wanted", "changed"),
    [(None, "", False), ("", None, False), (None, "n", True), ("n", "N", True)],
)
def test_client_notes_treat_none_as_empty(live_notes: str | None, wanted: str | None,
                                          changed: bool) -> None:
    state = live([live_client(1, "Acme", notes=live_notes)])
    plan = build_plan(desired([client("Acme", notes=wanted)]), state)
    assert len(plan.changes) == (1 if changed else 0)


def test_fields_missing_from_the_spec_are_left_as_they_are() -> None:
    state = live(projects=[live_project(10, "Site", billable=True, color="#d92b2b", rate=50)])
    assert build_plan(desired(projects=[project("Site")]), state).changes == ()


def test_an_update_names_the_fields_and_keeps_the_live_fingerprint() -> None:
    spec = desired([client("Acme")], [project("Site", "Acme", color="#d92b2b", rate=10)])
    change = only_change(build_plan(spec, live([ACME], [live_project(10, "Site", 1)])))
    assert (change.action, change.live_id, change.live_at) == (Action.UPDATE, 10, "at-p10")
    assert (change.address, change.client, change.reason) == (
        "Acme/Site", "Acme", "changed: color, rate")


def test_a_rename_and_archive_is_one_archive_carrying_the_new_name() -> None:
    spec = desired(projects=[project("Web", previous=["Site"], active=False)])
    change = only_change(build_plan(spec, live(projects=[live_project(10, "Site", seconds=7)])))
    assert (change.action, change.name, change.blast) == (Action.ARCHIVE, "Web", BlastRadius(7, 0))
    assert field_map(change) == {"name": ("Site", "Web"), "active": (True, False)}


# ---------------------------------------------------------------- project state


@pytest.mark.parametrize(
    ("entry", "live_active", "expected"),
    [
        (project("Site"), False, (Action.RESTORE, {"active": (False, True)})),
        (project("Site", active=False), True, (Action.ARCHIVE, {"active": (True, False)})),
        (project("Site", active=False), False, None),
        (project("Site", active=False, color="#d92b2b"), True,
         (Action.ARCHIVE, {"active": (True, False), "color": ("#0b83d9", "#d92b2b")})),
    ],
)
def test_projects_are_wanted_active_unless_the_spec_says_otherwise(
    entry: DesiredProject, live_active: bool, expected: tuple[Action, dict[str, Any]] | None
) -> None:
    state = live(projects=[live_project(10, "Site", active=live_active)])
    plan = build_plan(desired(projects=[entry]), state)
    assert [(c.action, field_map(c)) for c in plan.changes] == ([expected] if expected else [])


# ---------------------------------------------------------------- client archive and restore


def _acme_with_projects(archived: bool = False, projects_active: bool = True) -> LiveState:
    return live(
        [live_client(1, "Acme", archived=archived), live_client(2, "Globex")],
        [
            live_project(10, "Site", 1, active=projects_active, seconds=100),
            live_project(11, "App", 1, active=projects_active, seconds=20),
            live_project(12, "Old", 1, active=False, seconds=3),
        ],
    )


def test_a_client_archive_takes_its_projects_along() -> None:
    spec = desired([client("Acme", archived=True)], [project("Site", "Acme")])
    change = only_change(build_plan(spec, _acme_with_projects()))
    assert (change.action, change.kind, change.live_id) == (Action.ARCHIVE, "client", 1)
    assert field_map(change) == {"archived": (False, True)}
    assert change.blast == BlastRadius(tracked_seconds=123, projects=2)


def test_projects_moved_out_before_a_client_archive_are_not_taken_along() -> None:
    spec = desired([client("Acme", archived=True), client("Globex")],
                   [project("Site", "Globex", move_from="Acme/Site")])
    plan = build_plan(spec, _acme_with_projects())
    assert actions(plan) == [("update", "project", "Globex/Site"), ("archive", "client", "Acme")]
    assert plan.changes[1].blast == BlastRadius(tracked_seconds=23, projects=1)


def test_a_project_wanted_active_under_a_client_being_archived_is_refused() -> None:
    spec = desired([client("Acme", archived=True)], [project("Site", "Acme", active=True)])
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, _acme_with_projects())
    assert raised.value.problems == [
        "project 'Acme/Site' is wanted active, but its client 'Acme' is archived by this plan, "
        "which archives all its projects"
    ]


def test_projects_under_an_already_archived_client_default_to_archived() -> None:
    spec = desired([client("Acme", archived=True)], [project("Site", "Acme"),
                                                     project("App", "Acme", active=True)])
    plan = build_plan(spec, _acme_with_projects(archived=True))
    assert [(c.action, c.address) for c in plan.changes] == [
        (Action.ARCHIVE, "Acme/Site")]
    assert plan.changes[0].reason == "its client 'Acme' is archived in the spec"


def test_a_client_restore_brings_back_the_projects_wanted_active() -> None:
    spec = desired(
        [client("Acme")],
        [project("Site", "Acme"), project("App", "Acme", active=False),
         project("Old", "Acme", color="#d92b2b")],
    )
    plan = build_plan(spec, _acme_with_projects(archived=True, projects_active=False))
    restore, update = plan.changes
    assert (restore.action, restore.options) == (
        Action.RESTORE, {"restore_project_ids": [10, 12]})
    assert field_map(restore) == {"archived": (True, False)}
    # Restored along with the client, the project keeps only its other difference.
    assert (update.action, field_map(update)) == (
        Action.UPDATE, {"color": ("#0b83d9", "#d92b2b")})


def test_a_client_restore_leaves_projects_moving_elsewhere_to_their_own_change() -> None:
    spec = desired([client("Acme"), client("Globex")],
                   [project("Site", "Globex", move_from="Acme/Site")])
    plan = build_plan(spec, _acme_with_projects(archived=True, projects_active=False))
    restore, move = plan.changes
    assert restore.options == {"restore_project_ids": []}
    assert (move.action, field_map(move)) == (
        Action.RESTORE, {"client": ("Acme", "Globex"), "active": (False, True)})


# ---------------------------------------------------------------- deletes


@pytest.mark.parametrize(
    ("entry", "mode"),
    [(project("Site", delete=True), "unassign"),
     (project("Site", delete=True, delete_time_entries=True), "delete")],
)
def test_a_project_delete_says_what_happens_to_its_time_entries(
    entry: DesiredProject, mode: str
) -> None:
    change = only_change(build_plan(desired(projects=[entry]),
                                    live(projects=[live_project(10, "Site", seconds=9)])))
    assert (change.action, change.options, change.blast) == (
        Action.DELETE, {"te_deletion_mode": mode}, BlastRadius(9, 0))


def test_a_client_delete_counts_every_project_it_leaves_clientless() -> None:
    change = only_change(build_plan(desired([client("Acme", delete=True)]),
                                    _acme_with_projects()))
    assert (change.action, change.blast) == (Action.DELETE, BlastRadius(123, 3))


def test_a_tag_delete_has_no_blast() -> None:
    change = only_change(build_plan(desired(tags=[tag("x", delete=True)]),
                                    live(tags=[live_tag(5, "x")])))
    assert (change.action, change.blast, change.live_id) == (Action.DELETE, None, 5)


def test_a_clientless_spec_project_adopts_one_a_client_delete_orphans() -> None:
    spec = desired([client("Acme", delete=True)], [project("Site")])
    plan = build_plan(spec, live([ACME], [live_project(10, "Site", 1)]))
    assert [(c.action, c.address, field_map(c)) for c in plan.changes] == [
        (Action.UPDATE, "Site", {"client": ("Acme", None)}),
        (Action.DELETE, "Acme", {}),
    ]


@pytest.mark.parametrize(
    ("entries", "projects", "problem"),
    [
        pytest.param(
            [], [live_project(10, "Site", 1), live_project(11, "Site")],
            "deleting client 'Acme' would leave its project 'Site' without a client, where "
            "'Site' holds that name: move or delete 'Acme/Site' in the spec", id="namesake"),
        pytest.param(
            [project("Site", delete=True)], [live_project(10, "Site", 1)],
            "deleting client 'Acme' would leave its project 'Site' without a client, a name "
            "the spec deletes: move or delete 'Acme/Site' in the spec", id="deleted-name"),
    ],
)
def test_a_client_delete_that_would_clash_project_names_is_refused(
    entries: list[DesiredProject], projects: list[LiveProject], problem: str
) -> None:
    spec = desired([client("Acme", delete=True)], entries)
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, live([ACME], projects))
    assert raised.value.problems == [problem]


def test_an_orphan_goes_to_its_own_delete_before_a_clientless_namesake_entry() -> None:
    spec = desired([client("Acme", delete=True)],
                   [project("Site"), project("Site", "Acme", delete=True)])
    plan = build_plan(spec, live([ACME], [live_project(10, "Site", 1)]))
    assert actions(plan) == [("create", "project", "Site"), ("delete", "project", "Acme/Site"),
                             ("delete", "client", "Acme")]


def test_deleting_the_orphan_too_resolves_the_clash() -> None:
    spec = desired([client("Acme", delete=True)],
                   [project("Site", delete=True), project("Site", "Acme", delete=True)])
    plan = build_plan(spec, live([ACME], [live_project(10, "Site", 1), live_project(11, "Site")]))
    assert actions(plan) == [("delete", "project", "Acme/Site"), ("delete", "project", "Site"),
                             ("delete", "client", "Acme")]


# ---------------------------------------------------------------- unmanaged objects


def _everything_unmanaged() -> LiveState:
    return live(
        [live_client(1, "Acme", notes="n"), live_client(2, "Gone", archived=True)],
        [live_project(10, "Site", 1, seconds=5), live_project(11, "Idle", active=False)],
        [live_tag(5, "urgent")],
    )


@pytest.mark.parametrize(
    ("kind", "policy", "expected"),
    [
        ("client", "archive", [("archive", "client", "Acme")]),
        ("client", "delete", [("delete", "client", "Acme"), ("delete", "client", "Gone")]),
        ("project", "archive", [("archive", "project", "Acme/Site")]),
        ("project", "delete", [("delete", "project", "Acme/Site"), ("delete", "project", "Idle")]),
        ("tag", "delete", [("delete", "tag", "urgent")]),
        ("tag", "archive", []),  # tags cannot be archived: left alone
        ("client", "ignore", []),
    ],
)
def test_unmanaged_policies(
    kind: Kind, policy: str, expected: list[tuple[str, str, str]]
) -> None:
    plan = build_plan(desired(unmanaged={kind: policy}), _everything_unmanaged())
    assert actions(plan) == expected


def test_an_unmanaged_archive_says_why() -> None:
    plan = build_plan(desired(unmanaged={"project": "archive"}), _everything_unmanaged())
    change = only_change(plan)
    assert change.reason == "not in the spec; unmanaged.projects is archive"
    assert (change.client, change.blast) == ("Acme", BlastRadius(5, 0))


def test_projects_of_an_unmanaged_client_archive_need_no_archive_of_their_own() -> None:
    plan = build_plan(desired(unmanaged={"client": "archive", "project": "archive"}),
                      _everything_unmanaged())
    assert actions(plan) == [("archive", "client", "Acme")]
    assert plan.changes[0].blast == BlastRadius(5, 1)


def test_ignored_objects_are_listed_with_a_spec_entry_to_adopt_them() -> None:
    plan = build_plan(desired(), _everything_unmanaged())
    assert [(u.kind, u.address, u.live_id, u.spec_entry) for u in plan.unmanaged] == [
        ("client", "Acme", 1, {"name": "Acme", "notes": "n"}),
        ("client", "Gone", 2, {"name": "Gone", "archived": True}),
        ("project", "Acme/Site", 10,
         {"name": "Site", "client": "Acme", "color": "#0b83d9", "is_private": False}),
        ("project", "Idle", 11,
         {"name": "Idle", "color": "#0b83d9", "is_private": False, "active": False}),
        ("tag", "urgent", 5, "urgent"),
    ]


def test_a_listed_project_is_billable_when_toggl_says_so() -> None:
    state = live(projects=[live_project(10, "Site", billable=False)])
    (entry,) = build_plan(desired(), state).unmanaged
    assert entry.spec_entry["billable"] is False
