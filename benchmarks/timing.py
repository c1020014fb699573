"""The timed scenarios: plan end to end, its YAML floor, its peak memory, the planner alone
at three sizes, and an apply of many creates. Wall times come from `time.perf_counter`."""

from __future__ import annotations

import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import yaml

from reconciler.cli import main as cli_main
from reconciler.engine.planner import build_plan
from reconciler.gc_pause import collector_paused
from reconciler.errors import EXIT_OK

from benchmarks.workload import desired_state, live_state, proportional_workload

PLAN_CHILD = Path(__file__).resolve().with_name("plan_child.py")


class BenchmarkError(RuntimeError):
    """A scenario did not do what it measures (e.g. a no-change plan found changes)."""


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        gc.collect()  # so that no sample pays for the garbage of the one before
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


class GcClock:
    """Adds up the wall time the cyclic garbage collector runs while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: Mapping[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started

    def measure(self, action: Callable[[], object]) -> tuple[float, float]:
        """(wall seconds, of which in the garbage collector) of one call of `action`."""
        self.seconds = 0.0
        gc.collect()
        gc.callbacks.append(self)
        try:
            started = time.perf_counter()
            action()
            return time.perf_counter() - started, self.seconds
        finally:
            gc.callbacks.remove(self)


def run_cli(argv: Sequence[str], env: Mapping[str, str], expected: int = EXIT_OK) -> str:
    """Run the real CLI in this process; its stdout, or BenchmarkError on another exit code."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli_main(list(argv), env=dict(env), stdin=io.StringIO(""), stdout=stdout, stderr=stderr)
    if code != expected:
        raise BenchmarkError(f"`{' '.join(argv[:1])}` exited {code}, expected {expected}: "
                             f"{(stderr.getvalue() or stdout.getvalue())[-2000:]}")
    return stdout.getvalue()


def plan_argv(spec: Path) -> list[str]:
    return ["plan", str(spec), "--detailed-exitcode"]


@dataclass(frozen=True)
class Timed:
    seconds: float  # the median wall time
    gc_seconds: float  # of which the garbage collector ran, in that median sample


def median_with_gc(action: Callable[[], object], repeats: int) -> Timed:
    clock = GcClock()
    samples = sorted(clock.measure(action) for _ in range(repeats))
    return Timed(*samples[len(samples) // 2])


def time_plan(spec: Path, env: Mapping[str, str], repeats: int) -> Timed:
    """Median wall time of a no-change plan; exit 0 under --detailed-exitcode proves no changes."""
    return median_with_gc(lambda: run_cli(plan_argv(spec), env), repeats)


def time_yaml_floor(spec: Path, repeats: int) -> Timed:
    """Median time of the fastest YAML parse PyYAML offers: no plan can load its spec faster."""
    text = spec.read_text(encoding="utf-8")
    return median_with_gc(lambda: yaml.load(text, Loader=yaml.CSafeLoader), repeats)


@dataclass(frozen=True)
class MemoryFigure:
    peak_mb: float  # ru_maxrss of the child after the plan
    baseline_mb: float  # ru_maxrss of the child after its imports, before the plan


def plan_peak_memory(spec: Path, env: Mapping[str, str]) -> MemoryFigure:
    """Peak RSS of a plan run in a fresh child process (plan_child.py reports its getrusage)."""
    child_env = {**os.environ, **env,
                 "PYTHONPATH": os.pathsep.join(filter(None, (str(PLAN_CHILD.parents[1]),
                                                             os.environ.get("PYTHONPATH"))))}
    done = subprocess.run([sys.executable, str(PLAN_CHILD), str(spec)], env=child_env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"the plan child failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return MemoryFigure(report["peak_kb"] / 1024, report["baseline_kb"] / 1024)


@dataclass(frozen=True)
class PlannerFigure:
    projects: int
    seconds: float
    calls: int  # Python function calls of one build_plan (cProfile): linear work, machine-free

    @property
    def microseconds_per_project(self) -> float:
        return self.seconds / self.projects * 1e6

    @property
    def calls_per_project(self) -> float:
        return self.calls / self.projects


def planner_linearity(sizes: Sequence[int], repeats: int) -> list[PlannerFigure]:
    """`build_plan` alone on in-memory states that match (no changes), at each size."""
    figures = []
    for projects in sizes:
        workload = proportional_workload(projects)
        desired, live = desired_state(workload), live_state(workload)
        if build_plan(desired, live).has_changes:
            raise BenchmarkError(f"the {projects}-project in-memory states do not match")
        # As the CLI runs it: with the cyclic collector paused, whose full passes over a large
        # heap would otherwise add a cost that grows with the heap, not with the planner's work.
        with collector_paused():
            seconds = median_seconds(lambda: build_plan(desired, live), repeats)
        figures.append(PlannerFigure(projects, seconds, count_calls(build_plan, desired, live)))
    return figures


def count_calls(function: Callable[..., object], *args: object) -> int:
    """Function calls made by one call of `function`: a work count that CPU noise cannot move."""
    profiler = cProfile.Profile()
    profiler.runcall(function, *args)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    return sum(entry[1] for entry in stats.values())  # entry[1]: calls, recursion included


def time_apply(spec: Path, env: Mapping[str, str]) -> float:
    """Wall time of `apply --auto-approve` (plan included), once: it changes the workspace."""
    started = time.perf_counter()
    run_cli(["apply", str(spec), "--auto-approve"], env)
    return time.perf_counter() - started
