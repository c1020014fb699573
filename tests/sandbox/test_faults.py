"""Seeded faults: fail_before changes nothing, fail_after commits, drop closes the socket."""

from __future__ import annotations

import pytest
import requests

from reconciler.sandbox import Sandbox
from reconciler.sandbox.faults import Fault, FaultInjector


def _create_tag(sandbox: Sandbox, wid: int, name: str) -> requests.Response:
    return requests.post(f"{sandbox.url}/api/v9/workspaces/{wid}/tags", json={"name": name},
                         auth=(sandbox.token, "api_token"), timeout=5)


def test_fail_before_answers_5xx_and_changes_nothing(sandbox: Sandbox, wid: int) -> None:
    sandbox.configure(fail_before=1.0, fault_seed=3)
    statuses = {_create_tag(sandbox, wid, f"t{n}").status_code for n in range(12)}
    assert statuses <= {500, 502, 503} and len(statuses) > 1
    assert sandbox.store.tags(wid) == []


def test_fail_after_commits_then_answers_500(sandbox: Sandbox, wid: int) -> None:
    sandbox.configure(fail_after=1.0)
    response = _create_tag(sandbox, wid, "ambiguous")
    assert response.status_code == 500
    assert [t["name"] for t in sandbox.store.tags(wid)] == ["ambiguous"]


def test_drop_closes_the_connection_before_or_after_committing(
    sandbox: Sandbox, wid: int
) -> None:
    sandbox.configure(drop=1.0, fault_seed=7)
    for n in range(10):
        with pytest.raises(requests.ConnectionError):
            _create_tag(sandbox, wid, f"t{n}")
    committed = len(sandbox.store.tags(wid))
    assert 0 < committed < 10  # half before, half after, by seeded draws
    assert [r.status for r in sandbox.requests] == [0] * 10


def test_reads_are_spared_unless_asked(sandbox: Sandbox, wid: int) -> None:
    sandbox.configure(fail_before=1.0)
    read = requests.get(f"{sandbox.url}/api/v9/workspaces/{wid}/tags",
                        auth=(sandbox.token, "x"), timeout=5)
    sandbox.configure(faults_on_reads=True)
    faulted = requests.get(f"{sandbox.url}/api/v9/workspaces/{wid}/tags",
                           auth=(sandbox.token, "x"), timeout=5)
    assert read.status_code == 200 and faulted.status_code >= 500


def test_same_seed_same_faults() -> None:
    def draws(seed: int) -> list[Fault | None]:
        injector = FaultInjector(0.2, 0.2, 0.2, seed)
        return [injector.decide().fault for _ in range(200)]

    first = draws(42)
    assert first == draws(42)
    assert first != draws(43)
    assert {Fault.FAIL_BEFORE, Fault.FAIL_AFTER, Fault.DROP_BEFORE, Fault.DROP_AFTER, None} == set(
        first)


def test_limits_are_checked_before_faults() -> None:
    with Sandbox(seed_demo=False, hourly_quota=1, fail_before=1.0) as sandbox:
        wid = sandbox.store.ensure_workspace("W")
        first, second = _create_tag(sandbox, wid, "a"), _create_tag(sandbox, wid, "b")
    assert first.status_code >= 500 and second.status_code == 402
