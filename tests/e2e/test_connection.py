"""Connecting: the embedded sandbox, the sandbox command, Maton, doctor, and pacing at 1 req/s."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
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


# ---------------------------------------------------------------- hostile servers through the CLI

from tests.toggl.hostile import (  # noqa: E402 - grouped with the tests that use them
    HostileServer,
    answer,
    forward,
    forward_cut_short,
    redirect,
    silent,
)


def test_a_cross_origin_redirect_is_refused_with_nothing_sent_there(harness: Harness) -> None:
    with HostileServer() as root, HostileServer() as elsewhere:
        elsewhere.on("GET", "*", forward(harness.sandbox.url))
        root.on("GET", "*", redirect(307, f"{elsewhere.url}/api/v9/workspaces"))
        env = {**harness.env, "TOGGL_API_URL": root.url}
        result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
        assert result.code == 1, result.output
        assert f"the API root {root.url} (from TOGGL_API_URL) answered 307" in result.stderr
        assert f"redirecting to {elsewhere.url}/api/v9/workspaces, another origin" in result.stderr
        assert elsewhere.requests == [] and harness.sandbox.requests == []


def test_a_same_origin_redirect_of_a_read_is_followed_and_logged_with_verbose(harness: Harness) -> None:
    with HostileServer() as root:
        root.on("GET", "/api/v9/me/workspaces", redirect(308, "/moved/api/v9/me/workspaces"))
        root.on("GET", "/moved/api/v9/me/workspaces", forward(harness.sandbox.url, strip="/moved"))
        root.on("GET", "*", forward(harness.sandbox.url))
        env = {**harness.env, "TOGGL_API_URL": root.url}
        result = harness.cli("plan", harness.spec("tags: [a]\n"), "--verbose", env=env)
    assert result.code == 0, result.output
    assert ("GET /api/v9/me/workspaces -> 308" in result.stderr
            and "following same-origin redirect to /moved/api/v9/me/workspaces" in result.stderr)
    assert "GET /moved/api/v9/me/workspaces -> 200" in result.stderr


def test_an_unreachable_root_names_toggl_api_url(harness: Harness) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**harness.env, "TOGGL_API_URL": f"http://127.0.0.1:{port}", "TOGGL_RECONCILER_RETRY_BASE": "0.001"}
    result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
    assert result.code == 1
    assert (f"cannot reach Toggl at http://127.0.0.1:{port} (from TOGGL_API_URL): connection refused"
            in result.stderr), result.stderr
    assert "(6 attempts over" in result.stderr and result.stderr.count("Retrying:") == 5


def test_a_silent_server_is_reported_attempt_by_attempt(harness: Harness) -> None:
    with HostileServer() as root:
        root.on("GET", "*", silent)
        env = {**harness.env, "TOGGL_API_URL": root.url, "TOGGL_RECONCILER_TIMEOUT": "0.2",
               "TOGGL_RECONCILER_RETRY_BASE": "0.001"}
        result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
    assert result.code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Retrying:")]
    assert len(lines) == 5 and "no answer within 0.2 s (attempt 1 of 6, 0 s so far)" in lines[0], lines
    assert re.search(r"no answer within 0.2 s \(6 attempts over [12] s\)", result.stderr), result.stderr


def test_a_deeply_nested_answer_is_a_clear_error(harness: Harness) -> None:
    with HostileServer() as root:
        root.on("GET", "*", answer(200, "[" * 100_000 + "]" * 100_000))
        result = harness.cli("plan", harness.spec("tags: [a]\n"), env={**harness.env, "TOGGL_API_URL": root.url})
    assert result.code == 1
    assert "nested too deeply" in result.stderr and "internal error" not in result.stderr


def test_an_html_error_page_is_summarized(harness: Harness) -> None:
    page = ("<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title>"
            "<style>body{}</style></head><body><center><h1>503</h1></center>" + "<p>filler</p>" * 500)
    with HostileServer() as root:
        root.on("GET", "*", answer(503, page, content_type="text/html"))
        env = {**harness.env, "TOGGL_API_URL": root.url, "TOGGL_RECONCILER_RETRY_BASE": "0.001"}
        result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
    assert result.code == 1
    assert "503 HTML page: 503 Service Temporarily Unavailable (6 attempts over" in result.stderr
    assert "<" not in result.stderr and "filler" not in result.stderr


def test_a_create_whose_answer_is_cut_short_is_settled_not_duplicated(harness: Harness) -> None:
    # The proxy applies the POST at the sandbox, then sends half of the answer and hangs up.
    with HostileServer() as proxy:
        proxy.on("POST", f"/api/v9/workspaces/{harness.wid}/tags", forward_cut_short(harness.sandbox.url),
                 forward(harness.sandbox.url))
        proxy.on("GET", "*", forward(harness.sandbox.url))
        proxy.on("POST", "*", forward(harness.sandbox.url))
        env = {**harness.env, "TOGGL_API_URL": proxy.url}
        result = harness.cli("apply", harness.spec("tags: [fresh]\n"), "--auto-approve", env=env)
        posts = [seen for seen in proxy.requests if seen.method == "POST"]
    assert result.code == 0, result.output
    assert "was created despite the error; adopted it" in result.stderr
    assert harness.names("tag") == ["fresh"] and len(posts) == 1


def test_a_trickling_server_is_cut_off_through_the_cli(harness: Harness) -> None:
    from tests.toggl.hostile import trickle_body

    with HostileServer() as root:
        root.on("GET", "*", trickle_body(0.05))  # a byte every 50 ms: no read ever times out
        env = {**harness.env, "TOGGL_API_URL": root.url, "TOGGL_RECONCILER_DEADLINE": "0.3",
               "TOGGL_RECONCILER_RETRY_BASE": "0.001"}
        started = time.monotonic()
        result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
        elapsed = time.monotonic() - started
    assert result.code == 1
    assert re.search(r"no complete answer within 0.3 s \(6 attempts over [23] s\)", result.stderr), result.stderr
    assert 1.7 < elapsed < 4.0, elapsed
