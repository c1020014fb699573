"""The shared vocabulary of the core: desired state (from the spec) and live state (from Toggl).

Both sides use the same identity rules so that the planner can diff them by key:
clients and tags by name, projects by (client, project name), names compared by `name_key`
(Unicode NFC, then letter case ignored; see there). Everything here is plain, immutable data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

Kind = Literal["client", "project", "tag", "settings", "group", "member", "task", "workspace"]
# The first three kinds: the objects every spec manages (the lists `unmanaged:` and the
# thresholds have always covered). The workspace kinds below are planned only when the spec
# mentions them, so a spec without them reads and plans exactly as before.
KINDS: tuple[Kind, ...] = ("client", "project", "tag")
WORKSPACE_KINDS: tuple[Kind, ...] = ("workspace", "settings", "group", "member", "task")
ALL_KINDS: tuple[Kind, ...] = KINDS + WORKSPACE_KINDS
# Spec section name of each kind ("clients", ...), used in policies, protection and messages.
KIND_SECTIONS: Mapping[Kind, str] = {"client": "clients", "project": "projects", "tag": "tags"}
WORKSPACE_KIND_SECTIONS: Mapping[Kind, str] = {
    "workspace": "workspace", "settings": "settings", "group": "groups", "member": "members",
    "task": "tasks",
}

UnmanagedPolicy = Literal["ignore", "archive", "delete", "remove"]
# What `unmanaged:` may say of each workspace kind (settings are managed key by key: no policy).
WORKSPACE_UNMANAGED_POLICIES: Mapping[Kind, tuple[UnmanagedPolicy, ...]] = {
    "group": ("ignore", "delete"),
    "member": ("ignore", "remove"),
    "task": ("ignore", "archive", "delete"),
}
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


# ---------------------------------------------------------------- identity of names
#
# Three levels, strictest first (the planner tries them in this order):
#   spelling   NFC form: two spellings of one visible name ("Cafe\u0301" / "Caf\u00e9") are
#              the same name. This is what "exact" means in matching.
#   name_key   NFC, then `str.lower()`: the same name up to letter case ("Acme" / "ACME"),
#              which the planner treats as a rename. `lower()` applies Unicode's lowercase
#              mapping only, so it never joins names that differ by more than case: unlike
#              `casefold()` it keeps "Stra\u00dfe" apart from "STRASSE", the ligature
#              "\ufb01le" apart from "FILE", and final sigma apart from sigma. (The only
#              joins beyond ASCII are Unicode's own case pairs, e.g. "\u00df" / "\u1e9e" and
#              "\u0130" / "i\u0307".) Toggl's own rule is unknown (API notes), so nothing
#              looser than this may pick the object a spec entry acts on.
#   lookalike_key  NFKC, casefold, format characters dropped: names a reviewer could take
#              for one another. Never used to act on an object, only to warn about it.


def spelling(name: str) -> str:
    """The exact identity of a name: its NFC form (Unicode canonical equivalence)."""
    return unicodedata.normalize("NFC", name)


def name_key(name: str) -> str:
    """Identity of a name up to letter case: NFC, then `str.lower()` (see the notes above)."""
    return unicodedata.normalize("NFC", name).lower()


def lookalike_key(name: str) -> str:
    """What a reader may take for the same name: compatibility forms, any fold of case
    (\u00df/ss, ligatures), invisible format characters (zero-width, bidi controls) ignored."""
    if name.isascii():
        return name.lower()  # the common case: every step below is lower() on ASCII
    visible = "".join(
        char for char in unicodedata.normalize("NFKC", name)
        if unicodedata.category(char) != "Cf" and not 0xFE00 <= ord(char) <= 0xFE0F
    )
    return unicodedata.normalize("NFKC", visible.casefold())


def email_key(email: str) -> str:
    """Identity of an e-mail: NFC, blanks around it dropped, letter case ignored, as Toggl's
    logins are. Every layer (spec checks, planner, writes, export) compares e-mails by it."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def project_key(client: str | None, name: str) -> tuple[str, str]:
    return (name_key(client) if client else "", name_key(name))


# ---------------------------------------------------------------- addresses
#
# A project's address is `Client/Project`. Names may hold `/` themselves, so inside an
# address a name's `\` is written `\\` and its `/` is written `\/`: client "Acme" with
# project "Ops/Payroll" is `Acme/Ops\/Payroll`, client "Acme/Ops" with project "Payroll"
# is `Acme\/Ops/Payroll`. A name without `/` or `\` is written as it is, so addresses
# and `protected:` patterns such as `Globex/*` keep their meaning.

_ADDRESS_SPECIALS = re.compile(r"([\\/])")


def escape_name(name: str) -> str:
    """A name as it is written inside an address: `\\` and `/` escaped with a backslash."""
    return _ADDRESS_SPECIALS.sub(r"\\\1", name) if ("/" in name or "\\" in name) else name


def project_address(client: str | None, name: str) -> str:
    """Address of a project, as plans and messages show it: `Client/Project` or `Project`,
    each name escaped (`escape_name`) so that the one unescaped `/` separates them."""
    if client is None:
        return escape_name(name)
    return f"{escape_name(client)}/{escape_name(name)}"


def object_address(kind: Kind, name: str, client: str | None = None) -> str:
    """Address of an object of any kind: a project's `project_address`, else its escaped name."""
    return project_address(client, name) if kind == "project" else escape_name(name)


def split_address(address: str) -> tuple[str | None, str]:
    """(client, project name) of a project address; a backslash escapes the next character."""
    parts: list[str] = [""]
    chars = iter(address)
    for char in chars:
        if char == "\\":
            parts[-1] += next(chars, "\\")
        elif char == "/" and len(parts) == 1:
            parts.append("")
        else:
            parts[-1] += char
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


# Workspace settings a spec may manage (`settings:`), in Toggl's own names (GET/PUT
# /workspaces/{wid}). Only the keys a spec writes are managed; the others are never sent.
SETTINGS_FIELDS: tuple[str, ...] = (
    "default_currency",
    "default_hourly_rate",
    "rounding",
    "rounding_minutes",
    "only_admins_may_create_projects",
    "only_admins_may_create_tags",
    "only_admins_see_team_dashboard",
    "projects_billable_by_default",
    "projects_private_by_default",
    "projects_enforce_billable",
    "limit_public_project_data",
    "reports_collapse",
)
# What a key of the workspace kinds needs beyond the Free plan: a paid-only key on a Free
# workspace is a plan error naming the key and this plan. Keys: `settings.<field>`,
# `groups`, `members.rate`, `tasks`.
PAID_WORKSPACE_KEYS: Mapping[str, PlanTier] = {
    "settings.default_hourly_rate": "starter",
    "settings.projects_billable_by_default": "starter",
    "settings.projects_enforce_billable": "starter",
    "settings.rounding": "starter",
    "settings.rounding_minutes": "starter",
    "groups": "starter",
    "members.rate": "starter",
    "tasks": "starter",
}
TASK_FIELDS: tuple[str, ...] = ("active", "estimated_hours", "assignee")  # assignee: an e-mail


def hours_to_seconds(hours: Any) -> int | None:
    """A spec's `estimated_hours` as Toggl's `estimated_seconds` (None stays None)."""
    return None if hours is None else int(round(float(hours) * 3600))


def seconds_to_hours(seconds: int | None) -> float | int | None:
    """Toggl's `estimated_seconds` in spec terms: whole hours as an int, else 4 places."""
    if seconds is None:
        return None
    hours = seconds / 3600
    return int(hours) if hours == int(hours) else round(hours, 4)
MEMBER_FIELDS: tuple[str, ...] = ("manager", "rate")


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
class DesiredMember:
    """One `members:` entry of a project: a workspace user (by e-mail) or a group (by name)."""

    user: str | None = None  # an e-mail, as written (compared ignoring case)
    group: str | None = None  # a group name; exactly one of user/group is set
    fields: Mapping[str, Any] = field(default_factory=dict)  # subset of MEMBER_FIELDS
    source: SourceLocation | None = None

    @property
    def member_key(self) -> str:
        """`user:<e-mail>` or `group:<name>`: the member's address within its project."""
        if self.user is not None:
            return f"user:{escape_name(self.user)}"
        return f"group:{escape_name(self.group or '')}"


@dataclass(frozen=True)
class DesiredTask:
    """One `tasks:` entry of a project; name-keyed within the project like projects in clients."""

    name: str
    fields: Mapping[str, Any] = field(default_factory=dict)  # subset of TASK_FIELDS
    previous_names: tuple[str, ...] = ()
    delete: bool = False
    source: SourceLocation | None = None


@dataclass(frozen=True)
class DesiredGroup:
    """One `groups:` entry: an organization group attached to this workspace."""

    name: str
    members: tuple[str, ...] | None = None  # e-mails; None: membership not managed
    previous_names: tuple[str, ...] = ()
    delete: bool = False
    source: SourceLocation | None = None
    member_sources: tuple[SourceLocation | None, ...] = ()  # one per members entry


@dataclass(frozen=True)
class DesiredSettings:
    """The spec's `settings:` block: only the keys written (subset of SETTINGS_FIELDS)."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, SourceLocation] = field(default_factory=dict)  # per key


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
    # `move_from: Client/Project` in the spec: the live project (address, escaped as in
    # `project_address`) this entry takes over from elsewhere. The only way an entry reaches
    # a project under another client.
    move_from: str | None = None
    source: SourceLocation | None = None
    # None: the entry has no `members:` / `tasks:` key, so that kind is not managed on it
    # (an empty list is managed: nothing listed, `unmanaged.members`/`tasks` decide the rest).
    members: tuple[DesiredMember, ...] | None = None
    tasks: tuple[DesiredTask, ...] | None = None

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
    # "allow", or "require-flag": apply refuses billing changes without --allow-billing-changes
    billing_changes: str = "allow"


RuleSeverity = Literal["error", "warning"]
# Fields a house rule's `require` may name, per kind (the spec's own keys; `name` is always set).
RULE_FIELDS: Mapping[Kind, tuple[str, ...]] = {
    "client": ("notes", "archived"),
    "project": PROJECT_FIELDS,
    "tag": (),
}


@dataclass(frozen=True)
class HouseRule:
    """A spec `rules:` entry: what every name and entry of one kind must satisfy."""

    kind: Kind
    message: str
    name_pattern: str | None = None  # searched in each name (anchor with ^...$)
    require: tuple[str, ...] = ()  # fields every entry of the kind must set
    severity: RuleSeverity = "warning"  # for live objects; spec entries always fail
    source: SourceLocation | None = None


@dataclass(frozen=True)
class DesiredState:
    workspace: str | int  # a name, or a numeric id
    clients: tuple[DesiredClient, ...] = ()
    projects: tuple[DesiredProject, ...] = ()
    tags: tuple[DesiredTag, ...] = ()
    unmanaged: Mapping[Kind, UnmanagedPolicy] = field(
        default_factory=lambda: {"client": "ignore", "project": "ignore", "tag": "ignore"}
    )
    # Names or globs per kind (see engine.safety); projects match `name` or `Client/name`.
    protected: Mapping[Kind, tuple[str, ...]] = field(default_factory=dict)
    safety: SafetyLimits = field(default_factory=SafetyLimits)
    spec_hash: str = ""  # sha256 of the spec files' bytes, in load order
    files: tuple[str, ...] = ()
    rules: tuple[HouseRule, ...] = ()  # house rules, from every file of the workspace
    # The workspace kinds; None (or no project with members/tasks) means the spec does not
    # mention that kind, and nothing of it is read or planned.
    organization: str | int | None = None  # with it, apply creates a missing workspace
    organization_source: SourceLocation | None = None
    settings: DesiredSettings | None = None
    groups: tuple[DesiredGroup, ...] | None = None

    @property
    def mentions_members(self) -> bool:
        return any(project.members is not None for project in self.projects)

    @property
    def mentions_tasks(self) -> bool:
        return any(project.tasks is not None for project in self.projects)

    @property
    def mentioned_emails(self) -> bool:
        """Whether any entry names a user by e-mail (group members, members, assignees)."""
        return (any(group.members for group in self.groups or ())
                or any(member.user is not None for project in self.projects
                       for member in project.members or ())
                or any("assignee" in task.fields for project in self.projects
                       for task in project.tasks or ()))


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
class LiveUser:
    """A user of the workspace (GET /workspaces/{wid}/users): how e-mails become ids."""

    id: int
    email: str
    name: str | None = None

    @property
    def nameable(self) -> bool:
        """Whether a spec can name this user: by e-mail, so not one Toggl lists without one
        (such a user counts as outside the workspace: kept in groups, never written as '')."""
        return bool(self.email.strip())


@dataclass(frozen=True)
class LiveGroup:
    """An organization group (GET /organizations/{oid}/groups)."""

    id: int
    name: str
    user_ids: tuple[int, ...] = ()
    workspace_ids: tuple[int, ...] = ()  # the workspaces it is attached to
    at: str | None = None


@dataclass(frozen=True)
class LiveMember:
    """A project member: a project_user (user_id set) or a project_group (group_id set)."""

    id: int
    project_id: int
    user_id: int | None = None
    group_id: int | None = None
    manager: bool = False
    rate: float | None = None
    at: str | None = None


@dataclass(frozen=True)
class LiveTask:
    id: int
    name: str
    project_id: int
    active: bool = True
    estimated_seconds: int | None = None
    user_id: int | None = None  # the assignee
    tracked_seconds: int = 0
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
    # The workspace kinds, read only when the spec mentions them (None: not read).
    organization_id: int | None = None
    settings: Mapping[str, Any] | None = None  # SETTINGS_FIELDS as GET /workspaces/{wid} gave them
    users: tuple[LiveUser, ...] | None = None
    groups: tuple[LiveGroup, ...] | None = None  # every group of the organization
    members: tuple[LiveMember, ...] | None = None  # project users and project groups
    tasks: tuple[LiveTask, ...] | None = None
    # True when the spec's workspace does not exist yet and `organization:` lets apply create
    # it: every list above is empty and workspace_id is 0 until the create runs.
    workspace_missing: bool = False
    # With workspace_missing: why the organization will refuse to create it, when its own
    # record says so (a Free organization has `is_multi_workspace_enabled: false`, recorded
    # with the 403 its workspace create answers; a user who is not its admin); None: no reason.
    organization_refusal: str | None = None
    # Requests spent per kind of read (live.READ_KINDS: "clients", "projects", "workspace",
    # "users", "groups", "members", "tasks", ...): only the kinds read; they add up to `reads`.
    read_counts: Mapping[str, int] = field(default_factory=dict)

