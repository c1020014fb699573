"""Pull requests and bootstrapping: Markdown plans, step summaries, spec folders with several
workspaces, and the example GitHub workflow's own commands run against the sandbox."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from tests.e2e.conftest import EXAMPLES, TOKEN, WORKSPACE, Harness

WORKFLOW = EXAMPLES / "github" / "toggl-workspace.yml"


def test_markdown_plan_goes_to_stdout_and_the_step_summary(harness: Harness, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {**harness.env, "GITHUB_STEP_SUMMARY": str(summary)}
    result = harness.cli("plan", str(EXAMPLES / "agency.yaml"), "--format", "markdown", env=env)
    assert result.code == 0, result.output
    assert result.stdout.lstrip().startswith("#")
    assert "65" in result.stdout and "<details>" in result.stdout
    assert summary.read_text().strip() == result.stdout.strip()


def two_workspace_folder(harness: Harness, tmp_path: Path) -> Path:
    """A spec folder with one file per workspace: Acme Agency wants tag alpha, Team B beta."""
    folder = tmp_path / "workspaces"
    folder.mkdir()
    harness.store.ensure_workspace("Team B")
    (folder / "a.yaml").write_text(f"version: 1\nworkspace: {WORKSPACE}\ntags: [alpha]\n")
    (folder / "b.yaml").write_text("version: 1\nworkspace: Team B\ntags: [beta]\n")
    return folder


def test_a_spec_folder_with_one_file_per_workspace(harness: Harness, tmp_path: Path) -> None:
    folder = two_workspace_folder(harness, tmp_path)
    plan = harness.cli("plan", str(folder))
    assert plan.stdout.count("=== Workspace") == 2
    applied = harness.cli("apply", str(folder), "--auto-approve")
    assert applied.code == 0, applied.output
    assert harness.names("tag") == ["alpha"]
    team_b = harness.store.ensure_workspace("Team B")
    assert [t["name"] for t in harness.store.tags(team_b)] == ["beta"]
    assert harness.cli("plan", str(folder), "--detailed-exitcode").code == 0


def test_one_template_bootstraps_several_workspaces(harness: Harness) -> None:
    template = str(EXAMPLES / "templates" / "new-agency.yaml")
    for name in ("Team C", "Team D"):
        harness.store.ensure_workspace(name)
        result = harness.cli("apply", template, "--workspace", name, "--auto-approve")
        assert result.code == 0, result.output
        wid = harness.store.ensure_workspace(name)
        assert len(harness.store.projects(wid)) == 4


def test_saved_plans_for_several_workspaces_apply_together(harness: Harness, tmp_path: Path) -> None:
    folder = two_workspace_folder(harness, tmp_path)
    plan_file = str(tmp_path / "plan.json")
    assert harness.cli("plan", str(folder), "--out", plan_file).code == 0
    applied = harness.cli("apply", "--plan", plan_file, str(folder))
    assert applied.code == 0, applied.output
    assert harness.names("tag") == ["alpha"]


def _shim(bin_dir: Path) -> None:
    """A `toggl-reconciler` on PATH that runs this checkout, as `pip install` would provide."""
    script = bin_dir / "toggl-reconciler"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def _steps(job: str) -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    return [s for s in workflow["jobs"][job]["steps"] if "toggl-reconciler" in s.get("run", "")
            and "pip install" not in s["run"]]


def _run_step(step: dict, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_example_workflow_parses_and_its_commands_run_green(harness: Harness,
                                                               tmp_path: Path) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert set(workflow["jobs"]) == {"plan", "apply", "drift"}
    repo = tmp_path / "repo"
    (repo / "toggl").mkdir(parents=True)
    shutil.copy(EXAMPLES / "agency.yaml", repo / "toggl" / "workspace.yaml")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _shim(bin_dir)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SPEC": "toggl/",
           "TOGGL_API_URL": harness.sandbox.url, "TOGGL_API_TOKEN": TOKEN, "MATON_API_KEY": "",
           "NO_COLOR": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for job in ("plan", "apply", "drift"):
        for step in _steps(job):
            result = _run_step(step, repo, env)
            assert result.returncode == 0, f"{job}/{step['name']}: {result.stdout}{result.stderr}"
    assert (repo / "plan.md").read_text().lstrip().startswith("#")
    assert len(harness.names("project")) == 40


def test_the_example_workflow_fails_loudly_on_a_stale_plan(harness: Harness, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "toggl").mkdir(parents=True)
    (repo / "toggl" / "w.yaml").write_text(f"version: 1\nworkspace: {WORKSPACE}\ntags: [alpha]\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _shim(bin_dir)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SPEC": "toggl/",
           "TOGGL_API_URL": harness.sandbox.url, "TOGGL_API_TOKEN": TOKEN, "NO_COLOR": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for step in _steps("plan"):
        assert _run_step(step, repo, env).returncode == 0
    harness.store.add_tag(harness.wid, "alpha")  # someone created it by hand since the review
    [apply_step] = _steps("apply")
    result = _run_step(apply_step, repo, env)
    assert result.returncode == 3
    assert "stale" in result.stderr


def test_ctrl_c_between_two_workspaces_says_what_the_first_one_applied(
        harness: Harness, tmp_path: Path, monkeypatch) -> None:
    from reconciler.toggl.client import TogglClient

    folder = two_workspace_folder(harness, tmp_path)
    real_list_tags = TogglClient.list_tags
    calls: list[int] = []

    def interrupted_reading_the_second(self: TogglClient, wid: int) -> object:
        calls.append(wid)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_list_tags(self, wid)

    monkeypatch.setattr(TogglClient, "list_tags", interrupted_reading_the_second)
    result = harness.cli("apply", str(folder), "--auto-approve")
    assert result.code == 130, result.output
    assert "1 change applied in this run, none in flight" in result.stderr
    assert harness.names("tag") == ["alpha"]
