"""Protection never lapses (issue 9 item 1; issue 15 item 12 for patterns).

An object is protected by any address it has, gets, or had as far as the spec knows; a
pattern equal to a name protects it whatever characters it holds; a client pattern protects
the client's projects; and a plan never leaves a protected object where no pattern covers it.
"""

from __future__ import annotations

import pytest

from reconciler.engine.plan import Action
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import protecting_pattern
from reconciler.errors import PlanningError
from reconciler.model import DesiredState, Kind

from .factories import (
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
from .test_planner_property import Simulator

ACME_CORP = live_client(1, "Acme Corp")
ACME_PROJECTS = [live_project(10, "Site", 1), live_project(11, "App", 1),
                 live_project(12, "Ops", 1)]


# ---------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("pattern", "kind", "name", "client_name", "covered"),
    [
        ("[Internal] Ops", "client", "[Internal] Ops", None, True),  # equal: literal
        ("[internal] ops", "client", "[Internal] Ops", None, True),  # ...ignoring case
        ("[Internal] Ops", "client", "Internal Ops", None, False),
        ("[Internal] Ops", "client", "I Ops", None, True),  # still a glob for other names
        ("\\[Internal] Ops/*", "project", "Site", "[Internal] Ops", True),  # escaped set
        ("[Internal] Ops/*", "project", "Site", "[Internal] Ops", False),  # a set: no match
        ("Acme/[Internal] Ops", "project", "[Internal] Ops", "Acme", True),  # equal address
        ("Acme/*", "project", "Ops/Payroll", "Acme", True),
        ("Acme/*", "project", "Payroll", "Acme/Ops", False),  # `/` in the client's name
        ("Acme\\/Ops/*", "project", "Payroll", "Acme/Ops", True),
        ("Acme/Ops\\/*", "project", "Ops/Payroll", "Acme", True),
        ("Acme/Ops\\/*", "project", "Payroll", "Acme/Ops", False),
        ("Ops/Payroll", "project", "Ops/Payroll", None, True),  # equal to the name
        ("Pay\\*", "tag", "Pay*", None, True),
        ("Pay\\*", "tag", "Payroll", None, False),
        ("Globex/*", "project", "Site", "Globex", True),  # existing patterns keep meaning
        ("Glob*", "client", "Globex", None, True),
        ("Acme", "project", "Site", "Acme", True),  # via protected.clients below
    ],
)
def test_patterns(pattern: str, kind: Kind, name: str, client_name: str | None,
                  covered: bool) -> None:
    section: Kind = "client" if (pattern, kind) == ("Acme", "project") else kind
    spec = desired(protected={section: (pattern,)})
    assert (protecting_pattern(spec, kind, name, client_name) is not None) is covered


def test_a_name_with_glob_characters_is_protected_by_itself() -> None:
    spec = desired(unmanaged={"client": "delete"}, protected={"client": ("[Internal] Ops",)})
    plan = build_plan(spec, live([live_client(1, "[Internal] Ops"),
                                  live_client(2, "Internal Ops")]))
    assert actions(plan) == [("delete", "client", "Internal Ops")]


# ---------------------------------------------------------------- (a) client deletes


@pytest.mark.parametrize("how", ["unmanaged", "explicit"])
def test_deleting_a_client_never_strips_its_projects_of_protection(how: str) -> None:
    entries = [client("Acme Corp", delete=True)] if how == "explicit" else []
    spec = desired(entries, unmanaged={"client": "delete", "project": "delete"},
                   protected={"project": ("Acme Corp/*",)})
    state = live([ACME_CORP], ACME_PROJECTS)
    plan = build_plan(spec, state)
    assert plan.changes == ()
    assert plan.warnings[0] == (
        "client 'Acme Corp' is not deleted: its project 'Acme Corp/Site' is protected by "
        "'Acme Corp/*', which would no longer cover it once it has no client; protect the "
        "project by its own name to allow the delete"
    )
    # And the next plan keeps them too: nothing lapsed.
    after = Simulator.of(state).apply(plan)
    assert build_plan(spec, after).changes == ()


def test_a_client_delete_goes_ahead_when_its_projects_stay_protected_by_name() -> None:
    spec = desired(unmanaged={"client": "delete", "project": "delete"},
                   protected={"project": ("Site", "App", "Ops")})
    state = live([ACME_CORP], ACME_PROJECTS)
    plan = build_plan(spec, state)
    assert actions(plan) == [("delete", "client", "Acme Corp")]
    after = Simulator.of(state).apply(plan)
    assert build_plan(spec, after).changes == ()
    assert len(after.projects) == 3


# ---------------------------------------------------------------- (b) renames


def test_a_client_rename_that_would_unprotect_its_projects_is_refused() -> None:
    spec = desired([client("Acme Inc", previous=["Acme Corp"])], unmanaged={"project": "delete"},
                   protected={"project": ("Acme Corp/*",)})
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, live([ACME_CORP], ACME_PROJECTS[:1]))
    assert raised.value.problems == [
        "project 'Acme Corp/Site' is protected by 'Acme Corp/*', but after this plan it would "
        "be 'Acme Inc/Site', which no pattern covers, and could then be archived or deleted: "
        "add 'Acme Inc/Site' to protected.projects in the same change (or remove its "
        "protection first, in a change of its own)"
    ]


def test_a_client_rename_with_both_addresses_protected_keeps_the_projects() -> None:
    spec = desired([client("Acme Inc", previous=["Acme Corp"])], unmanaged={"project": "delete"},
                   protected={"project": ("Acme Corp/*", "Acme Inc/*")})
    state = live([ACME_CORP], ACME_PROJECTS)
    plan = build_plan(spec, state)
    assert actions(plan) == [("rename", "client", "Acme Inc")]
    assert build_plan(spec, Simulator.of(state).apply(plan)).changes == ()


def test_an_unmanaged_delete_checks_the_old_address_of_a_renamed_client() -> None:
    # Protected under the old address only: checked there too, so never deleted; the
    # plan is refused instead, since the rename would leave it uncovered.
    spec = desired([client("Acme Inc", previous=["Acme Corp"])], unmanaged={"project": "delete"},
                   protected={"project": ("Acme Corp/Site",)})
    with pytest.raises(PlanningError):
        build_plan(spec, live([ACME_CORP], ACME_PROJECTS[:1]))


def test_a_project_is_protected_by_its_clients_previous_name() -> None:
    # Renamed already (an earlier plan): the spec still lists the old name, so the old
    # address still protects it from the unmanaged delete.
    spec = desired([client("Acme Inc", previous=["Acme Corp"])], unmanaged={"project": "delete"},
                   protected={"project": ("Acme Corp/*",)})
    plan = build_plan(spec, live([live_client(1, "Acme Inc")], ACME_PROJECTS[:1]))
    assert plan.changes == ()
    assert "protected by 'Acme Corp/*': not deleted" in plan.warnings[0]


@pytest.mark.parametrize(
    ("spec", "state", "start"),
    [
        pytest.param(desired(projects=[project("Payroll 2024", previous=["Payroll"])],
                             protected={"project": ("Payroll",)}),
                     live(projects=[live_project(10, "Payroll")]),
                     "project 'Payroll' is protected by 'Payroll', but after this plan it "
                     "would be 'Payroll 2024'", id="project-rename"),
        pytest.param(desired([client("Other")],
                             [project("Site", "Other", move_from="Acme Corp/Site")],
                             protected={"client": ("Acme Corp",)}),
                     live([ACME_CORP, live_client(2, "Other")], ACME_PROJECTS[:1]),
                     "project 'Acme Corp/Site' is protected by 'Acme Corp' (protected.clients: "
                     "its client is protected), but after this plan it would be 'Other/Site'",
                     id="move-out-of-a-protected-client"),
        pytest.param(desired([client("Big", previous=["Acme Corp"])],
                             protected={"client": ("Acme*",)}),
                     live([ACME_CORP]),
                     "client 'Acme Corp' is protected by 'Acme*', but after this plan it would "
                     "be 'Big'", id="client-rename"),
        pytest.param(desired(tags=[tag("paid", previous=["billed"])],
                             protected={"tag": ("billed",)}),
                     live(tags=[live_tag(5, "billed")]),
                     "tag 'billed' is protected by 'billed', but after this plan it would be "
                     "'paid'", id="tag-rename"),
    ],
)
def test_a_plan_never_leaves_a_protected_object_uncovered(
    spec: DesiredState, state: object, start: str
) -> None:
    with pytest.raises(PlanningError) as raised:
        build_plan(spec, state)  # type: ignore[arg-type]
    assert raised.value.problems[0].startswith(start), raised.value.problems


def test_a_case_only_rename_stays_protected() -> None:
    spec = desired([client("ACME CORP")], protected={"client": ("Acme Corp",)})
    assert actions(build_plan(spec, live([ACME_CORP]))) == [("rename", "client", "ACME CORP")]


# ---------------------------------------------------------------- a client protects its projects


@pytest.mark.parametrize("policy", ["archive", "delete"])
def test_a_protected_client_protects_its_projects(policy: str) -> None:
    spec = desired(unmanaged={"project": policy}, protected={"client": ("Acme Corp",)})
    state = live([ACME_CORP, live_client(2, "Other")],
                 [live_project(10, "Site", 1), live_project(20, "Site", 2)])
    plan = build_plan(spec, state)
    assert [(c.action.value, c.live_id) for c in plan.changes] == [(policy, 20)]
    assert plan.warnings[0] == (
        f"project 'Acme Corp/Site' is protected by 'Acme Corp' (protected.clients: its client "
        f"is protected): not {policy}d"
    )


def test_an_explicit_project_delete_under_a_protected_client_is_dropped() -> None:
    spec = desired(projects=[project("Site", "Acme Corp", delete=True)],
                   protected={"client": ("Acme*",)})
    plan = build_plan(spec, live([ACME_CORP], ACME_PROJECTS[:1]))
    assert plan.changes == ()
    assert not any(c.action is Action.DELETE for c in plan.changes)
