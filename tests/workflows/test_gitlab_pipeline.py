"""examples/gitlab/.gitlab-ci.yml, parsed and run job by job: its script lines through bash
against the sandbox, the GitLab API calls against a local stand-in. Merge-request plan and note
(updated, not duplicated), a refused plan, apply after merge, two merges in both orders with the
manual job as the one next step, drift on schedule."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from reconciler.cli import main
from reconciler.sandbox import Sandbox, SandboxConfig
from tests.workflows.gitlab_stub import AUTHOR, BOT, BOT_TOKEN, PROJECT_ID, GitLabStub

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "examples" / "gitlab" / ".gitlab-ci.yml"
HELPER = ROOT / "examples" / "gitlab" / "ci" / "toggl_gitlab.py"
TOKEN = "gitlab-secret-toggl-token-0123456789"
WORKSPACE = "Acme Agency"
BASE = "clients: [{name: Acme}]\ntags: [alpha]\n"
ADD_SITE = BASE + "projects: [{name: Site, client: Acme}]\n"
ADD_BETA = "clients: [{name: Acme}]\ntags: [alpha, beta]\n"
BOTH = "clients: [{name: Acme}]\ntags: [alpha, beta]\nprojects: [{name: Site, client: Acme}]\n"
MARKER = "<!-- toggl-reconciler sticky: toggl-reconciler-plan -->"


def sha(label: str) -> str:
    return hashlib.sha1(label.encode()).hexdigest()


def flatten(lines: Any) -> Iterator[str]:
    for line in lines:
        if isinstance(line, list):
            yield from flatten(line)
        else:
            yield line


def rule_applies(job: dict[str, Any], env: dict[str, str]) -> bool:
    for rule in job.get("rules", []):
        expression = re.sub(r"\$(\w+)", lambda m: json.dumps(env.get(m.group(1), "")), rule["if"])
        expression = expression.replace("&&", " and ").replace("||", " or ")
        if eval(expression, {"__builtins__": {}}):  # noqa: S307 - our own file, tiny grammar
            return True
    return False


class GitLabWorld:
    def __init__(self, tmp: Path, stub: GitLabStub, sandbox: Sandbox) -> None:
        self.tmp, self.stub, self.sandbox = tmp, stub, sandbox
        self.wid = sandbox.store.ensure_workspace(WORKSPACE)
        self.pipeline = yaml.safe_load(PIPELINE.read_text())
        self.commits = {"m0": BASE}
        stub.state.history.append("m0")
        self.bin = tmp / "bin"
        self.bin.mkdir()
        shim = self.bin / "toggl-reconciler"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        self.jobs = 0
        base = tmp / "base.yaml"
        base.write_text(f"version: 1\nworkspace: {WORKSPACE}\n{BASE}")
        assert main(["apply", str(base), "--auto-approve"], stdout=io.StringIO(),
                    env={"TOGGL_API_URL": sandbox.url, "TOGGL_API_TOKEN": TOKEN}) == 0

    def names(self, kind: str) -> list[str]:
        rows = {"project": self.sandbox.store.projects, "tag": self.sandbox.store.tags}[kind](self.wid)
        return sorted(row["name"] for row in rows)

    def run_job(self, name: str, sha_: str, ci: dict[str, str],
                artifacts_from: Path | None = None) -> tuple[int | None, Path, str]:
        job = self.pipeline[name]
        env_ci = {"CI_DEFAULT_BRANCH": "main", "CI_PROJECT_ID": PROJECT_ID, "CI_COMMIT_SHA": sha_,
                  "CI_API_V4_URL": self.stub.url, "CI_PIPELINE_ID": str(100 + self.jobs),
                  "CI_PIPELINE_URL": f"https://gitlab.test/acme/config/-/pipelines/{100 + self.jobs}",
                  **ci}
        if not rule_applies(job, env_ci):
            return None, self.tmp, ""
        self.jobs += 1
        work = self.tmp / f"job-{self.jobs}-{name}"
        (work / "toggl").mkdir(parents=True)
        (work / "toggl" / "workspace.yaml").write_text(
            f"version: 1\nworkspace: {WORKSPACE}\n{self.commits[sha_]}")
        (work / "ci").mkdir()
        shutil.copy(HELPER, work / "ci" / "toggl_gitlab.py")
        if artifacts_from is not None:
            for path in self.pipeline[job["needs"][0]["job"]]["artifacts"]["paths"]:
                if (artifacts_from / path).exists():
                    shutil.copy(artifacts_from / path, work / path)
        lines = list(flatten(job["script"]))
        installs = [line for line in lines if "pip install" in line]
        assert len(installs) == 1 and installs[0].startswith("env -u TOGGL_API_TOKEN -u MATON_API_KEY")
        script = "\n".join(line for line in lines if "pip install" not in line)
        variables = {k: str(v) for k, v in self.pipeline["variables"].items()}
        env = {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "HOME": str(self.tmp),
               "PYTHONPATH": str(ROOT), "TMPDIR": str(self.tmp), "LANG": "C.UTF-8", **variables,
               **env_ci, "TOGGL_API_TOKEN": TOKEN, "GITLAB_API_TOKEN": BOT_TOKEN,
               "TOGGL_API_URL": self.sandbox.url, "TOGGL_RECONCILER_RETRY_BASE": "0"}
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=work, env=env,
                              capture_output=True, text=True, timeout=180)
        assert TOKEN not in done.stdout + done.stderr
        return done.returncode, work, done.stdout + done.stderr

    # ------------------------------------------------------------------ events

    def mr_pipeline(self, iid: int, head: str, body: str) -> tuple[int | None, str]:
        self.commits[head] = body
        mr = next((m for m in self.stub.state.merge_requests if m["iid"] == iid), None)
        if mr is None:
            mr = {"iid": iid, "project_id": int(PROJECT_ID), "source_project_id": int(PROJECT_ID),
                  "state": "opened", "merge_commit_sha": None, "squash_commit_sha": None}
            self.stub.state.merge_requests.append(mr)
        mr["sha"] = head
        code, work, log = self.run_job("plan", head, {"CI_PIPELINE_SOURCE": "merge_request_event",
                                                      "CI_MERGE_REQUEST_IID": str(iid)})
        job_id = self.stub.state.new_id()
        self.stub.state.artifacts[job_id] = {p.name: p.read_bytes() for p in work.glob("plan.*")}
        status = "success" if code == 0 else "failed"
        self.stub.state.pipelines.append({"id": self.stub.state.new_id(), "sha": head, "mr": iid,
                                          "status": status,
                                          "jobs": [{"id": job_id, "name": "plan", "status": status}]})
        return code, log

    def merge(self, iid: int, merge_sha: str, body: str) -> None:
        self.commits[merge_sha] = body
        for mr in self.stub.state.merge_requests:
            if mr["iid"] == iid:
                mr.update(state="merged", merge_commit_sha=merge_sha)
        self.stub.state.history.append(merge_sha)

    def push(self, sha_: str, before: str) -> tuple[int | None, Path, str]:
        return self.run_job("apply", sha_, {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main",
                                            "CI_COMMIT_BEFORE_SHA": before})

    def manual_apply(self, sha_: str, apply_job: Path) -> tuple[int | None, Path, str]:
        return self.run_job("apply-new-plan", sha_, {"CI_PIPELINE_SOURCE": "push",
                                                     "CI_COMMIT_BRANCH": "main"}, apply_job)

    def notes(self, iid: int, kind: str = "plan") -> list[dict[str, Any]]:
        return [n for n in self.stub.state.notes.get(iid, []) if n["author"] == BOT
                and n["body"].startswith(f"<!-- toggl-reconciler sticky: toggl-reconciler-{kind} -->")]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[GitLabWorld]:
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN))
    sandbox.start()
    try:
        with GitLabStub() as stub:
            yield GitLabWorld(tmp_path, stub, sandbox)
    finally:
        sandbox.stop()


def test_the_pipeline_parses_with_a_job_per_purpose() -> None:
    pipeline = yaml.safe_load(PIPELINE.read_text())
    assert {"plan", "apply", "apply-new-plan", "drift"} <= set(pipeline)
    for name in ("plan", "apply", "apply-new-plan", "drift"):
        assert pipeline[name]["timeout"].endswith("m")
    assert pipeline["apply"]["resource_group"] == pipeline["apply-new-plan"]["resource_group"]
    assert pipeline["apply-new-plan"]["rules"][0]["when"] == "manual"
    assert pipeline["apply-new-plan"]["environment"]["name"] == "toggl-apply"
    assert pipeline["variables"]["TOGGL_RECONCILER_VERSION"] == __import__("reconciler").__version__
    assert pipeline["default"]["image"].startswith("python:3.")


def test_a_merge_request_plan_is_posted_and_updated_not_duplicated(world: GitLabWorld) -> None:
    fake = world.stub.add_note(1, MARKER + "\nPlan: no changes", AUTHOR)
    code, log = world.mr_pipeline(1, sha("mr1-a"), ADD_SITE)
    assert code == 0, log
    [note] = world.notes(1)
    assert "Site" in note["body"] and "changes to review" in note["body"]
    code, log = world.mr_pipeline(1, sha("mr1-b"), BOTH)
    assert code == 0, log
    [updated] = world.notes(1)
    assert updated["id"] == note["id"] and "beta" in updated["body"]
    assert world.stub.state.notes[1][0] == fake
    assert world.names("project") == []


def test_a_refused_plan_is_posted_and_fails_the_job(world: GitLabWorld) -> None:
    for index in range(12):
        world.sandbox.store.add_tag(world.wid, f"old-{index}")
    code, log = world.mr_pipeline(1, sha("mr1"), BASE + "unmanaged: {tags: delete}\n")
    assert code not in (0, None)
    [note] = world.notes(1)
    assert "Refused for safety" in note["body"] and "12" in note["body"] and "--force" in note["body"]


def test_a_merge_applies_and_two_merges_in_a_row_both_apply(world: GitLabWorld) -> None:
    world.mr_pipeline(1, sha("mr1"), ADD_SITE)
    world.mr_pipeline(2, sha("mr2"), ADD_BETA)
    world.merge(1, sha("merge1"), ADD_SITE)
    world.merge(2, sha("merge2"), BOTH)
    first, _, log1 = world.push(sha("merge1"), "m0")
    second, _, log2 = world.push(sha("merge2"), sha("merge1"))
    assert (first, second) == (0, 0), log1 + log2
    assert world.names("tag") == ["alpha", "beta"] and world.names("project") == ["Site"]
    assert "Applied" in world.notes(2, "apply")[0]["body"]
    drift, _, log = world.run_job("drift", sha("merge2"), {"CI_PIPELINE_SOURCE": "schedule"})
    assert drift == 0, log


def test_the_later_merge_first_stops_and_the_manual_job_applies(world: GitLabWorld) -> None:
    world.mr_pipeline(1, sha("mr1"), ADD_SITE)
    world.mr_pipeline(2, sha("mr2"), ADD_BETA)
    world.merge(1, sha("merge1"), ADD_SITE)
    world.merge(2, sha("merge2"), BOTH)
    stopped, stopped_job, log = world.push(sha("merge2"), sha("merge1"))
    assert stopped == 3, log  # allowed to fail: the pipeline offers the manual job
    assert world.pipeline["apply"]["allow_failure"] == {"exit_codes": [3]}
    assert world.names("project") == [] and world.names("tag") == ["alpha"]
    [note] = world.notes(2, "apply")
    assert note["body"].count("Next step") == 1 and "manual job apply-new-plan" in note["body"]
    assert world.push(sha("merge1"), "m0")[0] == 0
    manual, _, log = world.manual_apply(sha("merge2"), stopped_job)
    assert manual == 0, log
    assert world.names("tag") == ["alpha", "beta"] and world.names("project") == ["Site"]


def test_drift_on_schedule_fails_when_the_workspace_drifted(world: GitLabWorld) -> None:
    world.commits["m0"] = BASE.replace("tags: [alpha]", "unmanaged: {tags: delete}\ntags: [alpha]")
    assert world.run_job("drift", "m0", {"CI_PIPELINE_SOURCE": "schedule"})[0] == 0
    world.sandbox.store.add_tag(world.wid, "by-hand")
    code, _, _ = world.run_job("drift", "m0", {"CI_PIPELINE_SOURCE": "schedule"})
    assert code == 2
    assert world.run_job("drift", "m0", {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"})[0] is None
