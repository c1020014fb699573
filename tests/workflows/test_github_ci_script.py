"""scripts/github_ci.py on its own, against the local GitHub stand-in: the comment's one budget,
escaping of what the tool printed, pagination, and the token never following a redirect."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.workflows.github_stub import AUTHOR, BOT, BOT_TOKEN, REPO, GitHubStub

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("github_ci", ROOT / "scripts" / "github_ci.py")
github_ci = importlib.util.module_from_spec(_spec)
sys.modules["github_ci"] = github_ci
_spec.loader.exec_module(github_ci)


@pytest.fixture
def stub() -> Iterator[GitHubStub]:
    with GitHubStub() as server:
        yield server


def _env(stub: GitHubStub, token: str = BOT_TOKEN) -> dict[str, str]:
    return {"GITHUB_API_URL": stub.url, "GITHUB_GRAPHQL_URL": f"{stub.url}/graphql",
            "GITHUB_TOKEN": token, "GITHUB_REPOSITORY": REPO}


def test_two_workspaces_of_markdown_fit_one_comment_under_githubs_limit() -> None:
    section = "<details><summary>Projects</summary>\n\n" + "\n".join(
        f"- `+` create project **P{i}**" for i in range(3000)) + "\n\n</details>\n"
    markdown = section * 2  # two workspaces, each near the renderer's own 60,000 cap
    assert len(markdown) > 119_000
    body = github_ci.compose_body(key="k", command="plan", exit_code=2, has_changes=True,
                                  markdown=markdown, stderr="", context="")
    assert len(body) <= github_ci.COMMENT_LIMIT
    assert body.count("<details>") == body.count("</details>")
    assert "cut here" in body and body.startswith(github_ci.marker("k"))


def test_what_the_tool_printed_is_fenced_so_nothing_in_it_renders() -> None:
    stderr = "Error: refused ``` </details> @org/team #1 <!-- toggl-reconciler sticky: k -->"
    body = github_ci.compose_body(key="k", command="plan", exit_code=3, has_changes=True,
                                  markdown="", stderr=stderr, context="")
    fence = body.split("\n")[4]
    assert fence.startswith("````") and body.rstrip().endswith(fence.rstrip("text"))
    assert body.startswith(github_ci.marker("k")) and body.count("sticky: k") == 2


def test_the_marker_key_cannot_end_the_html_comment() -> None:
    marker = github_ci.marker("a --> <b>")
    assert marker.count("-->") == 1 and marker.endswith(" -->") and "<b>" not in marker


def test_our_comment_is_found_past_the_first_page(stub: GitHubStub) -> None:
    for index in range(150):
        stub.add_comment(7, f"comment {index}", AUTHOR)
    ours = stub.add_comment(7, github_ci.marker("k") + "\nold", BOT)
    client = github_ci.GitHub(_env(stub))
    updated = github_ci.upsert_comment(client, 7, "k", github_ci.marker("k") + "\nnew", BOT["login"])
    assert updated["id"] == ours["id"]
    assert len(stub.comments(7)) == 151


def test_a_personal_token_comments_as_its_user(stub: GitHubStub) -> None:
    from tests.workflows.github_stub import AUTHOR_TOKEN

    assert github_ci.GitHub(_env(stub, AUTHOR_TOKEN)).login() == AUTHOR["login"]
    assert github_ci.GitHub(_env(stub)).login() == "github-actions[bot]"
    assert github_ci.GitHub(_env(stub)).login("my-app[bot]") == "my-app[bot]"


def test_the_artifact_is_fetched_without_the_token_and_only_plan_json_is_read(stub: GitHubStub,
                                                                              tmp_path: Path) -> None:
    run = stub.start_run(event="pull_request", head_sha="a" * 40, head_branch="x")
    stub.upload(run["id"], "toggl-plan", {"plan.json": b'{"ok": true}', "../escape.yaml": b"x"})
    client = github_ci.GitHub(_env(stub))
    target = tmp_path / "out" / "p.json"
    target.parent.mkdir()
    assert github_ci.fetch_plan(client, run["id"], "toggl-plan", target)
    assert json.loads(target.read_text()) == {"ok": True}
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out", "p.json"]


def test_an_artifact_without_plan_json_gives_no_plan(stub: GitHubStub, tmp_path: Path) -> None:
    run = stub.start_run(event="pull_request", head_sha="b" * 40, head_branch="x")
    stub.upload(run["id"], "toggl-plan", {"other.json": b"{}"})
    client = github_ci.GitHub(_env(stub))
    assert not github_ci.fetch_plan(client, run["id"], "toggl-plan", tmp_path / "p.json")
    assert not (tmp_path / "p.json").exists()


def test_a_reviewed_run_id_must_be_digits_of_an_apply_run_here(stub: GitHubStub, tmp_path: Path) -> None:
    env = {**_env(stub), "GITHUB_WORKFLOW_REF": f"{REPO}/.github/workflows/toggl-workspace.yml@refs/heads/main"}
    with pytest.raises(SystemExit, match="digits"):
        github_ci.main(["reviewed", "--run-id", "1; rm -rf /", "--out", str(tmp_path / "a")], env)
    pr_run = stub.start_run(event="pull_request", head_sha="c" * 40, head_branch="x")
    with pytest.raises(SystemExit, match="not an apply run"):
        github_ci.main(["reviewed", "--run-id", str(pr_run["id"]), "--out", str(tmp_path / "b")], env)


def test_the_workflow_path_comes_from_the_workflow_ref() -> None:
    env = {"GITHUB_REPOSITORY": REPO,
           "GITHUB_WORKFLOW_REF": f"{REPO}/.github/workflows/t.yml@refs/pull/3/merge"}
    assert github_ci.workflow_path(env) == ".github/workflows/t.yml"
    assert zipfile and io  # stdlib only, like the script
