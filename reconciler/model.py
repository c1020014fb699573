"""The shared vocabulary of the core: desired state (from the spec) and live state (from Toggl).

Both sides use the same identity rules so that the planner can diff them by key:
clients and tags by name, projects by (client name, project name), names compared
case-insensitively (`name_key`). Everything here is plain, immutable data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

Kind = Literal["client", "project", "tag"]
KINDS: tuple[Kind, ...] = ("client", "project", "tag")
# Spec section name of each kind ("clients", ...), used in policies, protection and messages.
KIND_SECTIONS: Mapping[Kind, str] = {"client": "clients", "project": "projects", "tag": "tags"}

UnmanagedPolicy = Literal["ignore", "archive", "delete"]
PlanTier = Literal["free", "starter", "premium"]

# Fields of a project that the spec may manage, in Toggl's own names.
# `client` (a client *name*) stands for Toggl's client_id; `active: false` means archived.
PROJECT_FIELDS: tuple[str, ...] = (
    "client",
    "active",
    "color",
    "billable",
    "is_private",
    "estimated_hours",
    "rate",
    "currency",
    "auto_estimates",
    "template",
)
# Paid-plan project fields: never sent to Toggl unless the spec asks for them.
PAID_PROJECT_FIELDS: frozenset[str] = frozenset(
    {"billable", "estimated_hours", "rate", "currency", "auto_estimates", "template"}
)
CLIENT_FIELDS: tuple[str, ...] = ("notes", "archived")

# Toggl's colour palette on the free plan; any other #rrggbb needs a paid plan (402).
FREE_PALETTE: frozenset[str] = frozenset(
    {
        "#0b83d9", "#9e5bd9", "#d94182", "#e36a00", "#bf7000", "#2da608", "#06a893",
        "#c9806b", "#465bb3", "#990099", "#c7af14", "#566614", "#d92b2b", "#525266",
    }
)


def name_key(name: str) -> str:
    """Identity of a name: Toggl's uniqueness is treated as case-insensitive (API notes: unknown)."""
    return name.casefold()


def project_key(client: str | None, name: str) -> tuple[str, str]:
    return (name_key(client) if client else "", name_key(name))


def project_address(client: str | None, name: str) -> str:
    """Human address of a project, as plans show it: `Client/Project` or `Project`."""
    return f"{client}/{name}" if client else name


@dataclass(frozen=True)
class SourceLocation:
    """Where a spec object was written, for messages: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# ---------------------------------------------------------------- desired state (the spec)


@dataclass(frozen=True)
class DesiredClient:
    name: str
    # Only the fields written in the spec (after `defaults`), subset of CLIENT_FIELDS.
    fields: Mapping[str, Any] = field(default_factory=dict)
    previous_names: tuple[str, ...] = ()
    delete: bool = False  # `delete: true` in the spec: remove this client explicitly
    source: SourceLocation | None = None


@dataclass(frozen=True)
class DesiredProject:
    name: str
    client: str | None = None
    # Only the fields written in the spec (after `defaults.project`), subset of PROJECT_FIELDS
    # minus "client" (held above). `active: false` means archived.
    fields: Mapping[str, Any] = field(default_factory=dict)
    previous_names: tuple[str, ...] = ()
    delete: bool = False  # `delete: true`: remove this project explicitly
    delete_time_entries: bool = False  # with delete: also destroy its time entries
    source: SourceLocation | None = None

    @property
    def address(self) -> str:
        return project_address(self.client, self.name)


@dataclass(frozen=True)
class DesiredTag:
    name: str
    previous_names: tuple[str, ...] = ()
    delete: bool = False
    source: SourceLocation | None = None


@dataclass(frozen=True)
class SafetyLimits:
    """octoDNS-style removal thresholds; the spec's `safety:` block may change them."""

    max_removal_percent: float = 30.0  # of one kind's live objects...
    min_existing: int = 10  # ...once that kind has at least this many live objects
    max_removals: int = 25  # archives + deletes in one plan, all kinds together


@dataclass(frozen=True)
class DesiredState:
    workspace: str | int  # a name, or a numeric id
    clients: tuple[DesiredClient, ...] = ()
    projects: tuple[DesiredProject, ...] = ()
    tags: tuple[DesiredTag, ...] = ()
    unmanaged: Mapping[Kind, UnmanagedPolicy] = field(
        default_factory=lambda: {"client": "ignore", "project": "ignore", "tag": "ignore"}
    )
    # Names or fnmatch globs per kind (case-insensitive); projects match `name` or `Client/name`.
    protected: Mapping[Kind, tuple[str, ...]] = field(default_factory=dict)
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    spec_hash: str = ""  # sha256 of the spec files' bytes, in load order
    files: tuple[str, ...] = ()


# ---------------------------------------------------------------- live state (Toggl)


@dataclass(frozen=True)
class LiveClient:
    id: int
    name: str
    archived: bool = False
    notes: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class LiveProject:
    id: int
    name: str
    client_id: int | None = None
    active: bool = True
    # Every PROJECT_FIELDS value Toggl reported, except client/active (held above).
    fields: Mapping[str, Any] = field(default_factory=dict)
    at: str | None = None
    actual_seconds: int = 0


@dataclass(frozen=True)
class LiveTag:
    id: int
    name: str
    at: str | None = None


@dataclass(frozen=True)
class QuotaStatus:
    """What Toggl last said of the hourly quota (X-Toggl-Quota-* headers); None = not reported."""

    remaining: int | None = None
    resets_in: int | None = None


@dataclass(frozen=True)
class LiveState:
    workspace_id: int
    workspace_name: str | None = None
    tier: PlanTier | None = None  # None when not read (workspace given by id: no extra call)
    clients: tuple[LiveClient, ...] = ()
    projects: tuple[LiveProject, ...] = ()
    tags: tuple[LiveTag, ...] = ()
    reads: int = 0  # API requests spent reading this state
    quota: QuotaStatus = field(default_factory=QuotaStatus)

