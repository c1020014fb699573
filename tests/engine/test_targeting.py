"""Selection logic of --target/--exclude (reconciler.engine.targeting), on planner output."""

from __future__ import annotations

import pytest

from reconciler.engine.batching import count_writes
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.engine.planner import build_plan
from reconciler.engine.targeting import (
    Selection,
    fitting_targets,
    glob_literal,
    needs,
    parse_selector,
    select,
    selection_of,
)
from reconciler.errors import UsageError
from tests.engine.factories import (
    actions,
    client,
    desired,
    live,
    live_client,
    live_project,
    live_tag,
    project,
    tag,
)


def addresses(plan: Plan) -> list[str]:
    return [c.address for c in plan.changes]


def new_client_plan() -> Plan:
    return build_plan(desired([client("Globex")],
                              [project("Website", "Globex"), project("Intranet")],
                              [tag("Urgent")]), live())


def test_no_selectors_leave_the_plan_as_it_is() -> None:
    plan = new_client_plan()
    assert select(plan, Selection()) is plan


def test_a_target_pulls_in_the_create_of_its_client() -> None:
    narrowed = select(new_client_plan(), selection_of(["project:Globex/Website"], []))
    assert addresses(narrowed) == ["Globex", "Globex/Website"]
    assert narrowed.targeting["left_out"] == 2
    assert narrowed.targeting["pulled_in"] == [{
        "kind": "client", "address": "Globex", "action": "create",
        "because": {"relation": "needed by", "action": "create", "kind": "project",
                    "address": "Globex/Website"}}]


def test_an_exclude_drops_what_needs_it_and_says_why() -> None:
    narrowed = select(new_client_plan(), selection_of([], ["client:globex"]))
    assert addresses(narrowed) == ["Intranet", "Urgent"]
    assert [d["address"] for d in narrowed.targeting["dropped"]] == ["Globex/Website"]
    assert narrowed.targeting["dropped"][0]["because"]["address"] == "Globex"


def test_exclude_wins_over_target() -> None:
    narrowed = select(new_client_plan(), selection_of(["project:Globex/*"], ["client:Globex"]))
    assert narrowed.changes == ()
    assert narrowed.targeting["left_out"] == 4


def test_globs_are_case_insensitive_and_repeatable() -> None:
    narrowed = select(new_client_plan(), selection_of(["tag:URG*", "project:intra?et"], []))
    assert addresses(narrowed) == ["Intranet", "Urgent"]


def test_a_slash_inside_a_name_is_written_escaped() -> None:
    plan = build_plan(desired([client("A/B")], [project("P", "A/B"), project("B/P")]), live())
    narrowed = select(plan, selection_of([r"project:a\/b/p"], []))
    assert addresses(narrowed) == [r"A\/B", r"A\/B/P"]
    # `A/B/P`, unescaped, is client A's project `B/P`: no such project here (nearest listed)
    with pytest.raises(UsageError, match="nearest"):
        select(plan, selection_of(["project:A/B/P"], []))


def test_a_pattern_matching_nothing_lists_the_nearest_addresses() -> None:
    with pytest.raises(UsageError) as raised:
        select(new_client_plan(), selection_of(["project:Globex/Webiste"], ["tag:Urgnt"]))
    message = str(raised.value)
    assert "--target 'project:Globex/Webiste' matches no project; nearest: 'Globex/Website'" \
        in message
    assert "--exclude 'tag:Urgnt' matches no tag; nearest: 'Urgent'" in message


def test_a_pattern_naming_a_known_object_without_changes_is_fine() -> None:
    narrowed = select(new_client_plan(), selection_of(["tag:Other"], []),
                      {"tag": [("Other", "Other")]})
    assert narrowed.changes == () and narrowed.targeting["left_out"] == 4


def test_the_workspace_kinds_parse_and_a_pattern_of_none_is_a_typo() -> None:
    assert parse_selector("task:Website/*").kind == "task"
    with pytest.raises(UsageError, match="matches no member; there is no member close to it"):
        select(new_client_plan(), selection_of(["member:ann@example.com"], []))
    with pytest.raises(UsageError, match="unknown kind"):
        parse_selector("widget:x")
    with pytest.raises(UsageError, match="KIND:PATTERN"):
        parse_selector("Globex")


def test_a_client_archive_needs_the_moves_out_from_under_it() -> None:
    spec = desired([client("Old", archived=True), client("New")],
                   [project("Kept", "New", move_from="Old/Kept")])
    plan = build_plan(spec, live([live_client(1, "Old")], [live_project(10, "Kept", 1)]))
    narrowed = select(plan, selection_of(["client:Old"], []))
    assert sorted(addresses(narrowed)) == ["New", "New/Kept", "Old"]
    # excluding the move drops the archive that would otherwise take the project along
    kept = select(plan, selection_of([], ["project:New/Kept"]))
    assert addresses(kept) == ["New"]


def test_a_client_delete_needs_the_project_deletes_under_it() -> None:
    spec = desired([client("Gone", delete=True)], [project("P", "Gone", delete=True)])
    plan = build_plan(spec, live([live_client(1, "Gone")], [live_project(10, "P", 1)]))
    assert actions(select(plan, selection_of(["client:Gone"], []))) == [
        ("delete", "project", "Gone/P"), ("delete", "client", "Gone")]


def test_a_project_under_a_renamed_client_needs_the_rename() -> None:
    spec = desired([client("New", previous=["Old"])], [project("Web", "New")])
    plan = build_plan(spec, live([live_client(1, "Old")]))
    assert actions(select(plan, selection_of(["project:New/Web"], []))) == [
        ("rename", "client", "New"), ("create", "project", "New/Web")]


def test_needs_is_empty_for_independent_changes() -> None:
    plan = build_plan(desired(tags=[tag("a"), tag("b")]), live())
    assert needs(plan.changes) == [set(), set()]


def test_fitting_targets_fit_the_budget_with_their_needs() -> None:
    plan = new_client_plan()
    lines = fitting_targets(plan, 2)
    assert lines == ["client:Globex", "project:Globex/Website"]
    narrowed = select(plan, selection_of(lines, []))
    assert count_writes(narrowed.changes) <= 2
    assert fitting_targets(plan, 100) == [f"{c.kind}:{c.address}" for c in plan.changes]


def test_glob_literal_addresses_select_only_themselves() -> None:
    plan = build_plan(desired(tags=[tag("a*"), tag("ab"), tag("[x]")]), live())
    for change in plan.changes:
        narrowed = select(plan, selection_of([f"tag:{glob_literal(change.address)}"], []))
        assert addresses(narrowed) == [change.address]


def test_billing_flag_per_change() -> None:
    def change(action: Action, *fields: FieldChange, **options: str) -> Change:
        return Change(action, "project", "P", "P", live_id=1, fields=fields, options=options)
    assert change(Action.UPDATE, FieldChange("rate", 1, 2)).billing
    assert change(Action.UPDATE, FieldChange("client", "A", "B")).billing
    assert not change(Action.UPDATE, FieldChange("color", "#1", "#2")).billing
    assert change(Action.DELETE, te_deletion_mode="delete").billing
    assert not change(Action.DELETE, te_deletion_mode="unassign").billing
    assert Change(Action.CREATE, "project", "P", "P", fields=(FieldChange("billable", None, True),)
                  ).billing
    assert not Change(Action.CREATE, "project", "P", "P",
                      fields=(FieldChange("billable", None, False),)).billing
    assert Change(Action.CREATE, "project", "P", "P", fields=(FieldChange("rate", None, 90),)
                  ).billing
    assert not Change(Action.CREATE, "project", "A/P", "P", client="A",
                      fields=(FieldChange("client", None, "A"),)).billing
    assert not Change(Action.UPDATE, "client", "A", "A", live_id=1,
                      fields=(FieldChange("notes", "x", "y"),)).billing


def test_a_saved_partial_plan_round_trips_its_record() -> None:
    narrowed = select(new_client_plan(), selection_of(["tag:*"], []))
    again = Plan.from_json(narrowed.to_json())
    assert again.targeting == narrowed.targeting
    assert again.to_json() == narrowed.to_json()


def test_a_renamed_or_moved_object_matches_its_address_before_too() -> None:
    spec = desired([client("New", previous=["Old"])], [project("Web", "Other",
                                                               move_from="New/Web")],
                   [tag("Fresh", previous=["Stale"])])
    plan = build_plan(spec, live([live_client(1, "Old"), live_client(2, "Other")],
                                 [live_project(10, "Web", 1)], [live_tag(5, "Stale")]))
    assert addresses(select(plan, selection_of(["client:Old"], []))) == ["New"]
    assert addresses(select(plan, selection_of(["tag:stale"], []))) == ["Fresh"]
    # the move from under the renamed client: its before is written in the new client name
    assert addresses(select(plan, selection_of(["project:New/Web"], []))) == ["Other/Web"]


def test_an_address_never_matches_a_clientless_project_named_like_it() -> None:
    plan = build_plan(desired([client("Globex")],
                              [project("Globex/Website"), project("Website", "Globex")]), live())
    assert addresses(select(plan, selection_of(["project:Globex/Website"], []))) == [
        "Globex", "Globex/Website"]
    assert addresses(select(plan, selection_of([r"project:Globex\/Website"], []))) == [
        r"Globex\/Website"]


def test_what_a_dropped_target_needed_is_not_pulled_in_for_it() -> None:
    spec = desired([client("Old", archived=True), client("New")],
                   [project("Kept", "New", move_from="Old/Kept")])
    plan = build_plan(spec, live([live_client(1, "Old")], [live_project(10, "Kept", 1)]))
    # the archive needs the move, the move needs New: excluding New drops both
    narrowed = select(plan, selection_of(["client:Old"], ["client:New"]))
    assert narrowed.changes == ()
    assert sorted(d["address"] for d in narrowed.targeting["dropped"]) == ["New/Kept", "Old"]
    assert narrowed.targeting["pulled_in"] == []
