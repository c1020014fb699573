"""The workflow files and action.yml, parsed: pinned refs, where secrets go, timeouts,
permissions, concurrency groups, and comments that stay true."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

import reconciler

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "github" / "toggl-workspace.yml"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
CI = ROOT / ".github" / "workflows" / "ci.yml"
ACTION = ROOT / "action.yml"
WORKFLOWS = [EXAMPLE, RELEASE, CI]
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
OWN_ACTION = re.compile(r"^OWNER/toggl-reconciler@v(\d+\.\d+\.\d+)$")
SECRET_NAMES = {"TOGGL_API_TOKEN", "MATON_API_KEY"}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def steps(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    document = load(path)
    if "jobs" in document:
        for name, job in document["jobs"].items():
            for step in job["steps"]:
                yield name, step
    else:
        for step in document["runs"]["steps"]:
            yield "action", step


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_used_is_pinned_to_a_commit_or_is_this_release(path: Path) -> None:
    lines = path.read_text().splitlines()
    for _, step in steps(path):
        uses = step.get("uses")
        if uses is None:
            continue
        if uses == "./" and path == CI:
            continue  # this checkout's own action, smoke-tested in CI
        own = OWN_ACTION.match(uses)
        if own:
            assert own.group(1) == reconciler.__version__, uses
            continue
        assert SHA_PINNED.match(uses), f"{path.name}: {uses} is not pinned to a full commit SHA"
        # The comment above says which version the SHA is, for whoever updates it.
        index = next(i for i, line in enumerate(lines) if uses in line)
        assert re.search(r"v\d+\.\d+\.\d+, pinned to its commit", lines[index - 1] + lines[index - 2])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_timeout_and_asks_for_its_own_permissions(path: Path) -> None:
    document = load(path)
    for name, job in document["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}: job {name}"
        assert "permissions" in job or "permissions" in document, f"{path.name}: job {name}"


def test_the_example_grants_nothing_by_default_and_each_job_only_what_it_uses() -> None:
    workflow = load(EXAMPLE)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    for name in ("apply", "apply-reviewed-run"):
        assert jobs[name]["permissions"] == {"contents": "read", "actions": "read",
                                             "pull-requests": "write"}
    assert jobs["drift"]["permissions"] == {"contents": "read"}


def test_secrets_are_only_in_the_env_of_the_steps_that_call_toggl() -> None:
    workflow = load(EXAMPLE)
    assert "env" not in workflow and all("env" not in job for job in workflow["jobs"].values())
    for job, step in steps(EXAMPLE):
        text = yaml.safe_dump(step)
        if "secrets." not in text:
            continue
        assert OWN_ACTION.match(step.get("uses", "")), f"{job}: secrets in a step not calling Toggl"
        assert "secrets." not in yaml.safe_dump(step.get("with") or {})
        assert set(step["env"]) == SECRET_NAMES


def test_inside_the_action_only_the_tool_step_keeps_the_credential() -> None:
    for _, step in steps(ACTION):
        env = step.get("env") or {}
        if step.get("id") == "run":
            assert not SECRET_NAMES & set(env)
        else:
            assert {name: env.get(name) for name in SECRET_NAMES} == {n: "" for n in SECRET_NAMES}, \
                step.get("name")


def test_the_action_is_composite_with_the_documented_interface() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"command", "spec", "workspace", "extra-args", "python-version"} <= set(action["inputs"])
    assert set(action["outputs"]) == {"has_changes", "exit_code", "plan_path"}
    [install] = [s for _, s in steps(ACTION) if s.get("id") == "install"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install' in install["run"] and '"$ACTION_PATH"' in install["run"]
    for _, step in steps(ACTION):
        # Inputs reach scripts through env only: `${{ }}` inside a script is an injection.
        assert "${{" not in step.get("run", "")
    assert "docker://" not in ACTION.read_text() and "Dockerfile" not in ACTION.read_text()


def test_one_concurrency_group_per_purpose_and_applies_never_cancel() -> None:
    jobs = load(EXAMPLE)["jobs"]
    groups = {name: job["concurrency"] for name, job in jobs.items()}
    assert groups["apply"] == groups["apply-reviewed-run"] == {"group": "toggl-apply",
                                                               "cancel-in-progress": False}
    assert "pull_request.number" in groups["plan"]["group"] and groups["plan"]["cancel-in-progress"]
    assert groups["drift"]["group"] == "toggl-drift"
    names = [groups["plan"]["group"], "toggl-apply", groups["drift"]["group"]]
    assert len(set(names)) == 3 and not any(n.startswith("toggl-apply") for n in names[::2])


def test_the_header_explains_every_setting_the_workflow_needs_and_nothing_else() -> None:
    text = EXAMPLE.read_text()
    header = text[: text.index("\nname:")]
    workflow = load(EXAMPLE)
    secrets_used = set(re.findall(r"secrets\.(\w+)", text[len(header):]))
    secrets_named = set(re.findall(r"\b([A-Z][A-Z_]+_(?:TOKEN|KEY))\b", header))
    assert secrets_used == secrets_named == SECRET_NAMES
    environments = {job["environment"] for job in workflow["jobs"].values() if "environment" in job}
    assert environments == {"toggl-apply"} and "environment named toggl-apply" in header
    assert "pull-requests write" in header and "actions read" in header
    for stale in ("RECONCILER_PACKAGE", "GH_TOKEN", "pip install"):
        assert stale not in text


def test_the_example_covers_every_event_it_documents() -> None:
    workflow = load(EXAMPLE)
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["workflow_dispatch"]["inputs"]["reviewed_run"]["required"] is True
    by_command = {step["with"]["command"]: job for job, step in steps(EXAMPLE)
                  if OWN_ACTION.match(step.get("uses", "")) and step["with"]["command"] != "apply"}
    assert by_command == {"plan": "plan", "drift": "drift"}


def test_release_publishes_a_tag_with_trusted_publishing_after_the_tests() -> None:
    release = load(RELEASE)
    triggers = release.get("on", release.get(True))
    assert triggers == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert "bash .ci/run" in yaml.safe_dump(jobs["test"])
    assert jobs["build"]["needs"] == "test" and jobs["publish"]["needs"] == "build"
    assert "python -m build" in yaml.safe_dump(jobs["build"])
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert jobs["publish"]["environment"] == "pypi"
    assert all(job.get("permissions", {}).get("id-token") is None
               for name, job in jobs.items() if name != "publish")
    text = RELEASE.read_text()
    assert "secrets." not in text and "password" not in text
    [publish] = jobs["publish"]["steps"][-1:]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@") and "with" not in publish


def test_ci_comments_name_test_files_that_exist() -> None:
    named = re.findall(r"([\w/]*test_\w+\.py)", CI.read_text())
    assert named
    for name in named:
        matches = list((ROOT / "tests").rglob(Path(name).name))
        assert matches, f"ci.yml names {name}, which does not exist"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = 'python3 -m pip install ".[test]" && python3 -m pytest'
    assert command in readme
    assert (ROOT / ".ci" / "run").read_text().strip().endswith(command)


def test_every_pinned_release_named_in_the_docs_is_this_version() -> None:
    version = f"v{reconciler.__version__}"
    for path in (ROOT / "README.md", EXAMPLE, ROOT / ".pre-commit-hooks.yaml", ACTION):
        for pinned in re.findall(r"(?:toggl-reconciler@|rev: )(v\d+\.\d+\.\d+)", path.read_text()):
            assert pinned == version, f"{path.name} pins {pinned}, the release is {version}"
