"""The sandbox in its own process, so its request handling does not share the GIL with the
plan being timed, exactly as Toggl's servers do not share a CPU with the user's."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from reconciler.sandbox import SandboxConfig, Store

from benchmarks.workload import Workload, load_into_store

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_TOKEN = "bench-token-not-a-secret-0123456789"
_URL_PATTERN = re.compile(r"listening on (http://\S+)")
_START_TIMEOUT_SECONDS = 30.0


def prepare_db(path: Path, workload: Workload | None, workspace: str) -> None:
    """A sandbox database file holding `workload` (or just an empty `workspace`)."""
    store = Store(SandboxConfig(db=str(path), seed_demo=False))
    try:
        if workload is None:
            store.ensure_workspace(workspace)
        else:
            load_into_store(store, workload)
    finally:
        store.close()


def api_env(url: str) -> dict[str, str]:
    """The environment the CLI needs to reach a sandbox (the retry delay kept short)."""
    return {"TOGGL_API_URL": url, "TOGGL_API_TOKEN": BENCH_TOKEN,
            "TOGGL_RECONCILER_RETRY_BASE": "0.05", "NO_COLOR": "1"}


class SandboxProcess:
    """`python -m reconciler sandbox --port 0 --db FILE --no-seed` in a child process."""

    def __init__(self, db_path: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.db_path = db_path
        self.extra_args = extra_args  # more sandbox flags, e.g. ("--rate-limit", "1")
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> str:
        command = [sys.executable, "-m", "reconciler", "sandbox", "--port", "0",
                   "--db", str(self.db_path), "--no-seed", *self.extra_args]
        child_env = {**os.environ, "PYTHONUNBUFFERED": "1",
                     "PYTHONPATH": _with_repo_root(os.environ.get("PYTHONPATH"))}
        self._process = subprocess.Popen(command, cwd=REPO_ROOT, env=child_env, text=True,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.url = self._read_url(self._process)
        return self.url

    @staticmethod
    def _read_url(process: subprocess.Popen[str]) -> str:
        assert process.stdout is not None
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            found = _URL_PATTERN.search(line)
            if found:
                return found.group(1)
        process.kill()
        raise RuntimeError("the sandbox process did not report its URL")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGINT)  # the sandbox command stops cleanly on Ctrl-C
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def _with_repo_root(python_path: str | None) -> str:
    # The child must import this checkout's `reconciler`, installed or not.
    return os.pathsep.join(p for p in (str(REPO_ROOT), python_path) if p)
