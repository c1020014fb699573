"""The example workflow and the action, run job by job against the sandbox and a local GitHub
stand-in: the sticky comment, a refused plan, apply after merge, two merges racing in both
orders, a cancelled pending apply, forged artifacts, drift, and where the secrets go."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.workflows.conftest import BASE, TOKEN, World, suggested_run_id
from tests.workflows.github_stub import AUTHOR, BOT

ADD_SITE = BASE + "projects: [{name: Site, client: Acme}]\n"
ADD_BETA = "clients: [{name: Acme}]\ntags: [alpha, beta]\n"
BOTH = "clients: [{name: Acme}]\ntags: [alpha, beta]\nprojects: [{name: Site, client: Acme}]\n"
MARKER = "<!-- toggl-reconciler sticky: toggl-reconciler-plan -->"


def sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


def _state(world: World) -> tuple[list[str], list[str]]:
    return world.names("tag"), world.names("project")


# ---------------------------------------------------------------------------- pull requests


def test_a_plan_posts_one_comment_and_a_second_push_updates_it(world: World) -> None:
    run, result = world.plan(1, sha("pr1-a"), ADD_SITE)
    assert result.success
    assert result.outputs["exit_code"] == "2" and result.outputs["has_changes"] == "true"
    assert result.outputs["plan_path"].endswith("plan.json")
    [comment] = world.bot_comments(1)
    assert comment["body"].startswith(MARKER) and "Site" in comment["body"]
    assert sha("pr1-a")[:12] in comment["body"] and "changes to review" in comment["body"]
    [artifact] = [a for a in world.stub.state.artifacts.values() if a["run_id"] == run["id"]]
    assert artifact["name"] == "toggl-plan"
    assert "Acme Agency" in result.outputs["__summary__"]

    _, second = world.plan(1, sha("pr1-b"), BOTH)
    [updated] = world.bot_comments(1)
    assert updated["id"] == comment["id"] and "beta" in updated["body"]
    assert sha("pr1-b")[:12] in updated["body"]
    assert second.outputs["exit_code"] == "2"
    assert world.names("tag") == ["alpha"]  # a plan never writes


def test_a_plan_without_changes_says_so_and_passes(world: World) -> None:
    _, result = world.plan(1, sha("pr1"), BASE)
    assert result.success and result.outputs["exit_code"] == "0"
    assert result.outputs["has_changes"] == "false"
    [comment] = world.bot_comments(1)
    assert "no changes" in comment["body"]


def test_an_authors_comment_with_the_marker_is_never_taken_over(world: World) -> None:
    fake = world.stub.add_comment(1, MARKER + "\n### Plan: no changes", AUTHOR)
    world.plan(1, sha("pr1"), ADD_SITE)
    world.plan(1, sha("pr1-again"), ADD_SITE)
    assert world.stub.comments(1)[0] == fake  # untouched
    [ours] = world.bot_comments(1)
    assert "Site" in ours["body"]


def test_an_older_copy_of_the_sticky_comment_is_marked_outdated(world: World) -> None:
    old = world.stub.add_comment(1, MARKER + "\nold plan", BOT)
    newer = world.stub.add_comment(1, MARKER + "\nnewer plan", BOT)
    world.plan(1, sha("pr1"), ADD_SITE)
    bodies = {c["id"]: c["body"] for c in world.stub.comments(1)}
    assert "Site" in bodies[newer["id"]]
    assert bodies[old["id"]].startswith("_Outdated") and MARKER not in bodies[old["id"]]
    assert world.stub.state.minimized == [old["node_id"]]


def test_a_plan_refused_by_the_thresholds_is_posted_with_numbers_and_remedy(world: World) -> None:
    for index in range(12):
        world.sandbox.store.add_tag(world.wid, f"old-{index}")
    run, result = world.plan(1, sha("pr1"), BASE + "unmanaged: {tags: delete}\n")
    assert not result.success and result.outputs["exit_code"] == "3"
    assert result.outputs["plan_path"] == ""
    [comment] = world.bot_comments(1)
    body = comment["body"]
    assert "Refused for safety" in body and "12" in body and "--force" in body
    assert "max_removal" in body
    assert not [a for a in world.stub.state.artifacts.values() if a["run_id"] == run["id"]]
    assert len(world.names("tag")) == 13


def test_a_bad_spec_is_posted_with_its_file_and_line(world: World) -> None:
    _, result = world.plan(1, sha("pr1"), "tags: [{name: 5}]\n")
    assert not result.success and result.outputs["exit_code"] == "1"
    [comment] = world.bot_comments(1)
    assert "failed (exit 1)" in comment["body"] and "workspace.yaml:3" in comment["body"]


# ---------------------------------------------------------------------------- after the merge


def test_a_merge_applies_the_reviewed_change_and_reports_on_the_pull_request(world: World) -> None:
    world.plan(1, sha("pr1"), ADD_SITE)
    world.merge(1, sha("merge1"), ADD_SITE)
    _, result = world.push(sha("merge1"), "m0")
    assert result.success, [s.stderr for s in result.steps]
    assert world.names("project") == ["Site"]
    [apply_comment] = [c for c in world.bot_comments(1) if "sticky: toggl-reconciler-apply" in c["body"]]
    assert "Applied" in apply_comment["body"]
    _, drift = world.drift()
    assert drift.success and drift.outputs["exit_code"] == "0"


def test_two_merges_in_a_row_both_apply(world: World) -> None:
    world.plan(1, sha("pr1"), ADD_SITE)
    world.plan(2, sha("pr2"), ADD_BETA)
    world.merge(1, sha("merge1"), ADD_SITE)
    world.merge(2, sha("merge2"), BOTH)  # ten seconds later: main holds both changes
    _, first = world.push(sha("merge1"), "m0")
    _, second = world.push(sha("merge2"), sha("merge1"))
    assert first.success and second.success, [s.stderr for s in second.steps]
    assert _state(world) == (["alpha", "beta"], ["Site"])
    assert world.drift()[1].success


def test_two_merges_whose_runs_start_in_the_other_order(world: World) -> None:
    world.plan(1, sha("pr1"), ADD_SITE)
    world.plan(2, sha("pr2"), ADD_BETA)
    world.merge(1, sha("merge1"), ADD_SITE)
    world.merge(2, sha("merge2"), BOTH)
    stopped_run, stopped = world.push(sha("merge2"), sha("merge1"))
    assert not stopped.success and stopped.outputs["exit_code"] == "3"
    assert _state(world) == (["alpha"], [])  # nothing applied
    [comment] = [c for c in world.bot_comments(2) if "toggl-reconciler-apply" in c["body"]]
    assert "Site" in comment["body"] and "not shown in the 1 reviewed plan" in comment["body"]
    assert comment["body"].count("Next step") == 1
    run_id = suggested_run_id(comment["body"])
    assert run_id == str(stopped_run["id"])
    _, first = world.push(sha("merge1"), "m0")
    assert first.success and world.names("project") == ["Site"]
    _, followed = world.dispatch(run_id)  # the one suggested action, literally
    assert followed.success, [s.stderr for s in followed.steps]
    assert _state(world) == (["alpha", "beta"], ["Site"])


def test_a_pending_apply_cancelled_by_a_newer_merge_is_covered_by_the_next_run(world: World) -> None:
    world.plan(1, sha("pr1"), ADD_SITE)
    world.plan(2, sha("pr2"), ADD_BETA)
    world.plan(3, sha("pr3"), "clients: [{name: Acme}]\ntags: [alpha, gamma]\n")
    world.merge(1, sha("merge1"), ADD_SITE)
    world.merge(2, sha("merge2"), BOTH)
    world.merge(3, sha("merge3"), BOTH.replace("beta]", "beta, gamma]"))
    assert world.push(sha("merge1"), "m0")[1].success
    # merge2's run was pending and GitHub cancelled it when merge3's run queued.
    _, third = world.push(sha("merge3"), sha("merge2"))
    assert third.success, [s.stderr for s in third.steps]
    assert _state(world) == (["alpha", "beta", "gamma"], ["Site"])


def test_unreviewed_changes_on_main_are_not_applied(world: World) -> None:
    world.commits[sha("direct")] = {"toggl/workspace.yaml": world.commits["m0"]["toggl/workspace.yaml"]
                                    + "projects: [{name: Sneaky, client: Acme}]\n"}
    world.stub.state.main.append(sha("direct"))  # pushed to main without a pull request
    _, result = world.push(sha("direct"), "m0")
    assert not result.success and result.outputs["exit_code"] == "3"
    assert world.names("project") == []
    assert "no reviewed plan was found" in result.steps[3].stderr
    assert "apply it with" not in result.steps[3].stderr
    summary = result.outputs["__summary__"]
    assert summary.count("Next step") == 1 and "-f reviewed_run=" in summary and "Sneaky" in summary


def test_the_plan_is_found_by_head_commit_in_this_repository_only(world: World) -> None:
    _, legit = world.plan(1, sha("pr1"), ADD_SITE)
    forged_plan = json.loads(open(legit.outputs["plan_path"]).read())
    forged_plan["changes"] = []  # any content: what matters is that it is never read
    # A fork's run of the same head commit, a same-named branch's run of another commit, and an
    # extra file in an artifact: none of them may reach the apply.
    fork_run = world.stub.start_run(event="pull_request", head_sha=sha("pr1"),
                                    head_branch="feature-1", head_repo="mallory/toggl-config")
    world.stub.finish_run(fork_run, True)
    world.stub.upload(fork_run["id"], "toggl-plan",
                      {"plan.json": json.dumps({"evil": True}).encode()})
    other = world.stub.start_run(event="pull_request", head_sha=sha("other"), head_branch="feature-1")
    world.stub.finish_run(other, True)
    world.stub.upload(other["id"], "toggl-plan", {"plan.json": b"{}", "toggl/zz.yaml": b"x: 1"})
    world.merge(1, sha("merge1"), ADD_SITE)
    _, result = world.push(sha("merge1"), "m0")
    assert result.success
    assert world.names("project") == ["Site"]
    fetched = [r for r in world.stub.state.requests if "/artifacts" in r[1]]
    assert all(f"/runs/{fork_run['id']}/" not in path and f"/runs/{other['id']}/" not in path
               for _, path in fetched)
    assert not list(world.tmp.rglob("zz.yaml"))


def test_a_fork_pull_request_is_never_applied_unreviewed(world: World) -> None:
    world.plan(1, sha("pr1"), ADD_SITE, head_repo="mallory/toggl-config")
    world.merge(1, sha("merge1"), ADD_SITE)
    _, result = world.push(sha("merge1"), "m0")
    assert not result.success and result.outputs["exit_code"] == "3"
    assert world.names("project") == []


def test_drift_fails_when_the_workspace_changed_by_hand(world: World) -> None:
    assert world.drift()[1].success
    world.sandbox.store.add_tag(world.wid, "by-hand")
    world.commits["m0"] = {"toggl/workspace.yaml": world.commits["m0"]["toggl/workspace.yaml"]
                           .replace("tags: [alpha]", "unmanaged: {tags: delete}\ntags: [alpha]")}
    _, drift = world.drift()
    assert not drift.success and drift.outputs["exit_code"] == "2"
    assert world.stub.comments(1) == []


def test_the_credential_reaches_only_the_step_that_runs_the_tool(world: World) -> None:
    world.plan(1, sha("pr1"), ADD_SITE)
    world.merge(1, sha("merge1"), ADD_SITE)
    results = [world.plan(2, sha("pr2"), ADD_SITE)[1], world.push(sha("merge1"), "m0")[1]]
    for result in results:
        holding = [s.name for s in result.steps if TOKEN in s.env.values()]
        assert holding == ["Run toggl-reconciler"]
        for step in result.steps:
            assert TOKEN not in step.stdout + step.stderr
    for comments in world.stub.state.comments.values():
        assert all(TOKEN not in c["body"] for c in comments)


def test_the_action_alone_on_the_embedded_sandbox_as_ci_smoke_tests_it(world: World) -> None:
    """ci.yml's action-smoke job: `uses: ./` with --sandbox, no credential, no comment."""
    from tests.workflows.actions_runner import ROOT

    run = world.stub.start_run(event="push", head_sha=sha("smoke"), head_branch="main")
    workspace, temp = world.tmp / "smoke" / "ws", world.tmp / "smoke" / "temp"
    (workspace / "examples").mkdir(parents=True)
    temp.mkdir()
    (workspace / "examples" / "agency.yaml").write_text((ROOT / "examples" / "agency.yaml").read_text())
    context = {"github": {"event_name": "push", "sha": sha("smoke"), "repository": "acme/toggl-config",
                          "run_id": str(run["id"]), "ref_name": "main", "event": {}, "token": "x",
                          "workflow_ref": "acme/toggl-config/.github/workflows/ci.yml@refs/heads/main"},
               "secrets": {}, "inputs": {}, "env": {}}
    result = world.runner.action({"command": "plan", "spec": "examples/agency.yaml",
                                  "extra-args": "--sandbox", "comment": "false"}, {}, context, run,
                                 workspace, temp, temp / "summary.md")
    assert result.success, [s.stderr for s in result.steps]
    assert result.outputs["has_changes"] == "true" and result.outputs["exit_code"] == "2"
    assert Path(result.outputs["plan_path"]).stat().st_size > 0
    assert not world.stub.comments(0) and world.stub.state.comments == {}
