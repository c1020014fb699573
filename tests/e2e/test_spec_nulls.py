"""Every nullable spec field converges through the real CLI over HTTP (issue 9, item 9).

`notes: null` used to be planned as a change, never sent, reported as applied, and planned
again forever. null means "none": it clears the live value, and the next plan is empty.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness


def _apply_then_plan_is_empty(harness: Harness, spec: str) -> None:
    applied = harness.cli("apply", spec, "--auto-approve")
    assert applied.code == 0, applied.output
    again = harness.cli("plan", spec, "--detailed-exitcode")
    assert again.code == 0, again.output


def _only(rows: list[dict], name: str) -> dict:
    [row] = [row for row in rows if row["name"] == name]
    return row


@pytest.mark.parametrize("written", ["null", "''", "~"])
def test_notes_null_clears_live_notes_and_converges(harness: Harness, written: str) -> None:
    harness.store.add_client(harness.wid, "Globex", notes="Key account")
    spec = harness.spec(f"clients: [{{name: Globex, notes: {written}}}]\n")
    planned = harness.cli("plan", spec, "--detailed-exitcode")
    assert planned.code == 2, planned.output
    assert "Key account" in planned.stdout  # the plan shows what is cleared
    _apply_then_plan_is_empty(harness, spec)
    assert not _only(harness.store.clients(harness.wid), "Globex")["notes"]


def test_notes_null_on_a_client_without_notes_is_no_change(harness: Harness) -> None:
    harness.store.add_client(harness.wid, "Globex")
    spec = harness.spec("clients: [{name: Globex, notes: null}]\n")
    planned = harness.cli("plan", spec, "--detailed-exitcode")
    assert planned.code == 0, planned.output
    assert harness.writes() == []


def test_a_new_client_with_notes_null_converges(harness: Harness) -> None:
    spec = harness.spec("clients: [{name: Initech, notes: null}]\n")
    _apply_then_plan_is_empty(harness, spec)
    assert harness.names("client") == ["Initech"]


@pytest.mark.parametrize("field, live_value", [
    ("rate", 120.0), ("estimated_hours", 40), ("currency", "EUR"),
])
def test_project_fields_set_to_null_are_cleared_and_converge(
        harness: Harness, field: str, live_value: object) -> None:
    harness.store.add_project(harness.wid, "Website", **{field: live_value})
    spec = harness.spec(f"projects: [{{name: Website, {field}: null}}]\n")
    planned = harness.cli("plan", spec, "--detailed-exitcode")
    assert planned.code == 2, planned.output
    _apply_then_plan_is_empty(harness, spec)
    assert _only(harness.store.projects(harness.wid), "Website")[field] is None


def test_project_client_null_moves_it_out_of_its_client_and_converges(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "Globex")
    harness.store.add_project(harness.wid, "Website", client_id=cid)
    spec = harness.spec("clients: [{name: Globex}]\n"
                        "projects: [{name: Website, client: null, previous_names: []}]\n")
    applied = harness.cli("apply", spec, "--auto-approve")
    # Whatever the planner decides for a project under another client (a move, or a new
    # project), the run must settle: the plan after it is empty.
    assert applied.code == 0, applied.output
    again = harness.cli("plan", spec, "--detailed-exitcode")
    assert again.code == 0, again.output


def test_nulls_in_defaults_converge(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "A", rate=50.0, currency="USD")
    harness.store.add_project(harness.wid, "B", rate=70.0)
    spec = harness.spec("defaults: {project: {rate: null, currency: null}}\n"
                        "projects: [{name: A}, {name: B}]\n")
    _apply_then_plan_is_empty(harness, spec)
    rows = harness.store.projects(harness.wid)
    assert [(row["rate"], row["currency"]) for row in rows] == [(None, None), (None, None)]


def test_nulls_on_a_free_workspace_ask_for_no_paid_feature(harness: Harness) -> None:
    harness.store.set_tier(harness.wid, "free")
    harness.store.add_project(harness.wid, "Website")
    spec = harness.spec("projects: [{name: Website, rate: null, estimated_hours: null, "
                        "currency: null}]\n")
    planned = harness.cli("plan", spec, "--detailed-exitcode")
    assert planned.code == 0, planned.output
