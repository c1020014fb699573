"""Values Toggl refuses fail before any request; the sandbox refuses the same (issue 9, item 12).

Each limit is tried from both sides: the CLI refuses the spec (exit 1, file:line, no request),
and the sandbox, which stands in for Toggl, answers 400 to the same value sent directly, so a
value `validate` passes is one the sandbox takes, and the reverse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.sandbox import rules as sandbox_rules
from reconciler.spec.names import MAX_NAME_BYTES, MAX_NOTES_BYTES
from reconciler.spec.schema import load_schema
from tests.e2e.conftest import TOKEN, Harness

TOO_BIG = {
    "tag-256": "tags: [" + "t" * 256 + "]\n",
    "tag-bytes": "tags: [" + "é" * 128 + "]\n",
    "client-300": "clients: [{name: " + "c" * 300 + "}]\n",
    "project-5MB": "projects: [{name: " + "p" * 5_000_000 + "}]\n",
    "notes": "clients: [{name: C, notes: " + "n" * 3001 + "}]\n",
    "rate": "projects: [{name: P, rate: 10000000000000}]\n",
    "estimate": "projects: [{name: P, estimated_hours: 100000000000000000000}]\n",
    "currency": "projects: [{name: P, currency: ABC}]\n",
}


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
@pytest.mark.parametrize("case", sorted(TOO_BIG))
def test_values_over_the_limits_fail_before_any_request(harness: Harness, command: str,
                                                        case: str) -> None:
    spec = harness.spec(TOO_BIG[case], name=f"{case}.yaml")
    args = [command, spec] + (["--auto-approve"] if command == "apply" else [])
    result = harness.cli(*args)
    assert result.code == 1, result.output
    assert f"{spec}:3:" in result.stderr
    assert "Error: 1 problem in the spec" in result.stderr, result.stderr  # one problem
    assert len(result.output) < 1000  # a 5 MB name is never echoed
    assert "Traceback" not in result.output
    assert harness.sandbox.requests == []


def _post(harness: Harness, path: str, body: object) -> requests.Response:
    return requests.post(f"{harness.sandbox.url}/api/v9/workspaces/{harness.wid}/{path}",
                         json=body, auth=(TOKEN, "api_token"), timeout=10)


def _put_project(harness: Harness, project_id: int, body: object) -> requests.Response:
    return requests.put(f"{harness.sandbox.url}/api/v9/workspaces/{harness.wid}/projects/"
                        f"{project_id}", json=body, auth=(TOKEN, "api_token"), timeout=10)


@pytest.mark.parametrize("path, body", [
    ("tags", {"name": "t" * 256}),
    ("tags", {"name": "é" * 128}),
    ("clients", {"name": "c" * 300}),
    ("clients", {"name": "C", "notes": "n" * 3001}),
    ("projects", {"name": "p" * 256, "active": True}),
    ("projects", {"name": "P", "active": True, "rate": 10_000_000_000_000}),
    ("projects", {"name": "P", "active": True, "estimated_hours": 10**20}),
    ("projects", {"name": "P", "active": True, "fixed_fee": 10**13}),
    ("projects", {"name": "P", "active": True, "currency": "ABC"}),
    ("projects", {"name": "P", "active": True, "currency": "eur"}),
])
def test_the_sandbox_refuses_what_validate_refuses(harness: Harness, path: str,
                                                   body: dict) -> None:
    answer = _post(harness, path, body)
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("path, body", [
    ("tags", {"name": "t" * 255}),
    ("tags", {"name": "é" * 127}),
    ("clients", {"name": "C", "notes": "n" * 3000}),
    ("projects", {"name": "P", "active": True, "rate": 10_000_000, "currency": "EUR",
                  "estimated_hours": 500_000}),
])
def test_the_sandbox_takes_what_validate_takes(harness: Harness, path: str, body: dict) -> None:
    answer = _post(harness, path, body)
    assert answer.status_code == 200, answer.text


def test_a_project_update_is_held_to_the_limits_too(harness: Harness) -> None:
    project_id = harness.store.add_project(harness.wid, "P")
    assert _put_project(harness, project_id, {"rate": 10**13}).status_code == 400
    assert _put_project(harness, project_id, {"currency": "XXX"}).status_code == 400
    assert _put_project(harness, project_id, {"name": "p" * 256}).status_code == 400
    assert _put_project(harness, project_id, {"rate": 99.5, "currency": "JPY"}).status_code == 200


def test_the_limits_are_configurable_per_sandbox(tmp_path: Path) -> None:
    loose = sandbox_rules.ValueLimits(name_bytes=1000, currencies=None)
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, value_limits=loose))
    sandbox.start()
    try:
        harness = Harness(sandbox, tmp_path)
        assert _post(harness, "tags", {"name": "t" * 900}).status_code == 200
        assert _post(harness, "projects", {"name": "P", "active": True,
                                           "currency": "ABC"}).status_code == 200
    finally:
        sandbox.stop()


def test_the_sandbox_copy_of_the_limits_equals_the_schema() -> None:
    schema = load_schema()["$defs"]
    limits = sandbox_rules.DEFAULT_LIMITS
    assert limits.name_bytes == MAX_NAME_BYTES == schema["objectName"]["maxLength"]
    assert limits.notes_bytes == MAX_NOTES_BYTES == \
        schema["client"]["properties"]["notes"]["maxLength"]
    assert limits.maximum("rate") == schema["rate"]["maximum"]
    assert limits.maximum("estimated_hours") == schema["estimatedHours"]["maximum"]
    assert limits.currencies == {code for code in schema["currency"]["enum"] if code is not None}


def test_a_spec_at_every_limit_applies_and_converges(harness: Harness) -> None:
    spec = harness.spec(
        "clients: [{name: " + "c" * 255 + ", notes: " + "n" * 3000 + "}]\n"
        "projects: [{name: " + "é" * 127 + ", client: " + "c" * 255 + ", rate: 10000000, "
        "estimated_hours: 500000, currency: CHF}]\n"
        "tags: [" + "t" * 255 + "]\n")
    applied = harness.cli("apply", spec, "--auto-approve")
    assert applied.code == 0, applied.output
    again = harness.cli("plan", spec, "--detailed-exitcode")
    assert again.code == 0, again.output
