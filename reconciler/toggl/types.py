"""Typed views of Toggl's JSON. Each `from_api` tolerates unknown fields, missing fields and
`null` lists, and keeps the whole object in `raw` (out of repr and equality)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

from reconciler.model import SETTINGS_FIELDS, PlanTier, QuotaStatus

Tier = Literal["free", "starter", "premium"]
QUOTA_REMAINING_HEADER = "x-toggl-quota-remaining"
QUOTA_RESETS_IN_HEADER = "x-toggl-quota-resets-in"


def _int(value: Any) -> int | None:
    """An id or count; None for null, booleans and anything that is not a whole number."""
    if type(value) is int:  # the common case, first: a listing calls this 100,000 times
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and not value.is_integer():
        return None  # 5.7 is no id: truncating it to 5 would name another object
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's `Infinity`
        return None


def _own(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object's `raw`: a decoded JSON object is the result's own, kept as it is (copying
    20,000 tasks and 10,000 projects was a tenth of a large plan's read); any other mapping,
    which its caller may still change, is copied."""
    return data if type(data) is dict else dict(data)


def _str(value: Any) -> str | None:
    return value if type(value) is str or isinstance(value, str) else None


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    """The first non-null value among keys: Toggl names the same thing differently per object."""
    for key in keys:
        value = data.get(key)
        if value is not None:
            return value
    return None


def _number(value: Any) -> float | int | None:
    """A rate or amount: an int or float as sent, a numeric string parsed; None otherwise."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    # Python's JSON decoder takes `NaN` and `Infinity`: neither is an amount of money.
    return (value if isinstance(value, float) else number) if math.isfinite(number) else None


def _bool(value: Any, default: bool = False) -> bool:
    """A JSON boolean; null or absent is `default` (Toggl omits false flags on some objects)."""
    return default if value is None else bool(value)


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def int_list(value: Any) -> list[int]:
    """The whole numbers of a JSON list (e.g. ids); [] for anything that is not a list."""
    return _ints(value)


def _ints(value: Any) -> list[int]:
    items = value if isinstance(value, list) else []
    return [number for number in (_int(item) for item in items) if number is not None]


@dataclass(frozen=True)
class User:
    id: int
    email: str | None
    fullname: str | None
    default_workspace_id: int | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> User:
        return cls(
            id=_int(data.get("id")) or 0,
            email=_str(data.get("email")),
            fullname=_str(data.get("fullname")),
            default_workspace_id=_int(data.get("default_workspace_id")),
            raw=_own(data),
        )


@dataclass(frozen=True)
class Workspace:
    id: int
    name: str
    organization_id: int | None
    premium: bool
    business_ws: bool
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Workspace:
        return cls(
            id=_int(data.get("id")) or 0,
            name=_str(data.get("name")) or "",
            organization_id=_int(data.get("organization_id")),
            premium=bool(data.get("premium")),
            business_ws=bool(data.get("business_ws")),
            raw=_own(data),
        )

    @property
    def tier(self) -> Tier:
        # Documented: `business_ws` is the Premium plan, `premium` the Starter plan.
        if self.business_ws:
            return "premium"
        return "starter" if self.premium else "free"

    @property
    def settings(self) -> dict[str, Any]:
        """The manageable settings (model.SETTINGS_FIELDS) this answer carried, as sent."""
        return {key: self.raw[key] for key in SETTINGS_FIELDS if key in self.raw}


@dataclass(frozen=True)
class Organization:
    """One of `GET /me/organizations` (documented: id, name, pricing_plan_name, ...)."""

    id: int
    name: str
    pricing_plan_name: str | None
    pricing_plan_enterprise: bool
    admin: bool
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Organization:
        return cls(
            id=_int(data.get("id")) or 0,
            name=_str(data.get("name")) or "",
            pricing_plan_name=_str(data.get("pricing_plan_name")),
            pricing_plan_enterprise=bool(data.get("pricing_plan_enterprise")),
            admin=bool(data.get("admin")),
            raw=_own(data),
        )

    @property
    def tier(self) -> PlanTier | None:
        """The plan a new workspace of this organization gets, from the plan's name (recorded:
        "Free"); None when the name says nothing we know (recorded once: "")."""
        if self.pricing_plan_enterprise:
            return "premium"
        plan = (self.pricing_plan_name or "").lower()
        for word, tier in (("enterprise", "premium"), ("premium", "premium"),
                           ("starter", "starter"), ("free", "free")):
            if word in plan:
                return tier  # type: ignore[return-value]
        return None


@dataclass(frozen=True)
class WorkspaceUser:
    """A user of a workspace (`GET /workspaces/{wid}/users`, recorded: id, fullname, email,
    is_active, is_admin, inactive). `id` is the user's id, the one project users and groups
    name; an answer that also carries `user_id` (the workspace_users form) has `user_id` win."""

    id: int
    email: str | None
    fullname: str | None
    is_admin: bool
    is_active: bool
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> WorkspaceUser:
        return cls(
            id=_int(_first(data, "user_id", "id")) or 0,
            email=_str(data.get("email")),
            fullname=_str(_first(data, "fullname", "name")),
            is_admin=bool(_first(data, "is_admin", "admin")),
            # An `inactive: true` user (invited, never joined) is not active whatever else says.
            is_active=_bool(data.get("is_active"), True) and not data.get("inactive"),
            raw=_own(data),
        )


@dataclass(frozen=True)
class Group:
    """An organization group (`GET /organizations/{oid}/groups`, recorded: group_id, name, at,
    workspaces [ids], users [{user_id, name, avatar_url, joined}])."""

    id: int
    name: str
    user_ids: tuple[int, ...]
    workspace_ids: tuple[int, ...]
    at: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Group:
        return cls(
            id=_int(_first(data, "group_id", "id")) or 0,
            name=_str(data.get("name")) or "",
            user_ids=_member_ids(data.get("users"), "user_id"),
            workspace_ids=_member_ids(data.get("workspaces"), "workspace_id"),
            at=_str(data.get("at")),
            raw=_own(data),
        )


def _member_ids(value: Any, key: str) -> tuple[int, ...]:
    """Ids of a list holding bare ids or objects (`{"user_id": 5, ...}`), in order, once each."""
    items = value if isinstance(value, list) else []
    ids = (_int(_first(item, key, "id")) if isinstance(item, Mapping) else _int(item) for item in items)
    return tuple(dict.fromkeys(number for number in ids if number is not None))


@dataclass(frozen=True)
class ProjectUser:
    """A user's membership of a project (`/workspaces/{wid}/project_users`). `group_id` is set
    on the rows Toggl keeps for users who reach the project through a group."""

    id: int
    project_id: int | None
    user_id: int | None
    workspace_id: int | None
    manager: bool
    rate: float | int | None
    labor_cost: float | int | None
    group_id: int | None
    at: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ProjectUser:
        return cls(
            id=_int(data.get("id")) or 0,
            project_id=_int(_first(data, "project_id", "pid")),
            user_id=_int(_first(data, "user_id", "uid")),
            workspace_id=_int(_first(data, "workspace_id", "wid")),
            manager=bool(data.get("manager")),
            rate=_number(data.get("rate")),
            labor_cost=_number(data.get("labor_cost")),
            # Documented: both `group_id` and `gid` (null on a direct member).
            group_id=_int(_first(data, "group_id", "gid")),
            at=_str(data.get("at")),
            raw=_own(data),
        )


@dataclass(frozen=True)
class ProjectGroup:
    """A group's membership of a project (`/workspaces/{wid}/project_groups`)."""

    id: int
    project_id: int | None
    group_id: int | None
    workspace_id: int | None
    at: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ProjectGroup:
        return cls(
            id=_int(data.get("id")) or 0,
            project_id=_int(_first(data, "project_id", "pid")),
            group_id=_int(data.get("group_id")),
            workspace_id=_int(_first(data, "workspace_id", "wid")),
            at=_str(data.get("at")),
            raw=_own(data),
        )


# Documented (v9 reference, tasks): "The value tracked_seconds is in milliseconds, not in
# seconds." No recording settles it; we follow the reference (the sandbox serves either unit:
# SandboxConfig.task_tracked_unit). v8 documented seconds; the field name still says so.
TASK_TRACKED_UNITS_PER_SECOND = 1000


@dataclass(frozen=True)
class Task:
    """A project's task (documented: id, name, project_id, workspace_id, user_id, active,
    estimated_seconds, tracked_seconds, at, server_deleted_at, ...). `tracked_seconds` is the
    value as sent (milliseconds, see above); `seconds_tracked` is it in seconds."""

    id: int
    name: str
    project_id: int | None
    workspace_id: int | None
    user_id: int | None  # the assignee
    active: bool
    estimated_seconds: int | None
    tracked_seconds: int
    at: str | None
    server_deleted_at: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Task:
        return cls(
            id=_int(data.get("id")) or 0,
            name=_str(data.get("name")) or "",
            project_id=_int(_first(data, "project_id", "pid")),
            workspace_id=_int(_first(data, "workspace_id", "wid")),
            user_id=_int(_first(data, "user_id", "uid")),
            # Like projects: a task without `active` is active (done ones always say false).
            active=_bool(data.get("active"), True),
            estimated_seconds=_int(data.get("estimated_seconds")),
            tracked_seconds=_int(data.get("tracked_seconds")) or 0,
            at=_str(data.get("at")),
            server_deleted_at=_str(data.get("server_deleted_at")),
            raw=_own(data),
        )

    @property
    def seconds_tracked(self) -> int:
        """Time tracked on the task in whole seconds, rounded up: a plan that shows what a
        delete loses must never show less than there is."""
        units = max(self.tracked_seconds, 0)
        return -(-units // TASK_TRACKED_UNITS_PER_SECOND)


@dataclass(frozen=True)
class Client:
    id: int
    workspace_id: int | None
    name: str
    archived: bool
    notes: str | None
    at: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Client:
        return cls(
            id=_int(data.get("id")) or 0,
            workspace_id=_int(_first(data, "wid", "workspace_id")),
            name=_str(data.get("name")) or "",
            archived=bool(data.get("archived")),
            notes=_str(data.get("notes")),
            at=_str(data.get("at")),
            raw=_own(data),
        )


@dataclass(frozen=True)
class Project:
    id: int
    workspace_id: int | None
    client_id: int | None
    name: str
    active: bool
    is_private: bool
    color: str | None
    billable: bool | None
    estimated_hours: int | None
    rate: float | None
    currency: str | None
    auto_estimates: bool | None
    template: bool | None
    at: str | None
    actual_seconds: int
    server_deleted_at: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Project:
        return cls(
            id=_int(data.get("id")) or 0,
            workspace_id=_int(_first(data, "workspace_id", "wid")),
            client_id=_int(_first(data, "client_id", "cid")),
            name=_str(data.get("name")) or "",
            # A project without `active` is taken as active: archived ones always say false.
            active=bool(data.get("active", True)),
            is_private=bool(data.get("is_private")),
            color=_str(data.get("color")),
            billable=data.get("billable"),
            estimated_hours=_int(data.get("estimated_hours")),
            rate=data.get("rate"),
            currency=_str(data.get("currency")),
            auto_estimates=data.get("auto_estimates"),
            template=data.get("template"),
            at=_str(data.get("at")),
            actual_seconds=_int(data.get("actual_seconds")) or 0,
            server_deleted_at=_str(data.get("server_deleted_at")),
            raw=_own(data),
        )


@dataclass(frozen=True)
class Tag:
    id: int
    workspace_id: int | None
    name: str
    at: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Tag:
        return cls(
            id=_int(data.get("id")) or 0,
            workspace_id=_int(_first(data, "workspace_id", "wid")),
            name=_str(data.get("name")) or "",
            at=_str(data.get("at")),
            raw=_own(data),
        )


@dataclass(frozen=True)
class TimeEntry:
    id: int
    workspace_id: int | None
    project_id: int | None
    description: str | None
    start: str | None
    stop: str | None
    duration: int | None  # negative while the timer runs
    tags: list[str]
    tag_ids: list[int]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> TimeEntry:
        return cls(
            id=_int(data.get("id")) or 0,
            workspace_id=_int(_first(data, "workspace_id", "wid")),
            project_id=_int(_first(data, "project_id", "pid")),
            description=_str(data.get("description")),
            start=_str(data.get("start")),
            stop=_str(data.get("stop")),
            duration=_int(data.get("duration")),
            tags=_strings(data.get("tags")),
            tag_ids=_ints(data.get("tag_ids")),
            raw=_own(data),
        )

    @property
    def running(self) -> bool:
        return self.duration is not None and self.duration < 0


@dataclass(frozen=True)
class BulkFailure:
    id: int
    message: str


@dataclass(frozen=True)
class BulkResult:
    success: tuple[int, ...] = ()
    failure: tuple[BulkFailure, ...] = ()
    # False when the answer said nothing per id and every id was taken as done: a caller
    # that can read back cheaply should (the success is assumed, not reported).
    reported: bool = field(default=True, compare=False)

    @classmethod
    def from_api(cls, data: Any, requested_ids: Sequence[int]) -> BulkResult:
        """Accepts {"success": [...], "failure": [...]}, a bare list of the requested ids (those
        succeeded), or anything else (no news is taken as success for every requested id)."""
        if isinstance(data, Mapping) and ("success" in data or "failure" in data):
            return cls(success=tuple(_ints(data.get("success"))), failure=_failures(data.get("failure")))
        listed = _ints(data) if isinstance(data, list) else []
        if listed and set(listed) <= set(requested_ids):
            return cls(success=tuple(listed))
        # Some bulk calls answer other ids (client archive: the projects it archived) or nothing:
        # a 200 with no per-id news means every requested id was done.
        return cls(success=tuple(requested_ids), reported=False)

    @property
    def ok(self) -> bool:
        return not self.failure


def _failures(value: Any) -> tuple[BulkFailure, ...]:
    items = value if isinstance(value, list) else []
    return tuple(
        BulkFailure(id=_int(item.get("id")) or 0, message=str(item.get("message") or ""))
        for item in items
        if isinstance(item, Mapping)
    )


@dataclass(frozen=True)
class QuotaInfo:
    organization_id: int | None
    remaining: int | None
    resets_in_secs: int | None
    total: int | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> QuotaInfo:
        return cls(
            organization_id=_int(data.get("organization_id")),
            remaining=_int(data.get("remaining")),
            resets_in_secs=_int(data.get("resets_in_secs")),
            total=_int(data.get("total")),
            raw=_own(data),
        )


def quota_from_headers(headers: Mapping[str, str]) -> QuotaStatus | None:
    """The X-Toggl-Quota-* headers of one response (names case-insensitive), None if absent."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if QUOTA_REMAINING_HEADER not in lowered and QUOTA_RESETS_IN_HEADER not in lowered:
        return None
    return QuotaStatus(
        remaining=_int(lowered.get(QUOTA_REMAINING_HEADER, "").strip() or None),
        resets_in=_int(lowered.get(QUOTA_RESETS_IN_HEADER, "").strip() or None),
    )
