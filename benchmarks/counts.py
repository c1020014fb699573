"""Request counts per scenario, read from the sandbox's own request log.

Counting is not timing, so these runs use the sandbox in this process (`Sandbox.requests`
is its log of every request it answered). Each count sits next to what a per-object tool
would spend: 1 + clients + projects + tags reads (a list, then each live object by itself)
and one write per changed object.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from reconciler.errors import EXIT_OK
from reconciler.sandbox import Sandbox, SandboxConfig

from benchmarks.sandbox_process import BENCH_TOKEN, api_env
from benchmarks.timing import BenchmarkError, plan_argv, run_cli
from benchmarks.workload import Workload, archive_projects, load_into_store, spec_text

REPO_ROOT = Path(__file__).resolve().parents[1]
AGENCY_SPEC = REPO_ROOT / "examples" / "agency.yaml"
AGENCY_WORKSPACE = "Acme Agency"
AGENCY_OBJECTS = 10 + 40 + 15  # clients + projects + tags, as the example's header says


@dataclass(frozen=True)
class RequestCount:
    scenario: str
    reads: int
    writes: int
    per_object_reads: int
    per_object_writes: int
    write_goal: int | None = None  # at most this many writes, when the scenario has a goal

    @property
    def total(self) -> int:
        return self.reads + self.writes

    @property
    def per_object_total(self) -> int:
        return self.per_object_reads + self.per_object_writes


def _count(workload: Workload | None, workspace: str, argv: Sequence[str]) -> tuple[int, int]:
    """(reads, writes) the sandbox saw while the CLI ran `argv` against `workload`."""
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=BENCH_TOKEN))
    if workload is None:
        sandbox.store.ensure_workspace(workspace)
    else:
        load_into_store(sandbox.store, workload)
    with sandbox:
        run_cli(argv, api_env(sandbox.url), EXIT_OK)
        records = list(sandbox.requests)
    failed = [f"{r.method} {r.path} -> {r.status}" for r in records if not 200 <= r.status < 300]
    if failed:
        raise BenchmarkError(f"requests failed during `{argv[0]}`: {failed[:5]}")
    reads = sum(1 for r in records if r.method == "GET")
    return reads, len(records) - reads


def count_plan(workload: Workload, work_dir: Path) -> RequestCount:
    spec = _write(work_dir / "plan-count.yaml", spec_text(workload))
    reads, writes = _count(workload, workload.workspace, plan_argv(spec))
    return RequestCount(f"plan, {len(workload.projects):,} projects, no change", reads, writes,
                        1 + workload.size, 0, write_goal=0)


def count_bootstrap() -> RequestCount:
    argv = ["apply", str(AGENCY_SPEC), "--auto-approve"]
    reads, writes = _count(None, AGENCY_WORKSPACE, argv)
    return RequestCount("bootstrap examples/agency.yaml (empty workspace)", reads, writes,
                        1, AGENCY_OBJECTS)


def count_archive(workload: Workload, archived: int, work_dir: Path, goal: int) -> RequestCount:
    # 500 removals pass the default safety thresholds only with --force, as a user would run it.
    spec = _write(work_dir / "archive-count.yaml", spec_text(archive_projects(workload, archived)))
    reads, writes = _count(workload, workload.workspace,
                           ["apply", str(spec), "--auto-approve", "--force"])
    return RequestCount(f"archive {archived:,} of {len(workload.projects):,} projects",
                        reads, writes, 1 + workload.size, archived, write_goal=goal)


def count_creates(creates: Workload, work_dir: Path) -> RequestCount:
    spec = _write(work_dir / "creates-count.yaml", spec_text(creates))
    reads, writes = _count(None, creates.workspace, ["apply", str(spec), "--auto-approve"])
    return RequestCount(f"apply {creates.size:,} creates (empty workspace)", reads, writes,
                        1, creates.size, write_goal=creates.size)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
