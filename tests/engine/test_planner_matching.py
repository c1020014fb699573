"""Which live object each spec entry is matched with: exact, previous name, move, or none."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.plan import Action
from reconciler.engine.planner import build_plan
from reconciler.errors import PlanningError
from reconciler.model import DesiredClient, DesiredProject, DesiredState, LiveProject, LiveState

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
GLOBEX = live_client(2, "Globex")


@pytest.mark.parametrize(
    ("spec", "state", "expected"),
    [
        pytest.param(desired([client("Acme")]), live([ACME]), [], id="exact"),
        pytest.param(desired([client("ACME")]), live([ACME]),
                     [("rename", "client", "ACME")], id="case-only-rename"),
        pytest.param(desired([client("Acme Inc", previous=["Acme"])]), live([ACME]),
                     [("rename", "client", "Acme Inc")], id="previous-name"),
        pytest.param(desired([client("Acme")]), live([live_client(1, "Acme", archived=True)]),
                     [("restore", "client", "Acme")], id="archived-is-restored-not-duplicated"),
        pytest.param(desired([client("Acme")]), live(), [("create", "client", "Acme")],
                     id="create"),
        pytest.param(desired(tags=[tag("urgent")]), live(tags=[live_tag(5, "Urgent")]),
                     [("rename", "tag", "urgent")], id="tag-case-only-rename"),
        pytest.param(desired(tags=[tag("urgent", previous=["hot"])]),
                     live(tags=[live_tag(5, "hot")]), [("rename", "tag", "urgent")],
                     id="tag-previous-name"),
    ],
)
def test_clients_and_tags_match_by_name(
    spec: DesiredState, state: LiveState, expected: list[tuple[str, str, str]]
) -> None:
    assert actions(build_plan(spec, state)) == expected


def test_a_rename_keeps_the_live_id_and_says_where_it_came_from() -> None:
    plan = build_plan(desired([client("Acme Inc", previous=["Old", "Acme"])]), live([ACME]))
    change = only_change(plan)
    assert (change.live_id, change.live_at) == (1, "at-c1")
    assert field_map(change) == {"name": ("Acme", "Acme Inc")}
    assert change.reason == "renamed from 'Acme'"


def test_when_new_and_previous_names_both_exist_the_new_name_wins() -> None:
    spec = desired([client("Acme Inc", previous=["Acme"])])
    plan = build_plan(spec, live([ACME, live_client(3, "Acme Inc")]))
    assert plan.changes == ()
    assert [u.address for u in plan.unmanaged] == ["Acme"]
    assert plan.warnings == (
        "client 'Acme Inc' and its previous name 'Acme' both exist: the new name is managed, "
        "'Acme' stays unmanaged",
    )


@pytest.mark.parametrize(
    ("spec", "state", "warning"),
    [
        pytest.param(
            desired([client("Acme")], [project("Web", "Acme", previous=["Site"])]),
            live([ACME], [live_project(10, "Site", 1), live_project(11, "Web", 1)]),
            "project 'Acme/Web' and its previous name 'Acme/Site' both exist: the new name "
            "is managed, 'Acme/Site' stays unmanaged", id="project"),
        pytest.param(
            desired(tags=[tag("urgent", previous=["hot"])]),
            live(tags=[live_tag(5, "hot"), live_tag(6, "urgent")]),
            "tag 'urgent' and its previous name 'hot' both exist: the new name is managed, "
            "'hot' stays unmanaged", id="tag"),
    ],
)
def test_the_new_name_wins_for_projects_and_tags_too(
    spec: DesiredState, state: LiveState, warning: str
) -> None:
    plan = build_plan(spec, state)
    assert (plan.changes, plan.warnings) == ((), (warning,))
    assert len(plan.unmanaged) == 1


def test_an_exact_match_is_never_taken_by_another_entrys_previous_name() -> None:
    spec = desired([client("New", previous=["Acme"]), client("Acme")])
    plan = build_plan(spec, live([ACME]))
    assert actions(plan) == [("create", "client", "New")]


@pytest.mark.parametrize(
    ("entry", "projects", "expected_action", "expected_fields"),
    [
        pytest.param(project("Site", "Acme"), [live_project(10, "Site", 1)], None, {},
                     id="exact"),
        pytest.param(project("site", "acme"), [live_project(10, "Site", 1)], Action.RENAME,
                     {"name": ("Site", "site")}, id="case-only-rename"),
        pytest.param(project("Web", "Acme", previous=["Site"]), [live_project(10, "Site", 1)],
                     Action.RENAME, {"name": ("Site", "Web")}, id="previous-name-same-client"),
        pytest.param(project("Web", "Acme", move_from="Globex/Site"),
                     [live_project(10, "Site", 2)],
                     Action.RENAME, {"name": ("Site", "Web"), "client": ("Globex", "Acme")},
                     id="move-and-rename"),
        pytest.param(project("Site", "Acme", move_from="Globex/Site"),
                     [live_project(10, "Site", 2)], Action.UPDATE,
                     {"client": ("Globex", "Acme")}, id="move-from-other-client"),
        pytest.param(project("Site", "Acme", move_from="site"), [live_project(10, "Site")],
                     Action.UPDATE, {"client": (None, "Acme")}, id="move-from-no-client"),
        pytest.param(project("Site", move_from="ACME/Site"), [live_project(10, "Site", 1)],
                     Action.UPDATE, {"client": ("Acme", None)}, id="move-to-no-client"),
        pytest.param(project("Site", "Acme"), [live_project(10, "Site", 1, active=False)],
                     Action.RESTORE, {"active": (False, True)}, id="archived-is-restored"),
    ],
)
def test_projects_match_by_client_and_name(
    entry: DesiredProject,
    projects: list[LiveProject],
    expected_action: Action | None,
    expected_fields: dict[str, tuple[Any, Any]],
) -> None:
    spec = desired([client("Acme"), client("Globex")], [entry])
    plan = build_plan(spec, live([ACME, GLOBEX], projects))
    if expected_action is None:
        assert plan.changes == ()
        return
    change = only_change(plan)
    assert (change.action, change.live_id) == (expected_action, 10)
    assert field_map(change) == expected_fields


@pytest.mark.parametrize(
    ("entries", "projects"),
    [
        pytest.param([project("Site", "Acme")],
                     [live_project(10, "Site", 2), live_project(11, "Site")],
                     id="name-twice-in-the-workspace"),
        pytest.param([project("Site", "Acme"), project("Site")],
                     [live_project(10, "Site", 2)], id="name-twice-in-the-spec"),
        pytest.param([project("Web", "Acme", previous=["Site"])],
                     [live_project(10, "Site", 2), live_project(11, "Site")],
                     id="ambiguous-previous-name"),
    ],
)
def test_ambiguous_moves_create_instead(
    entries: list[DesiredProject], projects: list[LiveProject]
) -> None:
    spec = desired([client("Acme"), client("Globex")], entries)
    plan = build_plan(spec, live([ACME, GLOBEX], projects))
    assert {c.action for c in plan.changes} == {Action.CREATE}
    assert len(plan.changes) == len(entries)


def test_a_move_never_takes_a_project_another_entry_matched() -> None:
    spec = desired([client("Acme"), client("Globex")],
                   [project("Site", "Acme"), project("Site", "Globex", delete=True)])
    plan = build_plan(spec, live([ACME, GLOBEX], [live_project(10, "Site", 2)]))
    assert actions(plan) == [("create", "project", "Acme/Site"),
                             ("delete", "project", "Globex/Site")]


def test_projects_follow_their_client_through_a_rename() -> None:
    spec = desired([client("Acme Inc", previous=["Acme"])], [project("Site", "Acme Inc")])
    plan = build_plan(spec, live([ACME], [live_project(10, "Site", 1)]))
    assert actions(plan) == [("rename", "client", "Acme Inc")]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(client("Acme", delete=True), [("delete", "client", "Acme")], id="exact"),
        pytest.param(client("Nope", delete=True), [], id="absent-nothing"),
        # A delete never follows a previous name: too loose a match for an irreversible act.
        pytest.param(client("New", previous=["Acme"], delete=True), [], id="no-previous"),
    ],
)
def test_delete_entries_delete_their_exact_match(
    entry: DesiredClient, expected: list[tuple[str, str, str]]
) -> None:
    assert actions(build_plan(desired([entry]), live([ACME]))) == expected


def test_a_delete_entry_never_moves_a_project_from_another_client() -> None:
    spec = desired([client("Acme")], [project("Site", "Acme", delete=True)])
    plan = build_plan(spec, live([ACME, GLOBEX], [live_project(10, "Site", 2)]))
    assert plan.changes == ()


def test_a_client_named_only_by_projects_is_kept_not_unmanaged() -> None:
    spec = desired(projects=[project("Site", "Acme")], unmanaged={"client": "delete"})
    plan = build_plan(spec, live([ACME, GLOBEX], [live_project(10, "Site", 1)]))
    assert actions(plan) == [("delete", "client", "Globex")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(desired(projects=[project("Site", "Nowhere")]),
                     "project 'Nowhere/Site': client 'Nowhere' is neither in the spec nor in "
                     "the workspace", id="unknown-client"),
        pytest.param(desired([client("Acme", delete=True)], [project("Site", "Acme")]),
                     "project 'Acme/Site' needs client 'Acme', which the spec deletes",
                     id="deleted-client"),
        pytest.param(desired([client("Acme Inc", previous=["Acme"])], [project("Site", "Acme")]),
                     "project 'Acme/Site': client 'Acme' is renamed to 'Acme Inc' by the spec; "
                     "use the new name", id="old-client-name"),
        pytest.param(desired([client("Acme"), client("acme")]),
                     "client 'acme' is listed twice in the spec", id="duplicate"),
    ],
)
def test_spec_entries_that_cannot_be_matched_are_problems(spec: DesiredState, message: str) -> None:
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, live([ACME]))
    assert raised.value.problems == [message]
