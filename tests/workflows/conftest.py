"""A GitHub stand-in, the sandbox and a runner for the example workflow's jobs."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from reconciler.cli import main
from reconciler.sandbox import Sandbox, SandboxConfig
from tests.workflows.actions_runner import ActionResult, Runner
from tests.workflows.github_stub import BOT, GitHubStub

TOKEN = "workflow-secret-token-0123456789abcdef"
WORKSPACE = "Acme Agency"
SECRETS = {"TOGGL_API_TOKEN": TOKEN, "MATON_API_KEY": ""}


def spec_files(body: str) -> dict[str, str]:
    return {"toggl/workspace.yaml": f"version: 1\nworkspace: {WORKSPACE}\n{body}"}


class World:
    """One config repository on GitHub (the stub), its main branch, and one Toggl (the sandbox)."""

    def __init__(self, tmp: Path, stub: GitHubStub, sandbox: Sandbox, base: str) -> None:
        self.stub, self.sandbox, self.tmp = stub, sandbox, tmp
        self.wid = sandbox.store.ensure_workspace(WORKSPACE)
        self.commits: dict[str, dict[str, str]] = {"m0": spec_files(base)}
        stub.state.main.append("m0")
        self.runner = Runner(tmp, stub, sandbox.url, self.commits)
        self.cli("apply", str(self._write("base.yaml", base)), "--auto-approve")

    def _write(self, name: str, body: str) -> Path:
        path = self.tmp / name
        path.write_text(spec_files(body)["toggl/workspace.yaml"])
        return path

    def cli(self, *args: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), env={"TOGGL_API_URL": self.sandbox.url, "TOGGL_API_TOKEN": TOKEN},
                    stdout=out, stderr=err)
        assert code in (0, 2), err.getvalue()
        return code, out.getvalue()

    def names(self, kind: str) -> list[str]:
        rows = {"client": self.sandbox.store.clients, "project": self.sandbox.store.projects,
                "tag": self.sandbox.store.tags}[kind](self.wid)
        return sorted(row["name"] for row in rows)

    # -------------------------------------------------------------- events

    def plan(self, number: int, head: str, body: str, head_repo: str | None = None
             ) -> tuple[dict[str, Any], ActionResult]:
        self.commits[head] = spec_files(body)
        merge_ref = f"refs-pull-{number}-merge-{head}"
        self.commits[merge_ref] = spec_files(body)
        pr = next((p for p in self.stub.state.pulls if p["number"] == number), None)
        if pr is None:
            kwargs = {"head_repo": head_repo} if head_repo else {}
            pr = self.stub.open_pull(number, head, f"feature-{number}", **kwargs)
        pr["head"]["sha"] = head
        payload = {"pull_request": {"number": number, "head": {"sha": head}}}
        run, result = self.runner.job("plan", event="pull_request", sha=merge_ref, payload=payload,
                                      secrets=SECRETS, ref_name=f"{number}/merge",
                                      run_head_sha=head, head_branch=f"feature-{number}")
        assert result is not None
        return run, result

    def merge(self, number: int, merge_sha: str, body: str) -> None:
        self.commits[merge_sha] = spec_files(body)
        self.stub.merge_pull(number, merge_sha)

    def push(self, sha: str, before: str) -> tuple[dict[str, Any], ActionResult]:
        run, result = self.runner.job("apply", event="push", sha=sha, secrets=SECRETS,
                                      payload={"before": before, "after": sha})
        assert result is not None
        return run, result

    def dispatch(self, reviewed_run: str) -> tuple[dict[str, Any], ActionResult]:
        head = self.stub.state.main[-1]
        run, result = self.runner.job("apply-reviewed-run", event="workflow_dispatch", sha=head,
                                      secrets=SECRETS, inputs={"reviewed_run": reviewed_run})
        assert result is not None
        return run, result

    def drift(self) -> tuple[dict[str, Any], ActionResult]:
        run, result = self.runner.job("drift", event="schedule", sha=self.stub.state.main[-1],
                                      secrets=SECRETS)
        assert result is not None
        return run, result

    def bot_comments(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.stub.comments(number) if c["user"]["login"] == BOT["login"]]


def suggested_run_id(body: str) -> str:
    [run_id] = re.findall(r"-f reviewed_run=(\d+)", body)
    return run_id


@pytest.fixture
def github() -> Iterator[GitHubStub]:
    with GitHubStub() as stub:
        yield stub


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN))
    box.start()
    try:
        yield box
    finally:
        box.stop()


BASE = "clients: [{name: Acme}]\ntags: [alpha]\n"


@pytest.fixture
def world(tmp_path: Path, github: GitHubStub, sandbox: Sandbox) -> World:
    return World(tmp_path, github, sandbox, BASE)
