"""End-to-end fixtures: the real CLI (`reconciler.cli.main`) over real HTTP against the sandbox."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from reconciler.cli import main
from reconciler.sandbox import Sandbox, SandboxConfig

TOKEN = "e2e-secret-token-0123456789abcdef"
WORKSPACE = "Acme Agency"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Harness:
    """One sandbox, one workspace, and a way to run the CLI against them."""

    def __init__(self, sandbox: Sandbox, tmp_path: Path) -> None:
        self.sandbox = sandbox
        self.tmp_path = tmp_path
        self.store = sandbox.store
        self.wid = sandbox.store.ensure_workspace(WORKSPACE)

    @property
    def env(self) -> dict[str, str]:
        return {"TOGGL_API_URL": self.sandbox.url, "TOGGL_API_TOKEN": TOKEN}

    def cli(self, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> CliResult:
        stdout, stderr = io.StringIO(), io.StringIO()
        code = main(list(args), env=self.env if env is None else env,
                    stdin=io.StringIO(stdin), stdout=stdout, stderr=stderr)
        return CliResult(code, stdout.getvalue(), stderr.getvalue())

    def spec(self, body: str, name: str = "spec.yaml", workspace: str | int = WORKSPACE) -> str:
        path = self.tmp_path / name
        header = f"version: 1\nworkspace: {workspace!r}\n" if isinstance(workspace, str) else \
            f"version: 1\nworkspace: {workspace}\n"
        path.write_text(header + textwrap.dedent(body), encoding="utf-8")
        return str(path)

    def writes(self) -> list[Any]:
        return [r for r in self.sandbox.requests if r.method != "GET"]

    def reads(self) -> list[Any]:
        return [r for r in self.sandbox.requests if r.method == "GET"]

    def names(self, kind: str) -> list[str]:
        rows = {"client": self.store.clients, "project": self.store.projects,
                "tag": self.store.tags}[kind](self.wid)
        return sorted(row["name"] for row in rows)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN))
    sandbox.start()
    try:
        yield Harness(sandbox, tmp_path)
    finally:
        sandbox.stop()
