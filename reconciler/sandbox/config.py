"""The sandbox's settings: where it stores data, how strict and how unreliable it is.

Every behaviour that no source settles (API-NOTES.md, "unknown") is a field here, with the
choice made as its default and the reason next to it, so a test can flip it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Literal

from reconciler.sandbox.rules import DEFAULT_LIMITS, ValueLimits

Tier = Literal["free", "starter", "premium"]
TIERS: tuple[Tier, ...] = ("free", "starter", "premium")
DEFAULT_TOKEN = "sandbox-token"
# Loose, like the spec's e-mail check: one `@`, no spaces or control characters.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")


@dataclass
class SandboxConfig:
    db: str = ":memory:"
    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None  # None: any API token / Maton key is accepted
    tier: Tier = "premium"  # tier of workspaces created without one
    seed_demo: bool = True  # seed the demo workspace when the database is new
    rate_limit_per_second: float | None = None  # leaky bucket per credential; over it: 429
    rate_burst: int = 1
    hourly_quota: int | None = None  # admitted requests per sliding window; over it: 402
    quota_window_seconds: float = 3600.0  # tests shorten it
    fail_before: float = 0.0  # probability: a write answers 5xx and changes nothing
    fail_after: float = 0.0  # probability: a write is committed, then answered 500
    drop: float = 0.0  # probability: the connection closes unanswered (half before commit)
    fault_seed: int = 0
    faults_on_reads: bool = False  # faults hit writes (POST/PUT/PATCH/DELETE) unless set
    latency_seconds: float = 0.0
    # Recorded (toggl_rb, Apr 2024): DELETE project WITHOUT teDeletionMode answered 200 and the
    # bare id; the reference lists the parameter as optional. What happened to the project's
    # time entries is not recorded: we unassign them (keep them, without a project), the choice
    # that never loses tracked time. `require_te_deletion_mode=True` refuses the request instead.
    require_te_deletion_mode: bool = False
    default_te_deletion_mode: Literal["unassign", "delete"] = "unassign"
    # `GET .../projects?name=`: recorded to filter ("A project" did not list "A Different
    # Project"), but whether it matches whole names or parts is not: a case-insensitive
    # "contains", like the documented client filter. "exact" compares whole names (casefold).
    project_name_filter: Literal["contains", "exact"] = "contains"
    # Documented: user-scoped calls (/me...) draw on their own quota of 30 an hour on every
    # plan, separate from the organization's. Off by default, like `hourly_quota`: a quota
    # that runs out for an hour surprises a first run or a client library's test suite more
    # than it teaches; `--user-quota 30` models Toggl exactly (a plan spends at most one /me
    # call: /me/workspaces when the spec names its workspace). Over it: 402 like the hourly
    # quota (with this quota's X-Toggl-Quota-* headers); other /me answers carry the
    # organization quota's headers, as every answer does (our choice).
    user_hourly_quota: int | None = None
    # Documented: the Maton gateway answers 429 itself above 10 requests/s per Maton account
    # (key). A leaky bucket of `maton_rate_burst` draining at this rate; None turns it off.
    maton_rate_limit_per_second: float | None = 10.0
    maton_rate_burst: int = 10
    # Maton's POST /connections answers a URL to open for the OAuth consent; the sandbox has no
    # consent step, so a new connection is ACTIVE at once unless this is False (then PENDING).
    maton_new_connections_active: bool = True
    # A running entry's `duration`: -1 in the Dec 2024 recordings, minus the start's epoch
    # seconds in the 2023 - Apr 2024 ones. The newest by default; "minus_start" for the older.
    running_duration_style: Literal["minus_one", "minus_start"] = "minus_one"
    # Toggl's case rules for unique names are unknown; case-insensitive is the stricter guess.
    case_insensitive_names: bool = True
    # The duplicate client/project text is unknown; this is the best guess of API-NOTES.md.
    duplicate_name_message: str = "Name has already been taken"
    # What client archive answers on the free plan is unknown: we refuse it like other paid
    # features (402), the stricter choice.
    free_client_archive_refused: bool = True
    # Observed (toggl_rb, May 2024): a bulk PATCH set the custom colour #000000 on a FREE
    # workspace. We still refuse it per id by default, so that the product never relies on
    # that loophole; set False to reproduce the recording.
    bulk_patch_checks_free_palette: bool = True
    # Name, notes, number and currency limits: no source states most of Toggl's; these are the
    # spec schema's choices, so that what `validate` passes the sandbox takes (rules.py).
    value_limits: ValueLimits = DEFAULT_LIMITS
    # ---- issue 12: users, admin rights, tasks (docs/TOGGL-API-FACTS.md has the sources)
    # Extra workspace users by e-mail, besides the sandbox's own user (always a member and
    # admin). Every workspace of the organization has every user (a choice: the sandbox has
    # one organization and no invitations). Ids are given in order from USERS_ID_BASE.
    users: tuple[str, ...] = ()
    # The sandbox user is a workspace admin; False models a plain member: writes to workspace
    # settings, groups, project members and tasks then answer 403 (documented status).
    admin: bool = True
    # The help center ("Access rights and privileges"): "The user who creates a project is
    # automatically designated the project manager", written for the web app. Whether the API
    # does it too is recorded nowhere: off by default (a choice); on, a project created private
    # gets a project user for the sandbox user, manager true.
    creator_joins_new_projects: bool = False
    # Documented (v9 reference, tasks): "The value tracked_seconds is in milliseconds, not in
    # seconds." No recording settles it; we follow the reference. "seconds" for the other.
    task_tracked_unit: Literal["milliseconds", "seconds"] = "milliseconds"
    # A task created without `user_id`: the v9 reference says "Creator ID, if omitted, will
    # use requester user ID", while GET calls it the assignee and v8 said "not required".
    # Unassigned ("none") is our default; "requester" follows the v9 text.
    task_default_assignee: Literal["none", "requester"] = "none"
    # The largest `per_page` of GET /workspaces/{wid}/tasks: undocumented (default 50 is
    # documented). 200 like projects; larger values are clamped to it.
    task_max_per_page: int = 200
    # The reference calls `default_currency` a "premium feature"; the spec (model.py
    # PAID_WORKSPACE_KEYS) does not. False: any plan may set it; True refuses it on free.
    free_default_currency_refused: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.users, list):
            self.users = tuple(self.users)
        validate_config(self)

    def replace(self, **changes: Any) -> SandboxConfig:
        """A copy with `changes` applied, validated; unknown names raise TypeError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"unknown sandbox setting(s): {', '.join(unknown)}")
        values = {name: getattr(self, name) for name in known}
        values.update(changes)
        return SandboxConfig(**values)

    @property
    def effective_token(self) -> str:
        return self.token if self.token is not None else DEFAULT_TOKEN

    def __repr__(self) -> str:
        # The token is a secret: never let it reach a log through a repr.
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "token"}
        shown["token"] = None if self.token is None else "***"
        inner = ", ".join(f"{name}={value!r}" for name, value in shown.items())
        return f"SandboxConfig({inner})"


def validate_config(config: SandboxConfig) -> None:
    if config.tier not in TIERS:
        raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {config.tier!r}")
    for name in ("fail_before", "fail_after", "drop"):
        value = getattr(config, name)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a probability between 0 and 1, not {value!r}")
    if config.fail_before + config.fail_after + config.drop > 1.0:
        raise ValueError("fail_before + fail_after + drop must not exceed 1")
    _require_positive_or_none("rate_limit_per_second", config.rate_limit_per_second)
    _require_positive_or_none("hourly_quota", config.hourly_quota)
    _require_positive_or_none("user_hourly_quota", config.user_hourly_quota)
    _require_positive_or_none("maton_rate_limit_per_second", config.maton_rate_limit_per_second)
    if config.maton_rate_burst < 1:
        raise ValueError("maton_rate_burst must be at least 1")
    if config.default_te_deletion_mode not in ("unassign", "delete"):
        raise ValueError("default_te_deletion_mode must be unassign or delete")
    if config.running_duration_style not in ("minus_one", "minus_start"):
        raise ValueError("running_duration_style must be minus_one or minus_start")
    if config.project_name_filter not in ("contains", "exact"):
        raise ValueError("project_name_filter must be contains or exact")
    if config.task_tracked_unit not in ("milliseconds", "seconds"):
        raise ValueError("task_tracked_unit must be milliseconds or seconds")
    if config.task_default_assignee not in ("none", "requester"):
        raise ValueError("task_default_assignee must be none or requester")
    _validate_user_emails(config.users)
    if config.task_max_per_page < 1:
        raise ValueError("task_max_per_page must be at least 1")
    if config.rate_burst < 1:
        raise ValueError("rate_burst must be at least 1")
    if config.quota_window_seconds <= 0:
        raise ValueError("quota_window_seconds must be positive")
    if config.latency_seconds < 0:
        raise ValueError("latency_seconds must not be negative")
    if not 0 <= config.port <= 65535:
        raise ValueError("port must be between 0 and 65535")


def _validate_user_emails(emails: tuple[str, ...]) -> None:
    if isinstance(emails, str) or not isinstance(emails, (tuple, list)):
        raise ValueError("users must be a tuple of e-mail addresses")
    seen: set[str] = set()
    for email in emails:
        if not isinstance(email, str) or not _EMAIL.fullmatch(email):
            raise ValueError(f"users: not an e-mail address: {email!r}")
        if email.casefold() in seen:
            raise ValueError(f"users: {email!r} is listed twice")
        seen.add(email.casefold())


def _require_positive_or_none(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be positive (or unset), not {value!r}")
