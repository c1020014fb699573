"""Benchmarks of toggl-reconciler against the local sandbox; prints one Markdown table.

    python benchmarks/run.py            # full: 10k-project plan, 1k/10k/50k planner, 1,000 creates
    python benchmarks/run.py --quick    # CI-sized, well under a minute
    python benchmarks/run.py --profile  # also: cProfile of one full-size plan, to stderr

See benchmarks/README.md for what each figure means and its goal.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

# Run as a script (`python benchmarks/run.py`), this folder is sys.path[0]; the checkout root
# must come first so that `benchmarks.*` and this checkout's `reconciler` import.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks import ambiguous, counts, phases, report, timing  # noqa: E402
from benchmarks.counts import RequestCount  # noqa: E402
from benchmarks.sandbox_process import SandboxProcess, api_env, prepare_db  # noqa: E402
from benchmarks.workload import (  # noqa: E402
    Workload,
    make_workload,
    proportional_workload,
    spec_text,
)

RESULTS_FILE = REPO_ROOT / "benchmarks" / "results.md"
# The sandbox commits every write request to SQLite, and a commit on a disk waits for fsync
# (measured here: ~17 ms a write, 18-20 s for 1,000 creates, against ~3 s on tmpfs). That
# times the disk, not the product, so the databases live in memory-backed /dev/shm if there is one.
MEMORY_BACKED_DIR = Path("/dev/shm")
PLAN_FLOOR_MAX_RATIO = 1.5
PLAN_MAX_MB = 200.0
APPLY_MAX_SECONDS = 10.0
ARCHIVE_MAX_WRITES = 5


@dataclass(frozen=True)
class Scale:
    name: str
    plan_projects: int  # the no-change plan's workspace (clients and tags: a tenth each)
    linearity_sizes: tuple[int, ...]
    repeats: int  # of each timed plan and floor
    creates: tuple[int, int, int]  # clients, projects, tags created by the apply scenario
    apply_runs: int
    archived: int  # projects the archive scenario archives, in the plan_projects workspace


FULL = Scale("full", 10_000, (1_000, 10_000, 50_000), 5, (50, 900, 50), 3, 500)
QUICK = Scale("quick", 1_000, (500, 1_000, 5_000), 3, (10, 180, 10), 1, 500)


def creates_workload(scale: Scale) -> Workload:
    clients, projects, tags = scale.creates
    return make_workload(projects, clients, tags, seed=11)


# ---------------------------------------------------------------- request counts


def measure_counts(scale: Scale, work_dir: Path) -> list[RequestCount]:
    """Every request-count scenario at this scale (no timing: safe for a test to assert)."""
    workload = proportional_workload(scale.plan_projects)
    return [
        counts.count_plan(workload, work_dir),
        counts.count_bootstrap(),
        counts.count_archive(workload, scale.archived, work_dir, ARCHIVE_MAX_WRITES),
        counts.count_creates(creates_workload(scale), work_dir),
    ]


# ---------------------------------------------------------------- timings


def measure_plan(scale: Scale, work_dir: Path) -> list[report.Row]:
    workload = proportional_workload(scale.plan_projects)
    db, spec = work_dir / "plan.db", work_dir / "plan.yaml"
    prepare_db(db, workload, workload.workspace)
    spec.write_text(spec_text(workload), encoding="utf-8")
    with SandboxProcess(db) as sandbox:
        env = api_env(sandbox.url)
        plan = timing.time_plan(spec, env, scale.repeats)
        floor = timing.time_yaml_floor(spec, scale.repeats)
        memory = timing.plan_peak_memory(spec, env)
        plan_phases = phases.measure_phases(spec, env, scale.repeats)
    return [
        *report.plan_rows(scale.plan_projects, plan, floor, scale.repeats, PLAN_FLOOR_MAX_RATIO),
        *report.phase_rows(plan_phases, scale.repeats),
        *report.what_if_rows(plan_phases, floor, scale.repeats, PLAN_FLOOR_MAX_RATIO),
        report.memory_row(scale.plan_projects, memory, PLAN_MAX_MB),
    ]


def measure_apply(scale: Scale, work_dir: Path) -> report.Row:
    creates = creates_workload(scale)
    spec = work_dir / "creates.yaml"
    spec.write_text(spec_text(creates), encoding="utf-8")
    samples = []
    for run in range(scale.apply_runs):
        db = work_dir / f"apply-{run}.db"  # a fresh empty workspace each run
        prepare_db(db, None, creates.workspace)
        with SandboxProcess(db) as sandbox:
            samples.append(timing.time_apply(spec, api_env(sandbox.url)))
    samples.sort()
    return report.apply_row(creates.size, samples[len(samples) // 2], len(samples),
                            APPLY_MAX_SECONDS)


def measure_all(scale: Scale, work_dir: Path) -> list[report.Row]:
    rows = measure_plan(scale, work_dir)
    rows += report.planner_rows(timing.planner_linearity(scale.linearity_sizes, scale.repeats),
                                scale.repeats)
    rows.append(measure_apply(scale, work_dir))
    rows += [report.count_row(count) for count in measure_counts(scale, work_dir)]
    return rows


# ---------------------------------------------------------------- profiling


def profile_plan(scale: Scale, work_dir: Path, top: int = 30) -> str:
    """cProfile of one no-change plan (CLI in process, sandbox in its own process)."""
    workload = proportional_workload(scale.plan_projects)
    db, spec = work_dir / "profile.db", work_dir / "profile.yaml"
    prepare_db(db, workload, workload.workspace)
    spec.write_text(spec_text(workload), encoding="utf-8")
    profiler = cProfile.Profile()
    with SandboxProcess(db) as sandbox:
        env = api_env(sandbox.url)
        timing.run_cli(timing.plan_argv(spec), env)  # warm: the figure is the steady state
        profiler.runcall(timing.run_cli, timing.plan_argv(spec), env)
    text = io.StringIO()
    for order in ("tottime", "cumulative"):
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats(order).print_stats(top)
    return text.getvalue()


# ---------------------------------------------------------------- command line


def default_work_root() -> Path | None:
    if MEMORY_BACKED_DIR.is_dir() and os.access(MEMORY_BACKED_DIR, os.W_OK):
        return MEMORY_BACKED_DIR
    return None  # the system temp folder


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized run, under a minute")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of one plan to stderr")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where the sandbox databases and specs go (default: /dev/shm if "
                             "present, else the system temp folder)")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"results file (default: {RESULTS_FILE.name} for a full run, "
                             "none for --quick)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    scale = QUICK if args.quick else FULL
    output = args.output if args.output is not None else (None if args.quick else RESULTS_FILE)
    kept_sections = _ambiguous_section()
    load_at_start = report.load_average()
    work_root = args.work_dir or default_work_root()
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-", dir=work_root) as tmp:
        work_dir = Path(tmp)
        table = report.markdown_table(measure_all(scale, work_dir))
        if args.profile:
            sys.stderr.write(profile_plan(scale, work_dir))
    sys.stdout.write(table)
    if output is not None:
        document = report.results_document(table, scale.name, load_at_start,
                                           str(work_root or tempfile.gettempdir()))
        output.write_text(document, encoding="utf-8")
        if output == RESULTS_FILE and kept_sections:  # benchmarks/ambiguous.py writes its own
            ambiguous.write_results(kept_sections, output)
    return 0


def _ambiguous_section() -> str:
    text = RESULTS_FILE.read_text(encoding="utf-8") if RESULTS_FILE.exists() else ""
    return text[text.index(ambiguous.SECTION):] if ambiguous.SECTION in text else ""


if __name__ == "__main__":
    sys.exit(main())
