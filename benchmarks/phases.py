"""Where a plan's time goes: each phase of `plan` timed alone, and two what-ifs.

The phases are the ones `reconciler.cli.commands.plan_workspace` runs: load the spec, read the
live workspace, build the plan. Next to reading, the same GETs made with a bare
`requests.Session` give the floor of the live read: the sandbox's own work and HTTP, with no
parsing by the product. The difference is what the product's client and live reader add.

The what-ifs are NOT the product: they time changes the owner could make, to show what each
would buy. One runs the CLI plan with the garbage collector off; the other reads the live
workspace in a thread while the spec loads (the HTTP waits release the GIL and the server is
another process), then plans.
"""

from __future__ import annotations

import gc
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import requests

from reconciler.engine.planner import build_plan
from reconciler.live import read_live_state
from reconciler.spec import load_specs
from reconciler.toggl import TogglClient

from benchmarks.sandbox_process import BENCH_TOKEN
from benchmarks.timing import median_seconds, plan_argv, run_cli

PAGE_SIZE = 200  # the product's page size for projects (Toggl's maximum)


@dataclass(frozen=True)
class PlanPhases:
    load_specs: float
    read_live: float
    http_floor: float  # the same GETs, bare: sandbox + HTTP + json, no product parsing
    build_plan: float
    plan_without_gc: float  # what-if: the CLI plan with gc.disable() around it
    overlapped: float  # what-if: load_specs while read_live_state runs in a thread, then plan


def measure_phases(spec: Path, env: Mapping[str, str], repeats: int) -> PlanPhases:
    desired = load_specs([str(spec)])[0]
    with TogglClient.from_env(env) as client:
        live = read_live_state(client, desired.workspace)
        read_live = median_seconds(lambda: read_live_state(client, desired.workspace), repeats)
    return PlanPhases(
        load_specs=median_seconds(lambda: load_specs([str(spec)]), repeats),
        read_live=read_live,
        http_floor=median_seconds(lambda: bare_reads(env, live.workspace_id), repeats),
        build_plan=median_seconds(lambda: build_plan(desired, live), repeats),
        plan_without_gc=median_seconds(lambda: _without_gc(spec, env), repeats),
        overlapped=median_seconds(lambda: _overlapped(spec, env, desired.workspace), repeats),
    )


def _without_gc(spec: Path, env: Mapping[str, str]) -> None:
    gc.disable()
    try:
        run_cli(plan_argv(spec), env)
    finally:
        gc.enable()


def _overlapped(spec: Path, env: Mapping[str, str], workspace: str | int) -> float:
    # The workspace is known up front here; the product would peek at `workspace:` first.
    with ThreadPoolExecutor(max_workers=1) as pool, TogglClient.from_env(env) as client:
        started = time.perf_counter()
        reading = pool.submit(read_live_state, client, workspace)
        desired = load_specs([str(spec)])[0]
        build_plan(desired, reading.result())
        return time.perf_counter() - started


def bare_reads(env: Mapping[str, str], workspace_id: int) -> int:
    """The GETs a plan makes, with a plain session; the number of projects read."""
    root = f"{env['TOGGL_API_URL']}/api/v9"
    with requests.Session() as session:
        session.auth = (BENCH_TOKEN, "api_token")
        session.get(f"{root}/me/workspaces").json()
        session.get(f"{root}/workspaces/{workspace_id}/clients", params={"status": "both"}).json()
        session.get(f"{root}/workspaces/{workspace_id}/tags").json()
        return _bare_projects(session, f"{root}/workspaces/{workspace_id}/projects")


def _bare_projects(session: requests.Session, url: str) -> int:
    total, page = 0, 1
    while True:
        params = {"active": "both", "per_page": PAGE_SIZE, "page": page}
        items = session.get(url, params=params).json() or []
        total, page = total + len(items), page + 1
        if len(items) < PAGE_SIZE:
            return total
