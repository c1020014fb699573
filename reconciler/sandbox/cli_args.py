"""The `toggl-reconciler sandbox` flags; the CLI (cli.py) owns the command and the printing."""

from __future__ import annotations

import argparse
import math
from typing import Callable

from reconciler.sandbox.config import TIERS, SandboxConfig

DEFAULT_DB_FILE = "toggl-sandbox.db"


# Each type names what it wants; argparse prefixes the flag ("argument --port: ..."), and the
# CLI turns that into one line with exit 1.

def _number(text: str, kind: Callable[[str], float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        wanted = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def port_number(text: str) -> int:
    value = int(_number(text, int))
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535 (0: a free one), got {value}")
    return value


def probability(text: str) -> float:
    value = float(_number(text, float))
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a probability is between 0 and 1, got {text}")
    return value


def positive_number(text: str) -> float:
    value = float(_number(text, float))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def positive_whole(text: str) -> int:
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text}")
    return value


def seconds_or_zero(text: str) -> float:
    value = float(_number(text, float))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def whole_number(text: str) -> int:
    return int(_number(text, int))


def email_list(text: str) -> tuple[str, ...]:
    """`a@x,b@y` -> ("a@x", "b@y"): extra workspace users; each must look like an e-mail."""
    emails = tuple(part.strip() for part in text.split(",") if part.strip())
    if not emails:
        raise argparse.ArgumentTypeError("expected e-mail addresses separated by commas")
    for email in emails:
        if email.count("@") != 1 or any(ch.isspace() or ord(ch) < 32 for ch in email) \
                or email.startswith("@") or email.endswith("@"):
            raise argparse.ArgumentTypeError(f"not an e-mail address: {email!r}")
    if len({email.casefold() for email in emails}) != len(emails):
        raise argparse.ArgumentTypeError("an e-mail address is listed twice")
    return emails


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=port_number, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--db", default=DEFAULT_DB_FILE,
                        help="SQLite file kept between runs (':memory:' for none)")
    parser.add_argument("--token", default=None,
                        help="the only API token / Maton key accepted (default: any)")
    parser.add_argument("--tier", choices=TIERS, default="premium",
                        help="plan of workspaces created without one")
    parser.add_argument("--rate-limit", type=positive_number, default=None, metavar="R",
                        help="requests per second per credential before 429")
    parser.add_argument("--burst", type=positive_whole, default=1, help="leaky bucket size")
    parser.add_argument("--hourly-quota", type=positive_whole, default=None, metavar="N",
                        help="requests per quota window before 402")
    parser.add_argument("--quota-window", type=positive_number, default=3600.0, metavar="S",
                        help="quota window in seconds")
    parser.add_argument("--fail-before", type=probability, default=0.0, metavar="P",
                        help="probability a write answers 5xx and changes nothing")
    parser.add_argument("--fail-after", type=probability, default=0.0, metavar="P",
                        help="probability a write is committed, then answered 500")
    parser.add_argument("--drop", type=probability, default=0.0, metavar="P",
                        help="probability a write's connection closes unanswered")
    parser.add_argument("--fault-seed", type=whole_number, default=0, help="seed of the fault draws")
    parser.add_argument("--no-seed", action="store_true",
                        help="do not create the demo workspace in a new database")
    parser.add_argument("--latency", type=seconds_or_zero, default=0.0, metavar="S",
                        help="seconds to wait before answering each request")
    parser.add_argument("--user-quota", type=int, default=0, metavar="N",
                        help="/me... requests per quota window before 402 (Toggl: 30; 0: off)")
    parser.add_argument("--users", type=email_list, default=(), metavar="EMAILS",
                        help="extra workspace users, e.g. ana@acme.test,bo@acme.test")
    parser.add_argument("--no-admin", action="store_true",
                        help="the sandbox user is not a workspace admin (admin-only writes: 403)")
    parser.add_argument("--creator-joins-projects", action="store_true",
                        help="a private project's creator becomes its manager, as in the web app")
    parser.add_argument("--maton-rate-limit", type=float, default=10.0, metavar="R",
                        help="requests per second per Maton key before the gateway's 429 (0: off)")


def config_from_args(ns: argparse.Namespace) -> SandboxConfig:
    """The config the flags describe; invalid combinations (e.g. --fail-before 0.6 with
    --drop 0.6) raise ValueError, which the CLI reports as a usage error."""
    return SandboxConfig(
        db=ns.db, host=ns.host, port=ns.port, token=ns.token, tier=ns.tier,
        seed_demo=not ns.no_seed, rate_limit_per_second=ns.rate_limit, rate_burst=ns.burst,
        hourly_quota=ns.hourly_quota, quota_window_seconds=ns.quota_window,
        fail_before=ns.fail_before, fail_after=ns.fail_after, drop=ns.drop,
        fault_seed=ns.fault_seed, latency_seconds=ns.latency,
        user_hourly_quota=ns.user_quota or None,
        maton_rate_limit_per_second=ns.maton_rate_limit or None,
        users=ns.users, admin=not ns.no_admin,
        creator_joins_new_projects=ns.creator_joins_projects,
    )
