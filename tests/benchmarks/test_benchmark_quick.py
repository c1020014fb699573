"""The quick benchmark's request counts: what each scenario costs in API calls (never times).

Requests are the product's budget (Toggl allows 30 to 600 an hour), so a change that makes a
plan read per object, or an apply stop batching, fails here long before anyone runs the full
benchmark. Expected counts follow from the API rules the product relies on: 200 projects a
page (plus the short page that ends the listing), one call each for workspaces, clients and
tags, 100 ids per bulk PATCH, one POST per created object.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.counts import RequestCount
from benchmarks.run import QUICK, measure_counts

PROJECT_PAGES = QUICK.plan_projects // 200 + 1  # full pages, then the empty one that ends it
PLAN_READS = 3 + PROJECT_PAGES  # /me/workspaces, clients, tags, project pages
EMPTY_WORKSPACE_READS = 4  # the same four listings, each one page
AGENCY_CREATES = 10 + 40 + 15
ARCHIVE_WRITES = QUICK.archived // 100  # one bulk PATCH per 100 projects


@pytest.fixture(scope="module")
def quick_counts(tmp_path_factory: pytest.TempPathFactory) -> list[RequestCount]:
    return measure_counts(QUICK, Path(tmp_path_factory.mktemp("bench")))


@pytest.mark.parametrize(
    ("index", "scenario_start", "reads", "writes"),
    [
        (0, "plan,", PLAN_READS, 0),
        (1, "bootstrap", EMPTY_WORKSPACE_READS, AGENCY_CREATES),
        (2, "archive", PLAN_READS, ARCHIVE_WRITES),
        (3, "apply", EMPTY_WORKSPACE_READS, sum(QUICK.creates)),
    ],
)
def test_scenario_costs_exactly_the_expected_requests(
    quick_counts: list[RequestCount], index: int, scenario_start: str, reads: int, writes: int
) -> None:
    count = quick_counts[index]
    assert count.scenario.startswith(scenario_start)
    assert (count.reads, count.writes) == (reads, writes)


def test_every_write_goal_is_met(quick_counts: list[RequestCount]) -> None:
    with_goal = [c for c in quick_counts if c.write_goal is not None]
    assert len(with_goal) == 3
    assert all(c.writes <= c.write_goal for c in with_goal if c.write_goal is not None)


@pytest.mark.parametrize("index", [0, 2])
def test_reads_stay_far_below_a_per_object_tool(
    quick_counts: list[RequestCount], index: int
) -> None:
    # 1,000 projects, 100 clients, 100 tags: a per-object tool reads 1,201 times.
    count = quick_counts[index]
    assert count.per_object_reads == 1 + QUICK.plan_projects + 2 * (QUICK.plan_projects // 10)
    assert count.reads * 100 < count.per_object_reads
