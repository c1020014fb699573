"""Which changes of a fresh plan a reviewer has already seen: compared by what they do."""

from __future__ import annotations

from dataclasses import replace

from reconciler.engine.plan import Action, BlastRadius, Change, FieldChange, Plan
from reconciler.engine.reviewed import unreviewed_changes


def _update(color_before: str = "#111111", color_after: str = "#222222", live_id: int = 7) -> Change:
    return Change(Action.UPDATE, "project", "Acme/Site", "Site", client="Acme", live_id=live_id,
                  live_at="2026-01-01T00:00:00Z",
                  fields=(FieldChange("color", color_before, color_after),))


def _delete(tracked: int = 3600, mode: str = "unassign") -> Change:
    return Change(Action.DELETE, "project", "Acme/Old", "Old", client="Acme", live_id=9,
                  blast=BlastRadius(tracked_seconds=tracked), options={"te_deletion_mode": mode})


def _create_tag(name: str) -> Change:
    return Change(Action.CREATE, "tag", name, name, fields=(FieldChange("name", None, name),))


def _plan(*changes: Change, workspace: int = 1) -> Plan:
    return Plan(workspace_id=workspace, workspace_name="W", changes=changes)


def _whys(plan: Plan, *reviewed: Plan) -> list[str]:
    return [u.why for u in unreviewed_changes(plan, list(reviewed))]


def test_changes_spread_over_several_reviewed_plans_are_all_reviewed() -> None:
    new = _plan(_create_tag("alpha"), _create_tag("beta"), _update())
    assert _whys(new, _plan(_create_tag("alpha")), _plan(_create_tag("beta"), _update())) == []


def test_a_change_no_plan_showed_is_unreviewed() -> None:
    assert _whys(_plan(_create_tag("alpha"), _create_tag("beta")), _plan(_create_tag("alpha"))) == \
        ["no reviewed plan showed it"]


def test_the_file_bytes_do_not_matter_only_what_the_changes_do() -> None:
    reviewed = replace(_plan(_update()), spec_hash="other", warnings=("w",))
    fresh = _plan(replace(_update(), live_at="2026-02-02T00:00:00Z", reason="shown differently"))
    assert _whys(fresh, reviewed) == []


def test_another_before_or_after_value_is_unreviewed() -> None:
    reviewed = _plan(_update())
    assert _whys(_plan(_update(color_before="#333333")), reviewed) == \
        ["the reviewed plan showed other values for color"]
    assert _whys(_plan(_update(color_after="#444444")), reviewed) == \
        ["the reviewed plan showed other values for color"]


def test_a_namesake_with_another_id_is_unreviewed() -> None:
    assert _whys(_plan(_update(live_id=8)), _plan(_update(live_id=7))) == \
        ["a reviewed plan showed it with other options or another target"]


def test_a_plan_of_another_workspace_reviews_nothing() -> None:
    assert _whys(_plan(_create_tag("alpha"), workspace=2), _plan(_create_tag("alpha"))) == \
        ["no reviewed plan showed it"]


def test_a_delete_that_now_destroys_more_tracked_time_is_unreviewed() -> None:
    reviewed = _plan(_delete(tracked=3600, mode="delete"))
    assert _whys(_plan(_delete(tracked=7200, mode="delete")), reviewed) == \
        ["it now takes along more than the reviewed plan showed"]
    # Entries kept (unassigned): more tracked time since the review loses nothing.
    assert _whys(_plan(_delete(tracked=7200)), _plan(_delete(tracked=3600))) == []


def test_a_delete_that_now_destroys_time_entries_is_unreviewed() -> None:
    assert _whys(_plan(_delete(mode="delete")), _plan(_delete(mode="unassign"))) == \
        ["a reviewed plan showed it with other options or another target"]


def test_a_client_archive_taking_more_projects_is_unreviewed() -> None:
    def archive(projects: int) -> Change:
        return Change(Action.ARCHIVE, "client", "Acme", "Acme", live_id=3,
                      blast=BlastRadius(0, projects))
    assert _whys(_plan(archive(3)), _plan(archive(2))) == \
        ["it now takes along more than the reviewed plan showed"]
    assert _whys(_plan(archive(1)), _plan(archive(2))) == []


def test_a_plan_with_no_changes_needs_no_review() -> None:
    assert _whys(_plan()) == []


def test_a_group_removal_taking_access_from_more_people_is_unreviewed() -> None:
    def removal(people: int) -> Change:
        return Change(Action.DELETE, "group", "Team", "Team", live_id=5,
                      blast=BlastRadius(0, 0, people=people),
                      options={"group_removal": "delete"})
    assert _whys(_plan(removal(4)), _plan(removal(3))) == \
        ["it now takes along more than the reviewed plan showed"]
    assert _whys(_plan(removal(2)), _plan(removal(3))) == []
