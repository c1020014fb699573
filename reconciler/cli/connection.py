"""Connecting a command to Toggl: a real transport from the environment, or the embedded sandbox.

`--sandbox` starts the local Toggl-compatible server in this process (its database file in the
current folder by default), so a new user can plan and apply without an account. The sandbox
has whatever workspace the spec names, created empty on first use.
"""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from reconciler.cli.output import Output
from reconciler.toggl import TogglClient
from reconciler.toggl.client import RequestEvent

DEFAULT_SANDBOX_DB = "toggl-sandbox.db"


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--transport", choices=("direct", "maton"), default=None,
                       help="direct (TOGGL_API_TOKEN) or maton (MATON_API_KEY); default: whichever "
                            "variable is set, TOGGL_API_TOKEN first")
    group.add_argument("--api-url", default=None,
                       help="API root (default: $TOGGL_API_URL, else Toggl's or Maton's)")
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
    with contextlib.ExitStack() as stack:
        sandbox = stack.enter_context(_embedded_sandbox(args.sandbox_db)) if args.sandbox else None
        if sandbox is not None:
            env = {"TOGGL_API_TOKEN": sandbox.token, "TOGGL_API_URL": sandbox.url}
            out.info(f"Using the embedded sandbox at {sandbox.url} (database {args.sandbox_db}).")
        client = TogglClient.from_env(env, prefer=args.transport, api_url=args.api_url,
                                      on_request=_request_logger(out),
                                      backoff_base=_retry_base(env))
        stack.callback(client.close)
        out.debug(f"Transport: {client.transport.describe()}")
        yield Connection(client=client, sandbox=sandbox)


@contextlib.contextmanager
def _embedded_sandbox(db_path: str) -> Iterator[Any]:
    # Imported here: the sandbox is a separate subpackage that the core never imports.
    from reconciler.sandbox import Sandbox, SandboxConfig

    sandbox = Sandbox(SandboxConfig(db=db_path, port=0))
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _retry_base(env: Mapping[str, str]) -> float:
    # Tests and impatient users shorten the first retry delay (default 0.5 s, doubling).
    try:
        return max(0.0, float(env.get("TOGGL_RECONCILER_RETRY_BASE", "0.5")))
    except ValueError:
        return 0.5


def _request_logger(out: Output) -> Any:
    def log(event: RequestEvent) -> None:
        status = event.status if event.status is not None else "no answer"
        out.debug(f"  {event.method} {event.path} -> {status} ({event.elapsed * 1000:.0f} ms)")

    return log
