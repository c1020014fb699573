"""User mistakes that used to end in "internal error ... This is a bug" (issue 9, item 15): each
gets one clear line naming the flag, variable or file, exit 1, and no request to Toggl."""

from __future__ import annotations

import io
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cli.connection import open_sandbox
from reconciler.errors import UsageError
from reconciler.sandbox import SandboxConfig
from tests.e2e.conftest import EXAMPLES, TOKEN, Harness

MINIMAL = str(EXAMPLES / "minimal.yaml")


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue() + stderr.getvalue()


def assert_clear(code: int, output: str, *names: str) -> None:
    assert code == 1, output
    assert "internal error" not in output and "Traceback" not in output, output
    for name in names:
        assert name in output, output


# ---------------------------------------------------------------- output files, before any request


@pytest.mark.parametrize("flag", ["--out", "-o"])
def test_plan_out_into_a_missing_folder_spends_no_request(harness: Harness, tmp_path: Path, flag: str) -> None:
    target = tmp_path / "no-such-folder" / "plan.json"
    result = harness.cli("plan", harness.spec("tags: [a]\n"), flag, str(target))
    assert_clear(result.code, result.output, "--out", str(target), "does not exist")
    assert harness.sandbox.requests == []


def test_plan_out_onto_a_folder(harness: Harness, tmp_path: Path) -> None:
    result = harness.cli("plan", harness.spec("tags: [a]\n"), "--out", str(tmp_path))
    assert_clear(result.code, result.output, "--out", "is a folder")
    assert harness.sandbox.requests == []


def test_an_unwritable_step_summary_spends_no_request(harness: Harness, tmp_path: Path) -> None:
    env = {**harness.env, "GITHUB_STEP_SUMMARY": str(tmp_path / "gone" / "summary.md")}
    result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
    assert_clear(result.code, result.output, "$GITHUB_STEP_SUMMARY")
    assert harness.sandbox.requests == []


def test_export_output_into_a_missing_folder(harness: Harness, tmp_path: Path) -> None:
    result = harness.cli("export", "--workspace", "Acme Agency", "-o", str(tmp_path / "x" / "spec.yaml"))
    assert_clear(result.code, result.output, "--output")
    assert harness.sandbox.requests == []


def test_the_check_leaves_no_file_and_keeps_existing_ones(harness: Harness, tmp_path: Path) -> None:
    existing = tmp_path / "summary.md"
    existing.write_text("kept\n")
    fresh = tmp_path / "plan.json"
    result = harness.cli("plan", harness.spec("tags: [a]\n"), "--out", str(fresh), "--force",
                         env={**harness.env, "GITHUB_STEP_SUMMARY": str(existing)})
    assert result.code == 0, result.output
    assert existing.read_text().startswith("kept\n") and fresh.exists()
    refused = harness.cli("plan", "missing.yaml", "--out", str(tmp_path / "other.json"))
    assert refused.code == 1 and not (tmp_path / "other.json").exists()


# ---------------------------------------------------------------- sandbox flags and files


@pytest.mark.parametrize(
    ("flags", "named"),
    [(["--port", "99999"], "--port"), (["--port", "http"], "--port"), (["--drop", "1.5"], "--drop"),
     (["--fail-after", "-0.1"], "--fail-after"), (["--rate-limit", "0"], "--rate-limit"),
     (["--burst", "0"], "--burst"), (["--hourly-quota", "-1"], "--hourly-quota"),
     (["--quota-window", "0"], "--quota-window"), (["--latency", "-1"], "--latency"),
     (["--rate-limit", "nan"], "--rate-limit"), (["--fault-seed", "1.5"], "--fault-seed"),
     (["--drop", "0.6", "--fail-before", "0.6"], "must not exceed 1")],
)
def test_bad_sandbox_flags(tmp_path: Path, flags: list[str], named: str) -> None:
    code, output = run(["sandbox", "--db", str(tmp_path / "s.db"), *flags])
    assert_clear(code, output, named)


def test_a_sandbox_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = run(["sandbox", "--port", str(port), "--db", str(tmp_path / "s.db")])
    assert_clear(code, output, f"--port {port}", "already in use")


def test_a_sandbox_db_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"these are my notes, not a database\n" * 100)
    code, output = run(["plan", MINIMAL, "--sandbox", "--sandbox-db", str(bogus)])
    assert_clear(code, output, "--sandbox-db", str(bogus), "file is not a database")
    assert bogus.read_bytes().startswith(b"these are my notes")  # left as it was
    code, output = run(["sandbox", "--db", str(bogus)])
    assert_clear(code, output, "--db", str(bogus))


def test_a_sandbox_db_in_a_missing_folder(tmp_path: Path) -> None:
    code, output = run(["plan", MINIMAL, "--sandbox", "--sandbox-db", str(tmp_path / "a" / "b.db")])
    assert_clear(code, output, "--sandbox-db", "unable to open database file")


def test_parallel_first_opens_of_one_database_all_succeed(tmp_path: Path) -> None:
    db = str(tmp_path / "new.db")
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []
    opened = []

    def first_run() -> None:
        barrier.wait()
        try:
            opened.append(open_sandbox(lambda: SandboxConfig(db=db, port=0), db_flag="--sandbox-db"))
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            failures.append(error)

    threads = [threading.Thread(target=first_run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for sandbox in opened:
        sandbox.stop()
    assert failures == [] and len(opened) == 6
    with sqlite3.connect(db) as check:  # seeded once, not six times
        assert check.execute("SELECT COUNT(*) FROM workspaces").fetchone()[0] == 1


def test_two_parallel_first_sandbox_processes(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "reconciler", "plan", MINIMAL, "--sandbox", "--sandbox-db", "shared.db"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TOGGL_", "MATON_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # this checkout, not an installed copy
    processes = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [process.communicate(timeout=60) for process in processes]
    for process, (_, stderr) in zip(processes, results):
        assert process.returncode == 0, stderr
    with sqlite3.connect(tmp_path / "shared.db") as check:
        names = [row[0] for row in check.execute("SELECT name FROM workspaces")]
    assert sorted(names).count("My Workspace") == 1 and len(names) == 2  # the demo, and the spec's


# ---------------------------------------------------------------- credentials


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("MATON_API_KEY", "maton-key-first-half\nmaton-key-second-half", "a line break"),
        ("TOGGL_API_TOKEN", "token-first-half\r\nX-Injected: yes", "a line break"),
        ("TOGGL_API_TOKEN", "token-first-half\u20ac0123456789", "a character outside Latin-1"),
        ("TOGGL_API_TOKEN", "token-first-half" + b"\xc3\x28".decode("utf-8", "surrogateescape"),
         "bytes that are not valid UTF-8"),
        ("TOGGL_API_TOKEN", "two words-0123456789", "a space inside"),
    ],
)
def test_a_broken_credential_is_named_never_shown(harness: Harness, variable: str, value: str,
                                                  problem: str) -> None:
    env = {"TOGGL_API_URL": harness.sandbox.url, variable: value}
    result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
    assert_clear(result.code, result.output, variable, problem)
    for part in value.replace("\r", "\n").split("\n"):
        if len(part) > 3:
            assert part not in result.output
    assert harness.sandbox.requests == []


def test_plain_http_to_another_host_is_refused_up_front(harness: Harness) -> None:
    env = {**harness.env, "TOGGL_API_URL": "http://toggl-proxy.example.com"}
    result = harness.cli("plan", harness.spec("tags: [a]\n"), env=env)
    assert_clear(result.code, result.output, "TOGGL_API_URL", "TOGGL_ALLOW_INSECURE_HTTP=1")


def test_a_url_without_a_scheme_is_refused_up_front(harness: Harness) -> None:
    bare = harness.sandbox.url.removeprefix("http://")
    result = harness.cli("plan", harness.spec("tags: [a]\n"), env={**harness.env, "TOGGL_API_URL": bare})
    assert_clear(result.code, result.output, "TOGGL_API_URL", "without a scheme")
    assert harness.sandbox.requests == []


def test_a_late_unwritable_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from reconciler.cli import validate

    def refuse(*_: object, **__: object) -> int:
        raise PermissionError(13, "Permission denied", str(tmp_path / "x"))

    monkeypatch.setattr(validate, "load_specs", refuse)
    code, output = run(["validate", MINIMAL])
    assert_clear(code, output, f"{tmp_path / 'x'}: Permission denied")


def test_open_sandbox_names_the_flag_for_bad_settings() -> None:
    with pytest.raises(UsageError, match="^sandbox: port must be between"):
        open_sandbox(lambda: SandboxConfig(port=70000), db_flag="--db")


def test_the_token_used_here_is_accepted() -> None:
    assert len(TOKEN) >= 12


def test_invalid_bytes_in_the_real_environment(tmp_path: Path) -> None:
    """As a shell would pass it: raw bytes that are not UTF-8, through os.environb."""
    from tests.toggl.hostile import HostileServer, json_answer

    with HostileServer() as server:
        server.on("GET", "*", json_answer([]))
        env = {key.encode(): value.encode() for key, value in os.environ.items()
               if not key.startswith(("TOGGL_", "MATON_"))}
        env[b"PYTHONPATH"] = str(Path(__file__).resolve().parents[2]).encode()
        env[b"TOGGL_API_TOKEN"] = b"token-\xff\xfe-0123456789abcdef"
        env[b"TOGGL_API_URL"] = server.url.encode()
        done = subprocess.run([sys.executable, "-m", "reconciler", "plan", MINIMAL], env=env,  # type: ignore[arg-type]
                              capture_output=True, timeout=60)
        assert server.requests == []
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 1, stderr
    assert "TOGGL_API_TOKEN contains bytes that are not valid UTF-8" in stderr
    assert b"0123456789abcdef" not in done.stdout + done.stderr and "internal error" not in stderr
