"""Runs the example workflow's jobs and the composite action's steps as GitHub's runner would,
on this machine: expressions evaluated, `if:` conditions honoured, each `run:` through
`bash --noprofile --norc -eo pipefail`, GITHUB_OUTPUT / GITHUB_PATH / GITHUB_STEP_SUMMARY files,
and the few third-party actions emulated (checkout copies the commit's files, upload-artifact
hands the file to the GitHub stub). What each step's environment held is recorded, so tests
can check where the secrets went.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from tests.workflows.github_stub import BOT_TOKEN, REPO, WORKFLOW, GitHubStub

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / "examples" / "github" / "toggl-workspace.yml"
OWN_ACTION = re.compile(r"^[A-Za-z0-9-]+/toggl-reconciler@v\d+\.\d+\.\d+$")


# ---------------------------------------------------------------------------- expressions

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>==|!=|&&|\|\||!|\(|\))"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*(?:\(\))?))")


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    tokens = []
    position = 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read expression {expression!r} at {position}")
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    parser = _Parser(tokens, context)
    value = parser.or_()
    if parser.index != len(tokens):
        raise ValueError(f"trailing tokens in {expression!r}")
    return value


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], context: Mapping[str, Any]) -> None:
        self.tokens, self.context, self.index = tokens, context, 0

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def or_(self) -> Any:
        value = self.and_()
        while self._peek() == "||":
            self.index += 1
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self._peek() == "&&":
            self.index += 1
            right = self.compare()
            value = right if _truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self._peek() in ("==", "!="):
            op = self.tokens[self.index][1]
            self.index += 1
            right = self.unary()
            equal = _loose(value) == _loose(right)
            value = equal if op == "==" else not equal
        return value

    def unary(self) -> Any:
        if self._peek() == "!":
            self.index += 1
            return not _truthy(self.unary())
        if self._peek() == "(":
            self.index += 1
            value = self.or_()
            assert self._peek() == ")"
            self.index += 1
            return value
        kind, text = self.tokens[self.index]
        self.index += 1
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if text in ("true", "false"):
            return text == "true"
        if text.endswith("()"):
            return self.context["__functions__"][text[:-2]]()
        value: Any = self.context
        for part in text.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return value


def _truthy(value: Any) -> bool:
    return value not in (None, "", False, 0)


def _loose(value: Any) -> Any:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def interpolate(text: Any, context: Mapping[str, Any]) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: as_text(evaluate(m.group(1), context)), str(text))


# ---------------------------------------------------------------------------- running steps


@dataclass
class StepRecord:
    name: str
    env: dict[str, str]
    returncode: int
    stdout: str
    stderr: str


@dataclass
class ActionResult:
    success: bool
    outputs: dict[str, str]
    steps: list[StepRecord] = field(default_factory=list)


def read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if match := re.fullmatch(r"([\w-]+)<<(.+)", line):
            name, delimiter = match.groups()
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1:end])
            index = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        index += 1
    return outputs


class Runner:
    """One machine: a workspace folder, a temp folder, the stub and the sandbox's URL."""

    def __init__(self, tmp: Path, stub: GitHubStub, toggl_url: str,
                 commits: dict[str, dict[str, str]]) -> None:
        self.tmp, self.stub, self.toggl_url, self.commits = tmp, stub, toggl_url, commits
        self.bin = tmp / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        shim = self.bin / "toggl-reconciler"  # what the install step's pip would provide
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reconciler "$@"\n')
        shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
        self.runs = 0

    def job(self, job_name: str, *, event: str, sha: str, secrets: Mapping[str, str],
            payload: Mapping[str, Any] | None = None, inputs: Mapping[str, str] | None = None,
            ref_name: str = "main", run_head_sha: str | None = None,
            head_branch: str = "main") -> tuple[dict[str, Any], ActionResult | None]:
        """Runs one job of the example workflow; returns the stub's run record and the action's
        result (None when the job's `if:` skipped it)."""
        workflow = yaml.safe_load(EXAMPLE.read_text())
        job = workflow["jobs"][job_name]
        self.runs += 1
        run = self.stub.start_run(event=event, head_sha=run_head_sha or sha, head_branch=head_branch)
        context = {
            "github": {"event_name": event, "sha": sha, "repository": REPO, "run_id": str(run["id"]),
                       "ref_name": ref_name, "event": dict(payload or {}), "token": BOT_TOKEN,
                       "workflow_ref": f"{REPO}/{WORKFLOW}@refs/heads/main"},
            "secrets": dict(secrets), "inputs": dict(inputs or {}), "env": {},
            "__functions__": {"always": lambda: True, "success": lambda: True, "failure": lambda: False},
        }
        if not _truthy(evaluate(str(job.get("if", "true")), context)):
            self.stub.finish_run(run, True)
            return run, None
        workspace = self.tmp / f"run-{run['id']}" / "workspace"
        temp = self.tmp / f"run-{run['id']}" / "temp"
        temp.mkdir(parents=True)
        summary = temp / "step-summary.md"
        result: ActionResult | None = None
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("actions/checkout@"):
                ref = interpolate((step.get("with") or {}).get("ref", "${{ github.sha }}"), context)
                self.checkout(workspace, ref)
            elif OWN_ACTION.match(uses):
                inputs_given = {k: interpolate(v, context) for k, v in (step.get("with") or {}).items()}
                step_env = {k: interpolate(v, context) for k, v in (step.get("env") or {}).items()}
                result = self.action(inputs_given, step_env, context, run, workspace, temp, summary)
            else:
                raise AssertionError(f"the runner does not know the step {step}")
        success = result is None or result.success
        self.stub.finish_run(run, success)
        if result is not None:
            result.outputs["__summary__"] = summary.read_text() if summary.exists() else ""
        return run, result

    def checkout(self, workspace: Path, sha: str) -> None:
        if workspace.exists():
            shutil.rmtree(workspace)
        workspace.mkdir(parents=True)
        for path, content in self.commits[sha].items():
            target = workspace / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)

    def action(self, given: Mapping[str, str], step_env: Mapping[str, str],
               job_context: Mapping[str, Any], run: dict[str, Any], workspace: Path, temp: Path,
               summary: Path) -> ActionResult:
        action = yaml.safe_load(ACTION.read_text())
        context = dict(job_context)
        context["github"] = {**job_context["github"], "action_path": str(ROOT)}
        inputs = {name: interpolate(spec.get("default", ""), context)
                  for name, spec in action["inputs"].items()}
        unknown = set(given) - set(inputs)
        assert not unknown, f"the workflow passes inputs the action does not have: {unknown}"
        inputs.update(given)
        context["inputs"] = inputs
        context["steps"] = {}
        failed = False
        context["__functions__"] = {"always": lambda: True, "success": lambda: not failed,
                                    "failure": lambda: failed}
        path_additions: list[str] = []
        records: list[StepRecord] = []
        for step in action["runs"]["steps"]:
            condition = str(step.get("if", "success()"))
            if not _truthy(evaluate(condition, context)):
                continue
            env = self.base_env(run, context, workspace, temp, summary, path_additions)
            env.update(step_env)
            env.update({k: interpolate(v, context) for k, v in (step.get("env") or {}).items()})
            name = step.get("name", step.get("id", "?"))
            uses = step.get("uses", "")
            if uses.startswith("actions/setup-python@") or step.get("id") == "install":
                records.append(StepRecord(name, env, 0, "", ""))  # the shim stands in for pip
                continue
            if uses.startswith("actions/upload-artifact@"):
                with_ = {k: interpolate(v, context) for k, v in step["with"].items()}
                file = Path(with_["path"])
                self.stub.upload(run["id"], with_["name"], {file.name: file.read_bytes()})
                records.append(StepRecord(name, env, 0, "", ""))
                continue
            output_file = temp / f"output-{len(records)}"
            path_file = temp / f"path-{len(records)}"
            env.update(GITHUB_OUTPUT=str(output_file), GITHUB_PATH=str(path_file))
            process = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                      step["run"]], cwd=workspace, env=env, capture_output=True,
                                     text=True, timeout=180)
            records.append(StepRecord(name, env, process.returncode, process.stdout, process.stderr))
            if path_file.exists():
                path_additions.extend(path_file.read_text().split())
            if "id" in step:
                context["steps"][step["id"]] = {"outputs": read_outputs(output_file)}
            if process.returncode != 0:
                failed = True
        outputs = {name: interpolate(spec["value"], context) for name, spec in action["outputs"].items()}
        return ActionResult(not failed, outputs, records)

    def base_env(self, run: Mapping[str, Any], context: Mapping[str, Any], workspace: Path,
                 temp: Path, summary: Path, path_additions: list[str]) -> dict[str, str]:
        github = context["github"]
        path = os.pathsep.join([*path_additions, str(self.bin), os.environ["PATH"]])
        return {
            "PATH": path, "HOME": str(self.tmp), "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT),  # for the shim only: the tool of this checkout
            "CI": "true", "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": self.stub.url, "GITHUB_GRAPHQL_URL": f"{self.stub.url}/graphql",
            "GITHUB_SERVER_URL": "https://github.test", "GITHUB_REPOSITORY": REPO,
            "GITHUB_RUN_ID": str(run["id"]), "GITHUB_SHA": github["sha"],
            "GITHUB_REF_NAME": github["ref_name"], "GITHUB_EVENT_NAME": github["event_name"],
            "GITHUB_WORKFLOW_REF": github["workflow_ref"], "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp),
            "GITHUB_ACTION_PATH": str(ROOT),
            # Where this machine's Toggl is (a runner variable, not a secret).
            "TOGGL_API_URL": self.toggl_url, "TOGGL_RECONCILER_RETRY_BASE": "0",
        }
