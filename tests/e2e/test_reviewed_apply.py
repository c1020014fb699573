"""`apply SPEC --reviewed-plan FILE...` through the CLI against the sandbox: two pull requests
planned against the same main and merged back to back, applied in either order."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import WORKSPACE, Harness

BASE = "clients: [{name: Acme}]\ntags: [alpha]\n"
PR_A = "clients: [{name: Acme}, {name: Globex}]\ntags: [alpha]\n"  # A adds a client
PR_B = "clients: [{name: Acme}]\ntags: [alpha, beta]\nprojects: [{name: Site, client: Acme}]\n"
BOTH = "clients: [{name: Acme}, {name: Globex}]\ntags: [alpha, beta]\nprojects: [{name: Site, client: Acme}]\n"


def _reviewed_plans(harness: Harness) -> tuple[str, str]:
    """Main is applied; both pull requests are planned against it, as their CI runs would."""
    assert harness.cli("apply", harness.spec(BASE, "base.yaml"), "--auto-approve").code == 0
    plans = []
    for name, body in (("a", PR_A), ("b", PR_B)):
        out = str(harness.tmp_path / f"plan-{name}.json")
        result = harness.cli("plan", harness.spec(body, f"pr-{name}.yaml"), "--out", out)
        assert result.code == 0, result.output
        plans.append(out)
    return plans[0], plans[1]


def _state(harness: Harness) -> tuple[list[str], list[str], list[str]]:
    return harness.names("client"), harness.names("tag"), harness.names("project")


def test_merged_in_order_both_apply(harness: Harness) -> None:
    plan_a, plan_b = _reviewed_plans(harness)
    first = harness.cli("apply", harness.spec(PR_A, "main-a.yaml"), "--reviewed-plan", plan_a)
    assert first.code == 0, first.output
    # The second merge's run: main holds both changes and A is applied; main's re-plan shows
    # only what B's reviewed plan showed.
    main = harness.spec(BOTH, "main-ab.yaml")
    second = harness.cli("apply", main, "--reviewed-plan", plan_b)
    assert second.code == 0, second.output
    assert _state(harness) == (["Acme", "Globex"], ["alpha", "beta"], ["Site"])
    assert harness.cli("plan", main, "--detailed-exitcode").code == 0


def test_the_later_merge_first_stops_and_its_one_suggested_action_works(harness: Harness) -> None:
    plan_a, plan_b = _reviewed_plans(harness)
    main = harness.spec(BOTH, "main-ab.yaml")
    new_plan = str(harness.tmp_path / "new-plan.json")
    markdown = harness.tmp_path / "new-plan.md"
    writes_before = len(harness.writes())
    stopped = harness.cli("apply", main, "--reviewed-plan", plan_b, "--plan-out", new_plan,
                          "--markdown-out", str(markdown))
    assert stopped.code == 3, stopped.output
    assert len(harness.writes()) == writes_before  # nothing written
    assert 'client "Globex"' in stopped.stderr and "not shown in the 1 reviewed plan" in stopped.stderr
    assert "Nothing was applied" in stopped.stderr
    assert json.loads(Path(new_plan).read_text())["summary"]["total"] == 3
    assert "Globex" in markdown.read_text()
    # The earlier merge's run now applies its own reviewed change.
    first = harness.cli("apply", harness.spec(PR_A, "main-a.yaml"), "--reviewed-plan", plan_a)
    assert first.code == 0, first.output
    # The suggested action, literally: apply main with the posted new plan as the reviewed one.
    followed = harness.cli("apply", main, "--reviewed-plan", new_plan)
    assert followed.code == 0, followed.output
    assert _state(harness) == (["Acme", "Globex"], ["alpha", "beta"], ["Site"])


def test_a_change_made_live_after_the_review_is_not_applied_unseen(harness: Harness) -> None:
    harness.store.add_client(harness.wid, "Acme", notes="old")
    spec = harness.spec("clients: [{name: Acme, notes: new}]\n", "notes.yaml")
    reviewed = str(harness.tmp_path / "reviewed.json")
    assert harness.cli("plan", spec, "--out", reviewed).code == 0
    by_hand = harness.spec("clients: [{name: Acme, notes: edited by hand}]\n", "by-hand.yaml")
    assert harness.cli("apply", by_hand, "--auto-approve").code == 0
    result = harness.cli("apply", spec, "--reviewed-plan", reviewed)
    assert result.code == 3 and "other values for notes" in result.stderr, result.output
    [row] = harness.store.clients(harness.wid)
    assert row["notes"] == "edited by hand"


def test_reviewed_plan_flags_are_checked_before_any_request(harness: Harness) -> None:
    spec = harness.spec(BASE)
    both = harness.cli("apply", spec, "--plan", "x.json", "--reviewed-plan", "y.json")
    assert both.code == 1 and "one or the other" in both.stderr
    missing = harness.cli("apply", spec, "--reviewed-plan", str(harness.tmp_path / "nope.json"))
    assert missing.code == 1 and "no such plan file" in missing.stderr
    stray = harness.cli("apply", spec, "--plan-out", "p.json", "--auto-approve")
    assert stray.code == 1 and "--reviewed-plan" in stray.stderr
    assert harness.sandbox.requests == [] or not harness.writes()


def test_a_refused_new_plan_is_not_saved_but_its_markdown_is(harness: Harness) -> None:
    for index in range(12):
        harness.store.add_tag(harness.wid, f"t{index}")
    spec = harness.spec("unmanaged: {tags: delete}\ntags: [keep]\n")
    reviewed = str(harness.tmp_path / "r.json")
    assert harness.cli("plan", spec, "--out", reviewed, "--force").code == 0
    new_plan, markdown = harness.tmp_path / "n.json", harness.tmp_path / "n.md"
    result = harness.cli("apply", spec, "--reviewed-plan", reviewed, "--plan-out", str(new_plan),
                         "--markdown-out", str(markdown))
    assert result.code == 3 and "safety thresholds" in result.stderr
    assert not new_plan.exists() and markdown.read_text().strip()
    assert len(harness.names("tag")) == 12
    assert WORKSPACE


def test_an_edited_reviewed_plan_is_refused(harness: Harness) -> None:
    spec = harness.spec(BASE)
    reviewed = harness.tmp_path / "r.json"
    assert harness.cli("plan", spec, "--out", str(reviewed)).code == 0
    document = json.loads(reviewed.read_text())
    document["changes"][0]["name"] = "something else"
    reviewed.write_text(json.dumps(document))
    result = harness.cli("apply", spec, "--reviewed-plan", str(reviewed))
    assert result.code == 1 and "edited" in result.stderr
    assert not harness.writes()
