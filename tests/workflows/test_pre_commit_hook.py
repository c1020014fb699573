"""The pre-commit hook, run by the real `pre-commit` tool on a temporary git repository: it
passes a good spec folder, fails on a bad spec naming its file and line, and ignores other YAML."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
GOOD = "version: 1\nworkspace: Acme Agency\nclients:\n  - name: Globex\nprojects:\n  - name: Site\n    client: Globex\n"
BAD = "version: 1\nworkspace: Acme Agency\nprojects:\n  - name: Site\n    client: Nobody\n    color: red\n"


def test_the_hook_is_offline_and_only_for_spec_files() -> None:
    [hook] = yaml.safe_load(HOOKS.read_text())
    assert hook["id"] == "toggl-reconciler-validate"
    assert hook["entry"] == "toggl-reconciler validate" and hook["language"] == "python"
    assert hook["files"] == r"^toggl/.*\.ya?ml$" and hook["pass_filenames"] is False


def _git(cwd: Path, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.network
def test_pre_commit_runs_the_hook_with_the_right_verdicts(tmp_path: Path) -> None:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)  # the hook runs the tool pre-commit installed, not this checkout
    # The hook repository: this checkout's working tree, committed.
    hook_repo = tmp_path / "hook-repo"
    hook_repo.mkdir()
    for name in ("pyproject.toml", "MANIFEST.in", "README.md", "CHANGELOG.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, hook_repo / name)
    for folder in ("reconciler", "schemas"):
        shutil.copytree(ROOT / folder, hook_repo / folder, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    _git(hook_repo, "init", "-q", env=env)
    _git(hook_repo, "add", "-A", env=env)
    _git(hook_repo, "commit", "-qm", "hooks", env=env)
    rev = _git(hook_repo, "rev-parse", "HEAD", env=env)

    config = tmp_path / "config"
    (config / "toggl").mkdir(parents=True)
    (config / ".github").mkdir()
    (config / ".github" / "not-a-spec.yml").write_text("on: push\njobs: {}\n")
    (config / "toggl" / "good.yaml").write_text(GOOD)
    (config / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: toggl-reconciler-validate\n")
    _git(config, "init", "-q", env=env)
    _git(config, "add", "-A", env=env)

    def run_hook() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=config,
                              env=env, capture_output=True, text=True, timeout=400)

    good = run_hook()
    assert good.returncode == 0, good.stdout + good.stderr
    assert "toggl-reconciler validate" in good.stdout and "Passed" in good.stdout

    (config / "toggl" / "bad.yaml").write_text(BAD)
    _git(config, "add", "-A", env=env)
    bad = run_hook()
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "toggl/bad.yaml:6:" in bad.stdout and "good.yaml:" not in bad.stdout
    assert "not-a-spec" not in bad.stdout

    # Only spec files trigger it: a change elsewhere skips the hook.
    (config / "toggl" / "bad.yaml").unlink()
    _git(config, "add", "-A", env=env)
    other = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--files",
                            ".github/not-a-spec.yml"], cwd=config, env=env, capture_output=True,
                           text=True, timeout=120)
    assert other.returncode == 0 and "Skipped" in other.stdout, other.stdout
