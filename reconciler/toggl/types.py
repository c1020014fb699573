"""Typed views of Toggl's JSON. Each `from_api` tolerates unknown fields, missing fields and
`null` lists, and keeps the whole object in `raw` (out of repr and equality)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

from reconciler.model import QuotaStatus

Tier = Literal["free", "starter", "premium"]
QUOTA_REMAINING_HEADER = "x-toggl-quota-remaining"
QUOTA_RESETS_IN_HEADER = "x-toggl-quota-resets-in"


def _int(value: Any) -> int | None:
    """An id or count; None for null, booleans and anything that is not a whole number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    """The first non-null value among keys: Toggl names the same thing differently per object."""
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


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
            raw=dict(data),
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
            raw=dict(data),
        )

    @property
    def tier(self) -> Tier:
        # Documented: `business_ws` is the Premium plan, `premium` the Starter plan.
        if self.business_ws:
            return "premium"
        return "starter" if self.premium else "free"


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
            raw=dict(data),
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
            raw=dict(data),
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
            raw=dict(data),
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
            raw=dict(data),
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
        return cls(success=tuple(requested_ids))

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
            raw=dict(data),
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
