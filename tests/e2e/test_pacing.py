"""Pacing (issue 13.4) over real HTTP: an apply against a rate-limited sandbox meets at most one
429, at the rate it was told (Toggl's leaky bucket) and through Maton (the gateway's 10/s).
Asserts the 429 count, never the time (benchmarks/pacing.py measures the time)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.sandbox.dispatch import MATON_CONNECTION_ID
from tests.e2e.conftest import TOKEN, Harness


@pytest.fixture
def limited(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Harness]:
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, **request.param))
    sandbox.start()
    try:
        yield Harness(sandbox, tmp_path)
    finally:
        sandbox.stop()


def _tags_spec(harness: Harness, count: int) -> str:
    return harness.spec("tags: [" + ", ".join(f"t{index}" for index in range(count)) + "]\n")


def _refused(harness: Harness) -> int:
    return sum(1 for record in harness.sandbox.requests if record.status == 429)


@pytest.mark.parametrize("limited", [{"rate_limit_per_second": 5.0}], indirect=True)
def test_an_apply_at_the_servers_rate_meets_at_most_one_429(limited: Harness) -> None:
    spec = _tags_spec(limited, 5)
    planned = limited.cli("plan", spec, "--rate", "5")
    assert planned.code == 0, planned.output
    result = limited.cli("apply", spec, "--auto-approve", "--rate", "5")
    assert result.code == 0, result.output
    assert limited.names("tag") == [f"t{index}" for index in range(5)]
    assert len(limited.sandbox.requests) >= 12
    # Paced from each run's first request: none refused, at most one across the two runs
    # for a scheduling hiccup. (A client that learns the pace from 429s meets one per run.)
    assert _refused(limited) <= 1


@pytest.mark.parametrize("limited", [{"rate_limit_per_second": 5.0}], indirect=True)
def test_the_rate_variable_is_read_and_a_bad_rate_is_a_usage_error(limited: Harness) -> None:
    spec = _tags_spec(limited, 5)
    env = {**limited.env, "TOGGL_RECONCILER_RATE": "5"}
    assert limited.cli("apply", spec, "--auto-approve", env=env).code == 0
    assert _refused(limited) <= 1
    bad = limited.cli("plan", spec, "--rate", "fast\n::error::x")
    assert bad.code == 1
    assert "--rate" in bad.stderr and "requests per second" in bad.stderr
    assert "\n::error" not in bad.stderr


@pytest.mark.parametrize("limited", [{"maton_rate_limit_per_second": 10.0,
                                      "maton_rate_burst": 1}], indirect=True)
def test_through_maton_the_gateways_10_per_second_caps_a_faster_chosen_rate(
        limited: Harness) -> None:
    env = {"MATON_API_KEY": TOKEN, "TOGGL_API_URL": f"{limited.sandbox.url}/toggl-track",
           "MATON_CTRL_URL": limited.sandbox.url, "MATON_CONNECTION": MATON_CONNECTION_ID,
           "TOGGL_RECONCILER_RATE": "100"}
    spec = _tags_spec(limited, 8)
    result = limited.cli("apply", spec, "--auto-approve", env=env)
    assert result.code == 0, result.output
    assert len(limited.sandbox.requests) >= 10
    assert _refused(limited) <= 1
