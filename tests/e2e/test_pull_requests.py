"""Pull requests and bootstrapping: Markdown plans, step summaries, spec folders with several
workspaces. The example workflow and the action are run job by job in tests/workflows/."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import EXAMPLES, WORKSPACE, Harness


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
