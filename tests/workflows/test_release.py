"""The release installs: `python -m build` makes an sdist and a wheel, and the wheel alone, in a
fresh virtualenv that cannot see this checkout, validates, plans and applies on the sandbox."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import reconciler

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No PYTHONPATH, no credentials, a cwd outside the checkout: only the wheel is importable."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST",
            "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "TMPDIR")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update({"NO_COLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "HOME": str(tmp_path)})
    return env


def test_the_version_is_written_in_one_place() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "reconciler.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", reconciler.__version__)
    assert f"## {reconciler.__version__}" in (ROOT / "CHANGELOG.md").read_text()


@pytest.mark.network
def test_the_built_wheel_alone_validates_plans_and_applies(tmp_path: Path) -> None:
    # Build from a copy, so the build sees only what git would hand it (no stray build/ dirs).
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "*.db",
        ".venv", "node_modules"))
    env = _clean_env(tmp_path)
    dist = tmp_path / "dist"
    built = _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], tmp_path, env)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    assert wheel.name == f"toggl_reconciler-{reconciler.__version__}-py3-none-any.whl"

    names = zipfile.ZipFile(wheel).namelist()
    assert "reconciler/spec/workspace.schema.json" in names
    assert "reconciler/sandbox/server.py" in names
    with zipfile.ZipFile(wheel) as archive:  # a real file, not a dangling link to schemas/
        assert b'"$schema"' in archive.read("reconciler/spec/workspace.schema.json")
    data_files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "reconciler").rglob("*")
                  if p.is_file() and p.suffix in {".json", ".txt", ".yaml", ".yml", ".csv"}}
    assert data_files <= set(names), f"data files missing from the wheel: {data_files - set(names)}"
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert any(m.endswith("schemas/workspace.schema.json") for m in members)

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env).returncode == 0
    pip = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "agency.yaml", work / "agency.yaml")
    tool = str(venv / "bin" / "toggl-reconciler")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return _run([tool, *args], work, env, timeout=120)

    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"toggl-reconciler {reconciler.__version__}"
    where = _run([str(venv / "bin" / "python"), "-c", "import reconciler; print(reconciler.__file__)"],
                 work, env)
    assert str(venv) in where.stdout and str(ROOT) not in where.stdout
    validate = cli("validate", "agency.yaml")
    assert validate.returncode == 0 and "OK" in validate.stdout, validate.stderr
    plan = cli("plan", "agency.yaml", "--sandbox", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    apply = cli("apply", "agency.yaml", "--sandbox", "--auto-approve")
    assert apply.returncode == 0 and "Apply complete" in apply.stdout, apply.stdout + apply.stderr
    again = cli("plan", "agency.yaml", "--sandbox", "--detailed-exitcode")
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout + again.stderr


@pytest.mark.network
def test_the_actions_install_step_installs_the_tool_at_the_actions_own_ref(tmp_path: Path) -> None:
    """action.yml's install step, run as the runner would, with the action's checkout as
    GITHUB_ACTION_PATH: the tool it puts on PATH is this version, from that checkout."""
    import yaml

    source = tmp_path / "action-checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "*.db",
        ".venv", "node_modules"))
    [install] = [s for s in yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
                 if s.get("id") == "install"]
    runner_temp, github_path = tmp_path / "temp", tmp_path / "github_path"
    runner_temp.mkdir()
    env = {**_clean_env(tmp_path), "ACTION_PATH": str(source), "RUNNER_TEMP": str(runner_temp),
           "GITHUB_PATH": str(github_path), "TOGGL_API_TOKEN": "", "MATON_API_KEY": ""}
    done = _run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", install["run"]],
                tmp_path, env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [bin_dir] = github_path.read_text().split()
    version = _run([f"{bin_dir}/toggl-reconciler", "--version"], tmp_path, env)
    assert version.stdout.strip() == f"toggl-reconciler {reconciler.__version__}"
