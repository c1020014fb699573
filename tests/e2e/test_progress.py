"""The apply's progress through the real CLI: a live line on a pseudo-terminal, per-change lines
in a pipe. The child process reaches a rate-limited sandbox over real HTTP, so the 429s, the
backoff and the pacing waits are real ones."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Iterator

import pytest

from reconciler.sandbox import Sandbox, SandboxConfig
from tests.e2e.conftest import TOKEN, WORKSPACE

REPO = Path(__file__).resolve().parents[2]
ERASE = "\r\x1b[2K"
TAGS = [f"tag-{number:02d}" for number in range(5)]


@pytest.fixture
def limited_sandbox() -> Iterator[Sandbox]:
    # A burst big enough for the reads and two writes, then 1.5 requests/s: the third write meets
    # a real 429 unless the first seven requests took 0.6 s (they take ~50 ms), and the rest are
    # paced 1 s apart, which the bucket drains.
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, rate_limit_per_second=1.5,
                                    rate_burst=6, hourly_quota=500))
    sandbox.start()
    sandbox.store.ensure_workspace(WORKSPACE)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _spec(tmp_path: Path) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(f"version: 1\nworkspace: {WORKSPACE!r}\ntags: [{', '.join(TAGS)}]\n",
                    encoding="utf-8")
    return str(path)


def _env(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO),
            "TOGGL_API_URL": sandbox.url, "TOGGL_API_TOKEN": TOKEN,
            "TOGGL_RECONCILER_RETRY_BASE": "0.05", "TERM": "xterm-256color", **extra}


def _command(spec: str, *flags: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "apply", spec, "--auto-approve", *flags]


def run_on_terminal(command: list[str], env: dict[str, str], columns: int = 160,
                    interrupt_after: str | None = None) -> tuple[int, str]:
    """Run with stdin, stdout and stderr on a fresh pseudo-terminal; everything it drew.
    With `interrupt_after`, Ctrl-C (SIGINT) is sent once that text has been drawn."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    # A terminal's foreground job takes Ctrl-C; a test run started in the background (`&`,
    # SIGINT ignored, which children inherit) would otherwise never see it.
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env,
                               cwd=REPO, close_fds=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
            if interrupt_after and interrupt_after.encode() in b"".join(chunks):
                process.send_signal(signal.SIGINT)
                interrupt_after = None
        elif process.poll() is not None:
            break
    os.close(master)
    code = process.wait(timeout=10)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def test_a_terminal_gets_one_live_line_with_waits_and_a_final_summary(
        limited_sandbox: Sandbox, tmp_path: Path) -> None:
    code, screen = run_on_terminal(_command(_spec(tmp_path)), _env(limited_sandbox))
    assert code == 0, screen
    frames = screen.split(ERASE)
    assert len(frames) > 3, screen  # redrawn in place, not scrolled
    live = [frame for frame in frames if frame.startswith("Applying ")]
    assert any(frame.startswith(f"Applying {len(TAGS)}/{len(TAGS)}") for frame in live), live
    assert all("\n" not in frame for frame in live)  # the live line never scrolls
    # The sandbox refused some writes with 429: the line said so, with a countdown.
    assert any(re.search(r"rate limited \(429\), retrying in \d+ s", frame) for frame in live), live
    assert any(re.search(r"Toggl's rate limit, next request in \d+ s", frame) for frame in live)
    assert any(re.search(r"\d+:\d\d elapsed, [\d.]+/s, ETA \d+:\d\d, quota \d+ left", frame)
               for frame in live), live
    # No per-change lines on the terminal; the final state stays, then the summary.
    assert not re.search(r"^\[\d+/\d+\]", screen, re.MULTILINE)
    assert re.search(rf"Applied {len(TAGS)} of {len(TAGS)} changes in \d+:\d\d", screen)
    assert re.search(rf"waited \d+ s for Toggl \(\d+ retr(?:y|ies), \d+ paced requests?\)\.\nApply complete: {len(TAGS)} of "
                     rf"{len(TAGS)} changes applied \(\d+ writes, 0 extra reads\)\.\n$", screen)
    assert sorted(t["name"] for t in limited_sandbox.store.tags(
        limited_sandbox.store.ensure_workspace(WORKSPACE))) == TAGS


def test_a_pipe_gets_per_change_lines_and_no_control_characters(
        limited_sandbox: Sandbox, tmp_path: Path) -> None:
    limited_sandbox.configure(rate_limit_per_second=None)  # waits are the terminal test's part
    result = subprocess.run(_command(_spec(tmp_path)), env=_env(limited_sandbox), cwd=REPO,
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert [line.split("]")[0] + "]" for line in lines] == \
        [f"[{k}/{len(TAGS)}]" for k in range(1, len(TAGS) + 1)]
    for stream in (result.stdout, result.stderr):
        assert "\r" not in stream and "\x1b" not in stream
    assert "Applying " not in result.stdout


def test_term_dumb_and_verbose_keep_the_per_change_lines(limited_sandbox: Sandbox,
                                                          tmp_path: Path) -> None:
    limited_sandbox.configure(rate_limit_per_second=None)  # only the choice of output is tested
    spec = _spec(tmp_path)
    code, screen = run_on_terminal(_command(spec), _env(limited_sandbox, TERM="dumb"))
    assert code == 0, screen
    assert ERASE not in screen and f"[{len(TAGS)}/{len(TAGS)}]" in screen
    limited_sandbox.store.ensure_workspace("Other")  # a second, empty workspace to apply again
    spec_other = tmp_path / "other.yaml"
    spec_other.write_text("version: 1\nworkspace: Other\ntags: [a, b]\n", encoding="utf-8")
    code, screen = run_on_terminal(_command(str(spec_other), "--verbose"), _env(limited_sandbox))
    assert code == 0, screen
    assert ERASE not in screen and "[2/2]" in screen


def test_ctrl_c_leaves_the_line_as_where_it_stopped_and_exits_130(limited_sandbox: Sandbox,
                                                                  tmp_path: Path) -> None:
    code, screen = run_on_terminal(_command(_spec(tmp_path)), _env(limited_sandbox),
                                   interrupt_after="next request in")
    assert code == 130, screen
    assert re.search(rf"{re.escape(ERASE)}Stopped after (\d) of {len(TAGS)} changes in \d+:\d\d[^\n]*\.\n"
                     r"\x1b\[31mError:\x1b\[0m interrupted: \1 of 5 changes applied", screen), screen
    assert "Traceback" not in screen


def test_an_hourly_quota_wait_counts_down_on_the_line(tmp_path: Path) -> None:
    # 7 requests a 2-second window: the reads and two writes fit, then apply waits the reset.
    with Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, hourly_quota=7,
                               quota_window_seconds=2.0)) as sandbox:
        sandbox.store.ensure_workspace(WORKSPACE)
        code, screen = run_on_terminal(_command(_spec(tmp_path), "--wait-for-quota"),
                                       _env(sandbox))
    assert code == 0, screen
    countdown = [int(seconds) for seconds in
                 re.findall(r"quota 0 left \| hourly quota spent, resets in (\d+) s", screen)]
    assert countdown and countdown == sorted(countdown, reverse=True) and len(set(countdown)) > 1
    assert re.search(rf"Applied {len(TAGS)} of {len(TAGS)} changes in [^\n]*\(1 hourly quota wait\)\.", screen)
