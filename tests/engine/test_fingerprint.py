"""Fingerprints of what a change depends on: recorded from the live state, each drift named."""

from __future__ import annotations

from dataclasses import replace

from reconciler.engine.fingerprint import dependency_problems, fingerprint_plan
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import LiveClient, LiveProject, LiveState


def live(*projects: LiveProject, clients: tuple[LiveClient, ...] = (LiveClient(1, "Acme"),)) -> LiveState:
    return LiveState(workspace_id=9, clients=clients, projects=projects)


ARCHIVE_ACME = Change(Action.ARCHIVE, "client", "Acme", "Acme", live_id=1,
                      fields=(FieldChange("archived", False, True),))
CREATE_SITE = Change(Action.CREATE, "project", "Acme/Site", "Site", client="Acme")
DELETE_OLD = Change(Action.DELETE, "project", "Old", "Old", live_id=5,
                    options={"te_deletion_mode": "delete"})


def test_a_client_removal_records_the_projects_it_takes_along() -> None:
    before = live(LiveProject(3, "A", client_id=1), LiveProject(4, "B", client_id=2))
    [change] = fingerprint_plan(Plan(9, changes=(ARCHIVE_ACME,)), before).changes
    assert change.fingerprint == {"projects": [[3, True]]}
    plan = Plan(9, changes=(change,))
    assert dependency_problems(plan, before) == []
    moved = live(LiveProject(3, "A", client_id=1), LiveProject(4, "B", client_id=1))
    assert dependency_problems(plan, moved) == [
        "client 'Acme' would now archive 2 project(s) along with it, not the 1 the plan showed: "
        "projects moved under it (or left it) since the plan"]
    archived_meanwhile = live(LiveProject(3, "A", client_id=1, active=False))
    assert dependency_problems(plan, archived_meanwhile)


def test_a_create_records_its_client_and_notices_it_gone_or_replaced() -> None:
    plan = fingerprint_plan(Plan(9, changes=(CREATE_SITE,)), live())
    assert plan.changes[0].fingerprint == {"client_id": 1}
    assert dependency_problems(plan, live(clients=())) == [
        "project 'Acme/Site' needs client 'Acme', which no longer exists"]
    replaced = live(clients=(LiveClient(2, "Acme"),))
    assert "now another client (id 2" in dependency_problems(plan, replaced)[0]


def test_a_create_under_a_client_the_plan_creates_depends_on_no_live_client() -> None:
    create_client = Change(Action.CREATE, "client", "Acme", "Acme")
    plan = fingerprint_plan(Plan(9, changes=(create_client, CREATE_SITE)), live(clients=()))
    assert plan.changes[1].fingerprint == {"client_id": None}
    assert dependency_problems(plan, live(clients=())) == []


def test_a_project_delete_records_its_tracked_time() -> None:
    before = live(LiveProject(5, "Old", actual_seconds=3600))
    plan = fingerprint_plan(Plan(9, changes=(DELETE_OLD,)), before)
    assert plan.changes[0].fingerprint == {"tracked_seconds": 3600}
    tracked_more = live(LiveProject(5, "Old", actual_seconds=7200))
    assert dependency_problems(plan, tracked_more) == [
        "project 'Old' has 2.00 h tracked now, the plan showed 1.00 h"]


def test_changes_without_dependencies_carry_no_fingerprint() -> None:
    tag = Change(Action.CREATE, "tag", "t", "t")
    assert fingerprint_plan(Plan(9, changes=(tag,)), live()).changes[0] == tag
    assert replace(tag).fingerprint == {}
