"""Connecting: the embedded sandbox, the sandbox command, Maton, doctor, and pacing at 1 req/s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from reconciler.sandbox.dispatch import MATON_CONNECTION_ID
from tests.e2e.conftest import EXAMPLES, TOKEN, Harness


def test_sandbox_flag_needs_no_account_and_keeps_its_database(tmp_path: Path) -> None:
    from reconciler.cli import main

    db = str(tmp_path / "sandbox.db")
    spec = str(EXAMPLES / "minimal.yaml")
    first = main(["apply", spec, "--sandbox", "--sandbox-db", db, "--auto-approve"], env={})
    assert first == 0
    again = main(["plan", spec, "--sandbox", "--sandbox-db", db, "--detailed-exitcode"], env={})
    assert again == 0
    assert Path(db).exists()


def test_the_sandbox_command_prints_its_url_and_the_variables(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--db",
         str(tmp_path / "s.db"), "--token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        lines = [process.stdout.readline() for _ in range(2)]
        url = first.split(" on ", 1)[1].split()[0]
        assert lines[0].strip() == f"export TOGGL_API_URL={url}"
        assert lines[1].strip() == f"export TOGGL_API_TOKEN={TOKEN}"
        me = requests.get(f"{url}/api/v9/me", auth=(TOKEN, "api_token"), timeout=10)
        assert me.status_code == 200
        assert requests.get(f"{url}/api/v9/me", timeout=10).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_doctor_direct_reports_transport_user_workspaces_and_quota(harness: Harness) -> None:
    result = harness.cli("doctor")
    assert result.code == 0, result.output
    assert "direct (TOGGL_API_TOKEN)" in result.stdout
    assert "Credential: OK" in result.stdout
    assert "'Acme Agency'" in result.stdout
    assert "Quota:" in result.stdout


def test_doctor_through_maton_lists_connections(harness: Harness) -> None:
    env = {"MATON_API_KEY": TOKEN, "TOGGL_API_URL": f"{harness.sandbox.url}/toggl-track",
           "MATON_CTRL_URL": harness.sandbox.url, "MATON_CONNECTION": MATON_CONNECTION_ID}
    result = harness.cli("doctor", env=env)
    assert result.code == 0, result.output
    assert "maton (MATON_API_KEY)" in result.stdout
    assert "Maton connections (1 active)" in result.stdout
    assert f"{MATON_CONNECTION_ID} created" in result.stdout and "(used: MATON_CONNECTION)" in result.stdout
    assert TOKEN not in result.output


def test_plan_and_apply_through_maton(harness: Harness) -> None:
    env = {"MATON_API_KEY": TOKEN, "TOGGL_API_URL": f"{harness.sandbox.url}/toggl-track"}
    spec = harness.spec("tags: [via-maton]\n")
    assert harness.cli("apply", spec, "--auto-approve", env=env).code == 0
    assert harness.names("tag") == ["via-maton"]
    assert all(r.path.startswith("/toggl-track/") for r in harness.sandbox.requests)


def test_an_unknown_maton_connection_is_reported(harness: Harness) -> None:
    env = {"MATON_API_KEY": TOKEN, "TOGGL_API_URL": f"{harness.sandbox.url}/toggl-track",
           "MATON_CONNECTION": "no-such-connection"}
    result = harness.cli("plan", harness.spec("tags: [x]\n"), env=env)
    assert result.code == 1
    assert "No active connection found" in result.stderr


def test_doctor_with_a_rejected_credential_says_which_variable(harness: Harness) -> None:
    result = harness.cli("doctor", env={**harness.env, "TOGGL_API_TOKEN": "not-the-token-42"})
    assert result.code == 1
    assert "TOGGL_API_TOKEN" in result.stdout
    assert "not-the-token-42" not in result.output


def test_one_request_per_second_limit_produces_no_failure(harness: Harness) -> None:
    harness.sandbox.configure(rate_limit_per_second=1.0, rate_burst=1)
    spec = harness.spec("tags: [a, b]\n", workspace=harness.wid)
    result = harness.cli("apply", spec, "--auto-approve",
                         env={**harness.env, "TOGGL_RECONCILER_RETRY_BASE": "0.05"})
    assert result.code == 0, result.output
    assert harness.names("tag") == ["a", "b"]
