"""Billing changes: flagged in the JSON plan, their own section, and the gate (issue 13, part 3)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import Harness

GATED = "    safety: {billing_changes: require-flag}\n"


def seed(harness: Harness) -> None:
    acme = harness.store.add_client(harness.wid, "Acme")
    harness.store.add_client(harness.wid, "Globex")
    harness.store.add_project(harness.wid, "Website", client_id=acme, billable=True, rate=100)
    harness.store.add_project(harness.wid, "Mover", client_id=acme)
    doomed = harness.store.add_project(harness.wid, "Doomed")
    harness.store.add_time_entry(harness.wid, doomed, 3600)
    harness.store.add_project(harness.wid, "Painted", client_id=acme)


BODY = """
    clients: [{name: Acme}, {name: Globex}]
    projects:
      - {name: Website, client: Acme, billable: true, rate: 120}
      - {name: Mover, client: Globex, move_from: Acme/Mover}
      - {name: Doomed, delete: true, delete_time_entries: true}
      - {name: Painted, client: Acme, color: "#9e5bd9"}
    tags: [Urgent]
"""


def billing_by_address(document: dict) -> dict[str, bool]:
    return {change["address"]: change["billing"] for change in document["changes"]}


def test_every_change_in_the_json_plan_says_whether_it_moves_money(harness: Harness) -> None:
    seed(harness)
    plan = harness.cli("plan", harness.spec(BODY), "-f", "json", "--force")
    assert plan.code == 0, plan.output
    document = json.loads(plan.stdout)
    assert billing_by_address(document) == {
        "Acme/Website": True,  # rate 100 -> 120
        "Globex/Mover": True,  # moved to another client
        "Doomed": True,  # deletes its tracked time
        "Acme/Painted": False,  # a colour moves no money
        "Urgent": False,
    }
    assert document["billing"] == {"changes": 3, "policy": "allow"}


def test_a_project_delete_that_keeps_its_time_is_no_billing_change(harness: Harness) -> None:
    doomed = harness.store.add_project(harness.wid, "Doomed")
    harness.store.add_time_entry(harness.wid, doomed, 3600)
    plan = harness.cli("plan", harness.spec("projects: [{name: Doomed, delete: true}]\n"),
                       "-f", "json")
    assert plan.code == 0, plan.output
    assert [c["billing"] for c in json.loads(plan.stdout)["changes"]] == [False]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_billing_changes_have_their_own_section(harness: Harness, fmt: str) -> None:
    seed(harness)
    plan = harness.cli("plan", harness.spec(BODY), "-f", fmt, "--force")
    assert plan.code == 0, plan.output
    assert "Billing changes" in plan.stdout and "(3)" in plan.stdout
    section = plan.stdout.split("Billing changes", 1)[1].split("\n\n", 1)[0]
    assert "Website" in section and "Mover" in section and "Doomed" in section
    assert "Painted" not in section and "Urgent" not in section
    assert "120" in section


def test_the_text_plan_has_no_billing_section_without_billing_changes(harness: Harness) -> None:
    plan = harness.cli("plan", harness.spec("tags: [Urgent]\n"))
    assert plan.code == 0 and "Billing changes" not in plan.stdout


def test_the_gate_refuses_billing_changes_without_the_flag(harness: Harness) -> None:
    seed(harness)
    spec = harness.spec(BODY + GATED)
    refused = harness.cli("apply", spec, "--auto-approve", "--force")
    assert refused.code == 3, refused.output
    assert "3 billing changes" in refused.stderr
    assert "update project 'Acme/Website' (rate)" in refused.stderr
    assert "delete project 'Doomed' (deletes its tracked time)" in refused.stderr
    assert "--allow-billing-changes" in refused.stderr
    assert harness.writes() == []
    applied = harness.cli("apply", spec, "--auto-approve", "--force", "--allow-billing-changes")
    assert applied.code == 0, applied.output
    rates = {p["name"]: p.get("rate") for p in harness.store.projects(harness.wid)}
    assert rates["Website"] == 120 and "Doomed" not in rates


def test_the_gate_lets_through_a_plan_without_billing_changes(harness: Harness) -> None:
    result = harness.cli("apply", harness.spec("    tags: [Urgent]\n" + GATED), "--auto-approve")
    assert result.code == 0, result.output
    assert harness.names("tag") == ["Urgent"]


def test_excluding_the_billing_changes_gets_past_the_gate(harness: Harness) -> None:
    seed(harness)
    spec = harness.spec(BODY + GATED)
    result = harness.cli("apply", spec, "--auto-approve", "--exclude", "project:*")
    assert result.code == 0, result.output
    assert harness.names("tag") == ["Urgent"]


def test_the_default_policy_allows_billing_changes(harness: Harness) -> None:
    seed(harness)
    result = harness.cli("apply", harness.spec(BODY), "--auto-approve", "--force")
    assert result.code == 0, result.output


def test_a_saved_plan_records_its_billing_changes_and_is_gated_too(harness: Harness) -> None:
    seed(harness)
    spec = harness.spec(BODY + GATED)
    path = harness.tmp_path / "plan.json"
    saved = harness.cli("plan", spec, "--force", "--out", str(path))
    assert saved.code == 0, saved.output
    document = json.loads(path.read_text())
    assert document["billing"] == {"changes": 3, "policy": "require-flag"}
    refused = harness.cli("apply", "--plan", str(path))
    assert refused.code == 3, refused.output
    assert "billing change" in refused.stderr and harness.writes() == []
    applied = harness.cli("apply", "--plan", str(path), "--allow-billing-changes")
    assert applied.code == 0, applied.output
    assert "Doomed" not in harness.names("project")


def test_a_spec_given_with_a_saved_plan_gates_it_too(harness: Harness) -> None:
    seed(harness)
    path = harness.tmp_path / "plan.json"
    assert harness.cli("plan", harness.spec(BODY), "--force", "--out", str(path)).code == 0
    gated = harness.spec(BODY + GATED, name="gated.yaml")
    refused = harness.cli("apply", "--plan", str(path), gated)
    assert refused.code == 3, refused.output
    assert harness.writes() == []


def test_an_edited_billing_record_breaks_the_signature(harness: Harness) -> None:
    seed(harness)
    path = harness.tmp_path / "plan.json"
    assert harness.cli("plan", harness.spec(BODY + GATED), "--force", "--out", str(path)).code == 0
    document = json.loads(path.read_text())
    document["billing"]["policy"] = "allow"
    path.write_text(json.dumps(document))
    result = harness.cli("apply", "--plan", str(path))
    assert result.code == 1 and "signature" in result.stderr
    assert harness.writes() == []


def test_an_unknown_policy_is_a_spec_error(harness: Harness) -> None:
    result = harness.cli("plan", harness.spec("tags: [a]\nsafety: {billing_changes: ask}\n"))
    assert result.code == 1
    assert "billing_changes" in result.stderr and "spec.yaml" in result.stderr
    assert harness.reads() == []


def test_a_reviewed_apply_is_gated_too(harness: Harness) -> None:
    seed(harness)
    spec = harness.spec(BODY + GATED)
    path = harness.tmp_path / "reviewed.json"
    assert harness.cli("plan", spec, "--force", "--out", str(path)).code == 0
    refused = harness.cli("apply", spec, "--force", "--reviewed-plan", str(path))
    assert refused.code == 3, refused.output
    assert "billing change" in refused.stderr and harness.writes() == []
    applied = harness.cli("apply", spec, "--force", "--reviewed-plan", str(path),
                          "--allow-billing-changes")
    assert applied.code == 0, applied.output
