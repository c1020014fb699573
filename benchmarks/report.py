"""The figures as one Markdown table, and results.md: the table plus the machine it ran on."""

from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass
from typing import Sequence

from benchmarks.counts import RequestCount
from benchmarks.phases import PlanPhases
from benchmarks.timing import MemoryFigure, PlannerFigure, Timed

# "Roughly constant" per-project planner time, made checkable: no size may cost more than
# twice the smallest size's time per project.
LINEARITY_MAX_RATIO = 2.0


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    goal: str = ""
    met: bool | None = None  # None: a figure with no goal

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("yes" if self.met else "**NO**")


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| Figure | Measured | Goal / comparison | Met |", "|---|---|---|---|"]
    lines += [f"| {r.figure} | {r.measured} | {r.goal} | {r.verdict} |" for r in rows]
    return "\n".join(lines) + "\n"


def _seconds_with_gc(timed: Timed) -> str:
    return f"{timed.seconds:.3f} s (GC {timed.gc_seconds:.3f} s)"


def plan_rows(projects: int, plan: Timed, floor: Timed, repeats: int,
              max_ratio: float) -> list[Row]:
    ratio = plan.seconds / floor.seconds
    return [
        Row(f"plan, {projects:,} projects, no change (CLI end to end, median of {repeats})",
            _seconds_with_gc(plan)),
        Row(f"floor: yaml.load CSafeLoader of the same spec (median of {repeats})",
            _seconds_with_gc(floor)),
        Row("plan / floor", f"{ratio:.2f}", f"<= {max_ratio}", ratio <= max_ratio),
    ]


def phase_rows(phases: PlanPhases, repeats: int) -> list[Row]:
    """The plan's phases, each timed alone (median of `repeats`): where its time goes."""
    return [
        Row(f"- phase: load_specs (median of {repeats})", f"{phases.load_specs:.3f} s"),
        Row(f"- phase: read_live_state (median of {repeats})", f"{phases.read_live:.3f} s",
            f"same GETs with bare requests: {phases.http_floor:.3f} s (sandbox + HTTP + json)"),
        Row(f"- phase: build_plan (median of {repeats})", f"{phases.build_plan:.3f} s"),
    ]


def what_if_rows(phases: PlanPhases, floor: Timed, repeats: int, max_ratio: float) -> list[Row]:
    """Changes the owner could make, timed by the benchmark (not the product's figures)."""
    rows = []
    for label, seconds in (("plan with the garbage collector off", phases.plan_without_gc),
                           ("spec load overlapped with the live read (thread), then "
                            "build_plan", phases.overlapped)):
        rows.append(Row(f"- what-if, not the product: {label} (median of {repeats})",
                        f"{seconds:.3f} s = {seconds / floor.seconds:.2f} x floor",
                        f"<= {max_ratio} x floor"))
    return rows


def memory_row(projects: int, memory: MemoryFigure, max_mb: float) -> Row:
    return Row(f"peak RSS of that plan ({projects:,} projects, child process)",
               f"{memory.peak_mb:.0f} MB ({memory.baseline_mb:.0f} MB after imports)",
               f"< {max_mb:.0f} MB", memory.peak_mb < max_mb)


def planner_rows(figures: Sequence[PlannerFigure], repeats: int) -> list[Row]:
    base = figures[0].microseconds_per_project
    rows = []
    for figure in figures:
        ratio = figure.microseconds_per_project / base
        rows.append(Row(
            f"build_plan alone, {figure.projects:,} projects (median of {repeats})",
            f"{figure.seconds * 1000:.1f} ms = {figure.microseconds_per_project:.2f} us/project "
            f"(x{ratio:.2f} of {figures[0].projects:,}); "
            f"{figure.calls_per_project:.1f} calls/project",
            f"~constant per project (x <= {LINEARITY_MAX_RATIO})", ratio <= LINEARITY_MAX_RATIO,
        ))
    return rows


def apply_row(creates: int, seconds: float, runs: int, max_seconds: float) -> Row:
    label = "median of " + str(runs) if runs > 1 else "one run"
    return Row(f"apply {creates:,} creates, CLI end to end ({label})", f"{seconds:.2f} s",
               f"< {max_seconds:.0f} s", seconds < max_seconds)


def count_row(count: RequestCount) -> Row:
    met = None if count.write_goal is None else count.writes <= count.write_goal
    goal = f"per-object tool: {count.per_object_reads:,} reads + {count.per_object_writes:,} " \
           f"writes = {count.per_object_total:,}"
    if count.write_goal is not None:
        goal += f"; goal <= {count.write_goal:,} writes"
    return Row(f"requests: {count.scenario}",
               f"{count.reads:,} reads + {count.writes:,} writes = {count.total:,}", goal, met)


def load_average() -> str:
    """The 1/5/15-minute load averages: timings from a busy machine need this context."""
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:  # not available on this platform
        return "unknown"


def machine_lines(mode: str, load_at_start: str, work_dir: str) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- Date: {now}",
        f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs",
        f"- Python: {platform.python_version()} ({platform.python_implementation()})",
        f"- Load average at start: {load_at_start}; at the end: {load_average()}",
        f"- Mode: {mode}; sandbox databases and specs in {work_dir}",
    ]


def results_document(table: str, mode: str, load_at_start: str, work_dir: str) -> str:
    header = ["# Benchmark results", "", "Written by `python benchmarks/run.py`; see "
              "benchmarks/README.md for what each figure means.", ""]
    return "\n".join(header + machine_lines(mode, load_at_start, work_dir) + ["", table])
