"""Each object's identity key is computed once per plan, not at every lookup.

Counted with cProfile, so the test does not depend on which engine module imports the key
functions. A 10,000-project plan once folded every project's names about 15 times; the bounds
leave room for a few extra folds but fail well before that.
"""

from __future__ import annotations

import cProfile
import pstats

import pytest

from reconciler.engine.planner import build_plan
from reconciler.model import DesiredState, LiveState, UnmanagedPolicy

from .factories import client, desired, live, live_client, live_project, project

_PROJECTS = 2_000


def _workspace(unmanaged: UnmanagedPolicy) -> tuple[DesiredState, LiveState]:
    """Ten projects per client; every fifth one renamed, one in ten left out of the spec."""
    clients = [live_client(i, f"Client {i}") for i in range(_PROJECTS // 10)]
    projects = [live_project(1_000 + i, f"Project {i}", i % len(clients)) for i in range(_PROJECTS)]
    entries = [
        project(f"Renamed {i}" if i % 5 == 0 else f"Project {i}", f"Client {i % len(clients)}",
                previous=[f"Project {i}"], color="#d92b2b")
        for i in range(_PROJECTS)
        if i % 10 != 9
    ]
    spec = desired(
        [client(c.name) for c in clients],
        entries,
        unmanaged={"client": "ignore", "project": unmanaged, "tag": "ignore"},
    )
    return spec, live(clients, projects)


def _calls_per_project(spec: DesiredState, state: LiveState) -> dict[str, float]:
    profile = cProfile.Profile()
    profile.enable()
    build_plan(spec, state)
    profile.disable()
    counts = {"name_key": 0, "project_key": 0}
    for (_, _, function), (_, calls, *_) in pstats.Stats(profile).stats.items():
        if function in counts:
            counts[function] += calls
    return {function: calls / _PROJECTS for function, calls in counts.items()}


@pytest.mark.parametrize("unmanaged", ["ignore", "archive", "delete"])
def test_each_name_is_folded_a_few_times_per_project_at_most(unmanaged: UnmanagedPolicy) -> None:
    calls = _calls_per_project(*_workspace(unmanaged))
    # Per project: its spec key (2 folds), its live name, its previous name; plus the clients.
    assert calls["name_key"] <= 5
    assert calls["project_key"] <= 1.5
