"""The planner is linear: 10x and 50x the projects cost about 10x and 50x the time.

Ratios, not absolute times, so a slow machine does not fail the test; the bounds sit well
below what a quadratic planner would need (100x and 2500x).
"""

from __future__ import annotations

import gc
import random
import time

from reconciler.engine.planner import build_plan
from reconciler.model import DesiredState, LiveState

from .factories import client, desired, live, live_client, live_project, live_tag, project, tag


def _workspace(size: int) -> tuple[DesiredState, LiveState]:
    """`size` live projects over size/10 clients; the spec renames, moves, archives, creates."""
    rng = random.Random(size)
    client_count = max(size // 10, 1)
    live_clients = [live_client(i, f"Client {i}", archived=i % 7 == 0) for i in range(client_count)]
    live_projects = [
        live_project(10_000_000 + i, f"Project {i}", i % client_count, active=i % 5 != 0,
                     seconds=i)
        for i in range(size)
    ]
    entries = []
    for i in range(size):
        home = f"Client {i % client_count}"
        roll = rng.random()
        if roll < 0.05:
            entries.append(project(f"Renamed {i}", home, previous=[f"Project {i}"]))
        elif roll < 0.10:
            entries.append(project(f"Project {i}", f"Client {(i + 1) % client_count}",
                                   move_from=f"{home}/Project {i}"))
        elif roll < 0.15:
            entries.append(project(f"Project {i}", home, active=False))
        elif roll < 0.80:
            entries.append(project(f"Project {i}", home, color="#d92b2b"))
        # the rest stay unmanaged
    entries.extend(project(f"New {i}", "Client 0") for i in range(size // 20))
    spec = desired(
        [client(c.name) for c in live_clients],
        entries,
        [tag(f"tag {i}") for i in range(size // 10)],
        unmanaged={"client": "archive", "project": "delete", "tag": "delete"},
    )
    state = live(live_clients, live_projects, [live_tag(i, f"Tag {i}") for i in range(size // 20)])
    return spec, state


def _best_time(spec: DesiredState, state: LiveState, runs: int) -> float:
    """Best CPU time of a few runs: CPU time ignores other processes on a busy machine, and
    with the collector paused the numbers measure the planner, not the heap's size."""
    times = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            build_plan(spec, state)
            times.append(time.process_time() - started)
        finally:
            gc.enable()
    return min(times)


def test_planning_time_grows_linearly_with_the_number_of_projects() -> None:
    small, medium, large = (_workspace(size) for size in (1_000, 10_000, 50_000))
    base = _best_time(*small, runs=7)
    medium_ratio = _best_time(*medium, runs=3) / base
    large_ratio = _best_time(*large, runs=2) / base
    assert medium_ratio < 30, medium_ratio  # linear ~10 (measured 12), quadratic ~100
    assert large_ratio < 200, large_ratio  # linear ~50 (measured 64-70), quadratic ~2500


def test_the_scaling_workspace_exercises_every_kind_of_change() -> None:
    plan = build_plan(*_workspace(1_000))
    assert all(count > 0 for count in plan.summary().values()), plan.summary()
