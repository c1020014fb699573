"""`--target` / `--exclude` through the real CLI against the sandbox (issue 13, part 1)."""

from __future__ import annotations

import json
import shlex

from tests.e2e.conftest import Harness

SPEC = """
    clients: [{name: Globex}]
    projects:
      - {name: Website, client: Globex}
      - {name: Intranet}
    tags: [Urgent]
"""


def test_a_targeted_project_pulls_in_the_create_of_its_client(harness: Harness) -> None:
    spec = harness.spec(SPEC)
    plan = harness.cli("plan", spec, "--target", "project:globex/WEB*")
    assert plan.code == 0, plan.output
    assert "This plan is partial (--target project:globex/WEB*): 2 of 4 changes left out" \
        in plan.stdout
    assert 'pulled in: create client "Globex", needed by create project "Globex/Website"' \
        in plan.stdout
    assert "Plan: 2 to create" in plan.stdout
    markdown = harness.cli("plan", spec, "-f", "markdown", "--target", "project:globex/WEB*")
    assert markdown.code == 0 and "> [!NOTE]" in markdown.stdout
    assert "2 of 4 changes left out" in markdown.stdout
    applied = harness.cli("apply", spec, "--auto-approve", "--target", "project:globex/WEB*")
    assert applied.code == 0, applied.output
    assert harness.names("client") == ["Globex"]
    assert harness.names("project") == ["Website"]
    assert harness.names("tag") == []
    rest = harness.cli("plan", spec, "-f", "json")  # the rest is left for the next plan
    assert [c["address"] for c in json.loads(rest.stdout)["changes"]] == ["Intranet", "Urgent"]


def test_an_excluded_client_drops_the_project_that_needs_it(harness: Harness) -> None:
    spec = harness.spec(SPEC)
    applied = harness.cli("apply", spec, "--auto-approve", "--exclude", "client:Globex")
    assert applied.code == 0, applied.output
    assert "2 of 4 changes left out" in applied.stdout
    assert 'dropped: create project "Globex/Website", needs create client "Globex"' \
        in applied.stdout
    assert harness.names("client") == []
    assert harness.names("project") == ["Intranet"]
    assert harness.names("tag") == ["Urgent"]


def test_exclude_wins_over_a_target_that_needs_the_excluded_change(harness: Harness) -> None:
    spec = harness.spec(SPEC)
    plan = harness.cli("plan", spec, "-f", "json", "--target", "project:Globex/Website",
                       "--exclude", "client:Globex")
    assert plan.code == 0, plan.output
    document = json.loads(plan.stdout)
    assert document["changes"] == []
    assert document["targeting"]["left_out"] == 4
    assert [d["address"] for d in document["targeting"]["dropped"]] == ["Globex/Website"]


def test_repeated_targets_and_escaped_slash_addresses(harness: Harness) -> None:
    spec = harness.spec("""
        clients: [{name: "Acme/Ops"}]
        projects: [{name: Payroll, client: "Acme/Ops"}, {name: Intranet}]
        tags: [Urgent, Later]
    """)
    result = harness.cli("apply", spec, "--auto-approve", "--target", r"project:acme\/ops/payroll",
                         "--target", "tag:urgent")
    assert result.code == 0, result.output
    assert harness.names("client") == ["Acme/Ops"]
    assert harness.names("project") == ["Payroll"]
    assert harness.names("tag") == ["Urgent"]


def test_a_pattern_matching_nothing_is_an_error_naming_the_nearest(harness: Harness) -> None:
    spec = harness.spec(SPEC)
    result = harness.cli("plan", spec, "--target", "project:Globex/Webiste")
    assert result.code == 1, result.output
    assert "matches no project; nearest: 'Globex/Website'" in result.stderr
    assert "Traceback" not in result.output
    excluded = harness.cli("apply", spec, "--auto-approve", "--exclude", "tag:Urgnet")
    assert excluded.code == 1 and "'Urgent'" in excluded.stderr
    assert harness.writes() == []


def test_a_pattern_naming_an_unchanged_object_is_no_error(harness: Harness) -> None:
    harness.store.add_tag(harness.wid, "Urgent")
    result = harness.cli("plan", harness.spec(SPEC), "--target", "tag:Urgent",
                         "--detailed-exitcode")
    assert result.code == 0, result.output  # nothing to do for it: no changes
    assert "4 of 4 changes" not in result.stdout and "3 of 3 changes left out" in result.stdout


def test_the_workspace_kinds_are_accepted_and_a_pattern_of_none_is_refused(
        harness: Harness) -> None:
    spec = harness.spec(SPEC)
    result = harness.cli("plan", spec, "--target", "task:Website/*")
    assert result.code == 1
    assert "matches no task" in result.stderr
    bad = harness.cli("plan", spec, "--target", "widget:x")
    assert bad.code == 1 and "unknown kind" in bad.stderr
    malformed = harness.cli("plan", spec, "--target", "Globex")
    assert malformed.code == 1 and "expected KIND:PATTERN" in malformed.stderr


def test_a_partial_saved_plan_applies_only_what_it_shows(harness: Harness) -> None:
    spec = harness.spec(SPEC)
    path = harness.tmp_path / "plan.json"
    saved = harness.cli("plan", spec, "--target", "tag:*", "--out", str(path))
    assert saved.code == 0, saved.output
    document = json.loads(path.read_text())
    assert document["targeting"]["targets"] == ["tag:*"]
    assert document["targeting"]["left_out"] == 3
    applied = harness.cli("apply", "--plan", str(path))
    assert applied.code == 0, applied.output
    assert harness.names("tag") == ["Urgent"]
    assert harness.names("client") == [] and harness.names("project") == []
    again = harness.cli("apply", "--plan", str(path), spec)  # stale now: refused, not re-applied
    assert again.code == 3


def test_a_partial_saved_plan_with_its_spec_notes_the_rest(harness: Harness) -> None:
    spec = harness.spec(SPEC)
    path = harness.tmp_path / "plan.json"
    assert harness.cli("plan", spec, "--exclude", "project:*", "--out", str(path)).code == 0
    applied = harness.cli("apply", "--plan", str(path), spec)
    assert applied.code == 0, applied.output
    assert harness.names("project") == []
    assert harness.names("client") == ["Globex"] and harness.names("tag") == ["Urgent"]


def test_a_client_archive_pulls_in_the_move_that_saves_a_project(harness: Harness) -> None:
    old = harness.store.add_client(harness.wid, "Old")
    harness.store.add_project(harness.wid, "Kept", client_id=old)
    harness.store.add_tag(harness.wid, "Urgent")
    spec = harness.spec("""
        clients: [{name: Old, archived: true}, {name: New}]
        projects: [{name: Kept, client: New, move_from: Old/Kept}]
        tags: [Urgent, Other]
    """)
    plan = harness.cli("plan", spec, "-f", "json", "--target", "client:Old")
    assert plan.code == 0, plan.output
    document = json.loads(plan.stdout)
    assert sorted(c["address"] for c in document["changes"]) == ["New", "New/Kept", "Old"]
    applied = harness.cli("apply", spec, "--auto-approve", "--target", "client:Old")
    assert applied.code == 0, applied.output
    kept = [p for p in harness.store.projects(harness.wid) if p["name"] == "Kept"][0]
    assert kept["active"] is True  # moved out before the archive, not archived with it
    assert harness.names("tag") == ["Urgent"]


def test_quota_refusal_prints_the_targets_that_fit(harness: Harness) -> None:
    spec = harness.spec("tags: [a, b, c, d, e, f]\n")
    harness.sandbox.configure(hourly_quota=6, quota_window_seconds=3600)
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 4, result.output
    assert "To apply what fits now" in result.stderr
    hint = result.stderr.split("add: ", 1)[1].strip()
    args = shlex.split(hint)
    fitting = len(args) // 2
    assert 0 < fitting < 6 and args[0] == "--target"
    harness.sandbox.configure(hourly_quota=None)
    applied = harness.cli("apply", spec, "--auto-approve", *args)
    assert applied.code == 0, applied.output
    assert len(harness.names("tag")) == fitting


def test_selectors_do_not_narrow_a_saved_plan(harness: Harness) -> None:
    spec = harness.spec(SPEC)
    path = harness.tmp_path / "plan.json"
    assert harness.cli("plan", spec, "--out", str(path)).code == 0
    result = harness.cli("apply", "--plan", str(path), "--target", "tag:Urgent")
    assert result.code == 1 and "applies exactly what it shows" in result.stderr
    assert harness.writes() == []


def test_with_several_workspaces_a_selector_need_match_in_one_only(harness: Harness) -> None:
    harness.store.ensure_workspace("Other Co")
    first = harness.spec("tags: [Urgent]\n", name="a.yaml")
    second = harness.spec("tags: [Later]\n", name="b.yaml", workspace="Other Co")
    plan = harness.cli("plan", first, second, "--target", "tag:Later")
    assert plan.code == 0, plan.output
    assert "matches no tag" in plan.stdout  # a warning in the workspace it does not match
    assert "1 of 1 change left out" in plan.stdout and "0 of 1 change left out" in plan.stdout
    typo = harness.cli("plan", first, second, "--target", "tag:Latr")
    assert typo.code == 1, typo.output
    assert "matches nothing in any of the 2 workspaces" in typo.stderr


def test_hostile_live_names_stay_inert_in_the_partial_note_and_errors(harness: Harness) -> None:
    cid = harness.store.add_client(harness.wid, "Evil\x1b[31m\nClient")
    harness.store.add_project(harness.wid, "P", client_id=cid)
    spec = harness.spec("""
        unmanaged: {clients: archive}
        projects: [{name: Q, client: Other}]
        clients: [{name: Other}]
    """)
    plan = harness.cli("plan", spec, "--target", "client:evil*", "--force")
    assert plan.code == 0, plan.output
    assert "\x1b" not in plan.output and "Evil\\u001b[31m\\nClient" in plan.stdout
    typo = harness.cli("plan", spec, "--target", "client:Evl\x1b")
    assert typo.code == 1 and "\x1b" not in typo.output


def test_quota_refusal_of_a_saved_plan_says_how_to_make_one_that_fits(harness: Harness) -> None:
    spec = harness.spec("tags: [a, b, c, d, e, f]\n")
    path = harness.tmp_path / "plan.json"
    assert harness.cli("plan", spec, "--out", str(path)).code == 0
    harness.sandbox.configure(hourly_quota=6, quota_window_seconds=3600)
    result = harness.cli("apply", "--plan", str(path))
    assert result.code == 4, result.output
    assert "make a new plan with `plan SPEC --out FILE` and: --target tag:a" in result.stderr
    assert harness.writes() == []
