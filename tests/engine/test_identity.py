"""Identity (issue 9 items 2, 3, 5; issue 15 item 12): which live object a spec entry acts on.

Exact spelling (NFC) first, then a difference of letter case only, never anything looser; two
case variants with no exact one refuse the plan; look-alikes are reported, never matched; a
project under another client is reached only through `move_from`; addresses escape `/`.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine.plan import Action, BlastRadius
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import check_thresholds, removal_counts
from reconciler.errors import PlanningError
from reconciler.model import (
    SafetyLimits,
    lookalike_key,
    name_key,
    project_address,
    spelling,
    split_address,
)

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

NFC_CAFE = "Caf\u00e9"
NFD_CAFE = "Cafe\u0301"

# ---------------------------------------------------------------- what "case only" means


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Acme", "ACME", True),
        ("Acme", "acme", True),
        (NFD_CAFE, NFC_CAFE.upper(), True),  # NFC first, then case
        ("Stra\u00dfe", "STRASSE", False),  # casefold would join them
        ("Stra\u00dfe", "strasse", False),
        ("\ufb01le", "FILE", False),  # ligature
        ("\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c3", False),  # final sigma
        ("x\u200by", "xy", False),  # zero-width space
        ("\uff21cme", "Acme", False),  # fullwidth A
        ("\u212a", "k", True),  # Kelvin sign is canonically K
    ],
)
def test_name_key_joins_names_that_differ_only_in_case(a: str, b: str, same: bool) -> None:
    assert (name_key(a) == name_key(b)) is same
    assert lookalike_key(a) == lookalike_key(b)  # every pair here looks alike


def test_spelling_is_the_nfc_form() -> None:
    assert spelling(NFD_CAFE) == spelling(NFC_CAFE) == NFC_CAFE


# ---------------------------------------------------------------- item 2: exact, then case


def test_a_delete_acts_on_the_exact_name_not_a_casefold_twin() -> None:
    state = live([live_client(1, "Stra\u00dfe"), live_client(2, "STRASSE")])
    plan = build_plan(desired([client("STRASSE", delete=True)]), state)
    assert [(c.action, c.live_id) for c in plan.changes] == [(Action.DELETE, 2)]


def test_a_delete_never_reaches_a_name_that_differs_by_more_than_case() -> None:
    plan = build_plan(desired([client("STRASSE", delete=True)]),
                      live([live_client(1, "Stra\u00dfe")]))
    assert plan.changes == ()
    assert plan.warnings == (
        "client 'STRASSE' matches no live object: 'Stra\u00dfe' (id 1) looks alike but differs "
        "by more than case or Unicode form, so it is not touched and nothing is deleted",
    )


def test_a_create_next_to_a_lookalike_says_so() -> None:
    plan = build_plan(desired(tags=[tag("\ufb01le")]), live(tags=[live_tag(5, "FILE")]))
    assert actions(plan) == [("create", "tag", "\ufb01le")]
    assert "'FILE' (id 5) looks alike" in plan.warnings[0]
    assert "it is created as a new object" in plan.warnings[0]


def test_a_case_only_difference_is_still_a_rename() -> None:
    change = only_change(build_plan(desired([client("ACME")]), live([live_client(1, "Acme")])))
    assert (change.action, change.live_id, field_map(change)) == (
        Action.RENAME, 1, {"name": ("Acme", "ACME")})


def test_a_delete_acts_on_the_exact_spelling_only_and_says_so_about_a_case_variant() -> None:
    plan = build_plan(desired([client("acme", delete=True)]), live([live_client(1, "Acme")]))
    assert plan.changes == ()
    assert plan.warnings == (
        "client 'acme' matches no live object: 'Acme' (id 1) differs in case, and a delete "
        "removes only the exact spelling, so nothing is deleted",
    )


def test_two_case_variants_and_no_exact_spelling_refuse_the_plan_naming_both() -> None:
    state = live([live_client(1, "Acme"), live_client(2, "ACME")])
    with pytest.raises(PlanningError) as raised:
        build_plan(desired([client("acme", notes="n")]), state)
    assert raised.value.problems == [
        "client 'acme' could mean any of 2 live objects whose names differ only in case or "
        "Unicode form: 'Acme' (id 1), 'ACME' (id 2); rename all but one in Toggl, or write "
        "the exact name of one of them"
    ]


@pytest.mark.parametrize("kind", ["client", "tag"])
def test_the_exact_spelling_wins_over_a_case_twin_which_is_named_in_the_plan(kind: str) -> None:
    if kind == "client":
        spec, state = desired([client("Acme")]), live([live_client(1, "Acme"),
                                                      live_client(2, "ACME")])
    else:
        spec, state = desired(tags=[tag("Acme")]), live(tags=[live_tag(1, "Acme"),
                                                              live_tag(2, "ACME")])
    plan = build_plan(spec, state)
    assert plan.changes == ()
    assert [u.live_id for u in plan.unmanaged] == [2]
    assert f"{kind} 'Acme': the workspace also has 'ACME' (id 2)" in plan.warnings[0]


def test_projects_of_client_twins_never_mix() -> None:
    state = live([live_client(1, "Acme"), live_client(2, "ACME")],
                 [live_project(10, "Site", 1), live_project(11, "Site", 2, color="#d92b2b")])
    plan = build_plan(desired([client("ACME")], [project("Site", "ACME", color="#d92b2b")]),
                      state)
    assert plan.changes == ()  # project 11 under client 2 already has that colour


def test_a_previous_name_with_two_case_variants_refuses_the_plan() -> None:
    state = live(tags=[live_tag(1, "Hot"), live_tag(2, "HOT")])
    with pytest.raises(PlanningError) as raised:
        build_plan(desired(tags=[tag("urgent", previous=["hot"])]), state)
    assert "'Hot' (id 1), 'HOT' (id 2)" in raised.value.problems[0]


# ---------------------------------------------------------------- item 3: Unicode forms


@pytest.mark.parametrize("kind", ["client", "project", "tag"])
def test_an_nfd_spec_name_is_the_nfc_live_object(kind: str) -> None:
    spec = {"client": desired([client(NFD_CAFE)]),
            "project": desired(projects=[project(NFD_CAFE)]),
            "tag": desired(tags=[tag(NFD_CAFE)])}[kind]
    state = live([live_client(1, NFC_CAFE)], [live_project(10, NFC_CAFE)],
                 [live_tag(5, NFC_CAFE)])
    plan = build_plan(spec, state)
    assert plan.changes == ()  # no create + delete, and no rename to the same visible name


def test_nfc_and_nfd_spellings_of_one_name_refuse_a_case_only_entry() -> None:
    state = live([live_client(1, NFC_CAFE), live_client(2, NFD_CAFE)])
    with pytest.raises(PlanningError) as raised:
        build_plan(desired([client("CAF\u00c9")]), state)
    assert "(id 1)" in raised.value.problems[0] and "(id 2)" in raised.value.problems[0]


def test_lookalike_live_objects_are_flagged() -> None:
    state = live(tags=[live_tag(1, "invoice"), live_tag(2, "in\u200bvoice"),
                       live_tag(3, "other")])
    plan = build_plan(desired(), state)
    assert plan.warnings == (
        "look-alike tags in the workspace: 'invoice' (id 1, 'invoice'), 'in\\u200bvoice' (id 2, "
        "'in\\u200bvoice'); they are separate objects, matched by exact name only",
    )


def test_an_invisible_character_never_matches_the_visible_name() -> None:
    plan = build_plan(desired(tags=[tag("invoice", delete=True)]),
                      live(tags=[live_tag(2, "in\u200bvoice")]))
    assert plan.changes == ()
    assert "looks alike" in plan.warnings[0]


# ---------------------------------------------------------------- item 5: no silent takeover

GLOBEX, INITECH = live_client(1, "Globex"), live_client(2, "Initech")
SUPPORT = live_project(10, "Support", 1, seconds=36_000)


def test_a_new_project_never_takes_over_an_unmanaged_namesake_under_another_client() -> None:
    plan = build_plan(desired([client("Initech")], [project("Support", "Initech")]),
                      live([GLOBEX, INITECH], [SUPPORT]))
    assert actions(plan) == [("create", "project", "Initech/Support")]
    assert plan.warnings == (
        "project 'Initech/Support' is created; 'Globex/Support' (10.0 h tracked) has the same "
        "name and is not taken over: write move_from: 'Globex/Support' in the entry to move "
        "it instead",
    )


def test_a_previous_name_never_reaches_another_client() -> None:
    plan = build_plan(desired([client("Initech")],
                              [project("Helpdesk", "Initech", previous=["Support"])]),
                      live([GLOBEX, INITECH], [SUPPORT]))
    assert actions(plan) == [("create", "project", "Initech/Helpdesk")]


def test_move_from_moves_with_its_blast_radius_and_says_so() -> None:
    plan = build_plan(desired([client("Initech")],
                              [project("Support", "Initech", move_from="Globex/Support")]),
                      live([GLOBEX, INITECH], [SUPPORT]))
    change = only_change(plan)
    assert (change.action, change.live_id, field_map(change)) == (
        Action.UPDATE, 10, {"client": ("Globex", "Initech")})
    assert change.blast == BlastRadius(36_000, 0)
    assert change.reason == "moved from client 'Globex' (move_from in the spec; 10.0 h tracked)"
    assert removal_counts(plan)["project"] == 1


def test_moves_count_toward_the_thresholds() -> None:
    projects = [live_project(10 + i, f"P{i}", 1) for i in range(20)]
    entries = [project(f"P{i}", "Initech", move_from=f"Globex/P{i}") for i in range(7)]
    plan = build_plan(desired([client("Initech")], entries), live([GLOBEX, INITECH], projects))
    assert check_thresholds(plan, live([GLOBEX, INITECH], projects), SafetyLimits()) == [
        "Too many project removals: 35.0% is over 30% (7 of 20 live projects, 7 of them moves "
        "to another client). Check the plan, then re-run with --force, or raise "
        "safety.max_removal_percent in the spec."
    ]


def test_move_from_a_project_another_entry_manages_is_refused() -> None:
    spec = desired([client("Initech"), client("Globex")],
                   [project("Support", "Initech", move_from="Globex/Support"),
                    project("Support", "Globex")])
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, live([GLOBEX, INITECH], [SUPPORT]))
    assert raised.value.problems == [
        "project 'Initech/Support': move_from 'Globex/Support' is a project another entry of "
        "the spec manages"
    ]


def test_once_moved_the_entry_matches_exactly_and_move_from_is_inert() -> None:
    moved = live_project(10, "Support", 2, seconds=36_000)
    plan = build_plan(desired([client("Initech")],
                              [project("Support", "Initech", move_from="Globex/Support")]),
                      live([GLOBEX, INITECH], [moved]))
    assert (plan.changes, plan.warnings) == ((), ())


# ---------------------------------------------------------------- issue 15 item 12: addresses


def test_a_slash_inside_a_name_is_escaped_so_addresses_differ() -> None:
    assert project_address("Acme", "Ops/Payroll") == "Acme/Ops\\/Payroll"
    assert project_address("Acme/Ops", "Payroll") == "Acme\\/Ops/Payroll"
    assert project_address(None, "a\\b") == "a\\\\b"
    state = live([live_client(1, "Acme"), live_client(2, "Acme/Ops")])
    spec = desired([client("Acme"), client("Acme/Ops")],
                   [project("Ops/Payroll", "Acme"), project("Payroll", "Acme/Ops")])
    addresses = [c.address for c in build_plan(spec, state).changes]
    assert addresses == ["Acme/Ops\\/Payroll", "Acme\\/Ops/Payroll"]


def test_client_and_tag_addresses_escape_too() -> None:
    plan = build_plan(desired([client("A/B")], tags=[tag("x\\y")]), live())
    assert [c.address for c in plan.changes] == ["A\\/B", "x\\\\y"]
    assert [c.name for c in plan.changes] == ["A/B", "x\\y"]  # names stay as they are


def test_move_from_reads_an_escaped_address() -> None:
    state = live([live_client(1, "Acme/Ops"), INITECH], [live_project(10, "Payroll", 1)])
    plan = build_plan(desired([client("Initech")],
                              [project("Payroll", "Initech", move_from="Acme\\/Ops/Payroll")]),
                      state)
    assert only_change(plan).live_id == 10


names = st.text(st.sampled_from("ab/\\*"), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(client_name=st.none() | names, name=names)
def test_addresses_round_trip_and_never_collide(client_name: str | None, name: str) -> None:
    address = project_address(client_name, name)
    assert split_address(address) == (client_name, name)


def test_a_create_next_to_a_managed_lookalike_is_flagged_too() -> None:
    plan = build_plan(desired([client("Stra\u00dfe"), client("STRASSE")]),
                      live([live_client(1, "Stra\u00dfe")]))
    assert actions(plan) == [("create", "client", "STRASSE")]
    assert plan.warnings == (
        "client 'STRASSE' matches no live object: 'Stra\u00dfe' (id 1) looks alike but differs "
        "by more than case or Unicode form, so it is not touched and it is created as a new "
        "object",
    )


def test_move_from_may_name_the_old_client_by_its_new_name_in_the_same_plan() -> None:
    spec = desired([client("Globex Inc", previous=["Globex"]), client("Initech")],
                   [project("Support", "Initech", move_from="Globex Inc/Support")])
    plan = build_plan(spec, live([GLOBEX, INITECH], [SUPPORT]))
    assert actions(plan) == [("rename", "client", "Globex Inc"),
                             ("update", "project", "Initech/Support")]


def test_a_delete_entry_never_follows_move_from() -> None:
    plan = build_plan(desired([client("Initech")],
                              [project("Support", "Initech", move_from="Globex/Support",
                                       delete=True)]),
                      live([GLOBEX, INITECH], [SUPPORT]))
    assert plan.changes == ()
    assert "move_from is ignored on a delete entry" in plan.warnings[0]
