"""Connecting a command to Toggl: a real transport from the environment, or the embedded sandbox.

`--sandbox` starts the local Toggl-compatible server in this process (its database file in the
current folder by default), so a new user can plan and apply without an account. The sandbox
has whatever workspace the spec names, created empty on first use.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from reconciler.cli.output import Output
from reconciler.errors import UsageError
from reconciler.untrusted import shown
from reconciler.toggl import TogglClient
from reconciler.toggl.client import DEFAULT_DEADLINE, RequestEvent, RetryNotice
from reconciler.toggl.pacing import RATE_ENV, parse_rate
from reconciler.toggl.transport import implausible_secret_warning
from reconciler.untrusted import shown

DEFAULT_SANDBOX_DB = "toggl-sandbox.db"
RETRY_BASE_ENV = "TOGGL_RECONCILER_RETRY_BASE"
TIMEOUT_ENV = "TOGGL_RECONCILER_TIMEOUT"  # seconds per socket read (default 30)
DEADLINE_ENV = "TOGGL_RECONCILER_DEADLINE"  # seconds for one whole attempt (default 60)


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--transport", choices=("direct", "maton"), default=None,
                       help="direct (TOGGL_API_TOKEN) or maton (MATON_API_KEY); default: whichever "
                            "variable is set, TOGGL_API_TOKEN first")
    group.add_argument("--api-url", default=None,
                       help="API root (default: $TOGGL_API_URL, else Toggl's or Maton's)")
    group.add_argument("--rate", default=None, metavar="PER_SECOND",
                       help=f"requests per second to pace to, or off (default: ${RATE_ENV}, else "
                            "Toggl's 1/s on Toggl's and Maton's roots, none on another root; "
                            "Maton's 10/s always caps it)")
    group.add_argument("--sandbox", action="store_true",
                       help="run against the embedded local sandbox instead of Toggl (no account)")
    group.add_argument("--sandbox-db", default=DEFAULT_SANDBOX_DB, metavar="FILE",
                       help=f"the sandbox's database file (default: ./{DEFAULT_SANDBOX_DB})")


@dataclass
class Connection:
    client: TogglClient
    sandbox: Any | None = None  # reconciler.sandbox.Sandbox when --sandbox

    def ensure_sandbox_workspace(self, workspace: str | int) -> None:
        """In the sandbox, a workspace named by the spec is created empty on first use."""
        if self.sandbox is not None and isinstance(workspace, str):
            self.sandbox.store.ensure_workspace(workspace)


@contextlib.contextmanager
def connect(args: argparse.Namespace, env: Mapping[str, str], out: Output) -> Iterator[Connection]:
    _refuse_sandbox_conflicts(args)
    with contextlib.ExitStack() as stack:
        sandbox = stack.enter_context(_embedded_sandbox(args.sandbox_db)) if args.sandbox else None
        if sandbox is not None:
            env = {**_tuning(env), "TOGGL_API_TOKEN": sandbox.token, "TOGGL_API_URL": sandbox.url}
            out.info(f"Using the embedded sandbox at {sandbox.url} (database {args.sandbox_db}).")
        client = TogglClient.from_env(env, prefer=args.transport, api_url=args.api_url,
                                      on_request=_request_logger(out), on_retry=_retry_reporter(out),
                                      backoff_base=_seconds(env, RETRY_BASE_ENV, 0.5),
                                      timeout=_seconds(env, TIMEOUT_ENV, 30.0, minimum=0.01),
                                      deadline=_seconds(env, DEADLINE_ENV, DEFAULT_DEADLINE, minimum=0.01),
                                      **_pacing(args, env))
        stack.callback(client.close)
        out.debug(f"Transport: {client.transport.describe()}")
        warning = implausible_secret_warning(client.transport)
        if warning and sandbox is None:
            out.warning(warning)
        yield Connection(client=client, sandbox=sandbox)


def _refuse_sandbox_conflicts(args: argparse.Namespace) -> None:
    """`--sandbox` with flags that point elsewhere: one of them would be silently ignored."""
    if not getattr(args, "sandbox", False):
        return
    if args.api_url:
        raise UsageError("--sandbox and --api-url cannot be combined: --sandbox runs against the "
                         "embedded local sandbox, --api-url against another server. Drop one.")
    if args.transport == "maton":
        raise UsageError("--sandbox and --transport maton cannot be combined: the embedded "
                         "sandbox is reached directly. Drop one.")


@contextlib.contextmanager
def _embedded_sandbox(db_path: str) -> Iterator[Any]:
    # Imported here: the sandbox is a separate subpackage that the core never imports.
    from reconciler.sandbox import SandboxConfig

    sandbox = open_sandbox(lambda: SandboxConfig(db=db_path, port=0), db_flag="--sandbox-db")
    try:
        yield sandbox
    finally:
        sandbox.stop()


def open_sandbox(make_config: Callable[[], Any], *, db_flag: str, port_flag: str = "--port",
                 host_flag: str = "--host") -> Any:
    """A started sandbox, or a UsageError naming the flag at fault: a bad setting, a database
    file that is not the sandbox's, an address in use. Opening is serialized per folder, so
    that two first runs at once cannot both create the same database's schema."""
    from reconciler.sandbox import Sandbox

    try:
        config = make_config()
    except (ValueError, TypeError) as error:
        raise UsageError(f"sandbox: {error}") from None
    with _opening_lock(config.db):
        try:
            sandbox = Sandbox(config)
        except sqlite3.Error as error:
            raise UsageError(f"{db_flag} {config.db}: cannot be used as the sandbox's database "
                             f"({error}). Point {db_flag} at a new file, or at one the sandbox "
                             "created.") from None
    try:
        sandbox.start()
    except OSError as error:
        sandbox.store.close()
        raise UsageError(_listen_problem(config.host, config.port, error, port_flag, host_flag)) from None
    return sandbox


def _listen_problem(host: str, port: int, error: OSError, port_flag: str, host_flag: str) -> str:
    where = f"{host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return (f"{port_flag} {port}: {where} is already in use by another program. Choose another "
                f"port, or {port_flag} 0 for a free one.")
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"{port_flag} {port}: not allowed to listen on {where} (ports below 1024 need privileges)."
    return f"{host_flag} {host}: cannot listen on {where} ({error.strerror or error})."


@contextlib.contextmanager
def _opening_lock(db_path: str) -> Iterator[None]:
    """An exclusive lock on the database's folder while the database is opened (and, when new,
    created and seeded). A folder lock leaves no lock file behind; where flock is unavailable
    (Windows) opening is not serialized."""
    if db_path == ":memory:" or db_path.startswith("file:"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    folder = Path(db_path).resolve().parent
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        yield  # a missing folder: opening the database reports it
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _tuning(env: Mapping[str, str]) -> dict[str, str]:
    """The settings a sandbox run keeps from the environment (no credential, no API root)."""
    return {name: env[name] for name in (RETRY_BASE_ENV, TIMEOUT_ENV, DEADLINE_ENV, RATE_ENV)
            if name in env}


def _pacing(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, Any]:
    """`rate=` for the client when --rate or the variable chose one; else the route's own."""
    flag = getattr(args, "rate", None)
    text, source = (flag, "--rate") if flag is not None else (env.get(RATE_ENV), RATE_ENV)
    if text is None or not text.strip():
        return {}
    rate = parse_rate(text)
    if rate is None:
        raise UsageError(f"{source} {shown(text)}: expected requests per second (such as 1 or "
                         "0.5), or off")
    return {"rate": rate}


def _seconds(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    # Tests and impatient users shorten the retry delay (default 0.5 s, doubling), the read
    # timeout and the total deadline of an attempt.
    try:
        value = float(env.get(name, default))
    except ValueError:
        return default
    return max(minimum, value) if value == value else default


def _request_logger(out: Output) -> Any:
    def log(event: RequestEvent) -> None:
        status = event.status if event.status is not None else "no answer"
        note = f", {event.note}" if event.note else ""
        target = f"{event.path}?{event.query}" if event.query else event.path
        out.debug(f"  {event.method} {shown(target)} -> {status} "
                  f"({event.elapsed * 1000:.0f} ms{note})")

    return log


def _retry_reporter(out: Output) -> Callable[[RetryNotice], None]:
    """Every failed attempt that will be repeated is reported as it happens (a 429 only with
    --verbose: that is routine pacing), with the true time spent so far, so that minutes of
    silence never pass without a word."""

    def report(notice: RetryNotice) -> None:
        line = (f"{notice.method} {notice.path}: {notice.reason} (attempt {notice.attempt} of "
                f"{notice.attempts}, {notice.elapsed:.0f} s so far); retrying in {notice.delay:.1f} s")
        if notice.rate_limited:
            out.debug(f"  {line}")
        else:
            out.info(f"Retrying: {line}")

    return report
