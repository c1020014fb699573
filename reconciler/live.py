"""Reading a live workspace: the few list calls a plan is allowed to spend.

A plan reads clients (one call, every status), tags (one call) and projects (200 a page), and,
only when the spec names its workspace instead of giving its id, `/me/workspaces` once. It never
reads an object by itself: on Toggl's free plan (30 requests an hour) that would not even finish.

The workspace kinds are read only when the spec mentions them (`workspace_reads`), each with one
list call for the whole workspace (tasks: one per 200), never one per project:
  workspace  GET /workspaces/{wid}          tier, organization, settings (once, if any is read)
  users      GET /workspaces/{wid}/users
  groups     GET /organizations/{oid}/groups
  members    GET /workspaces/{wid}/project_users and .../project_groups
  tasks      GET /workspaces/{wid}/tasks?active=both (paged)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from reconciler.errors import UsageError
from reconciler.model import (
    PROJECT_FIELDS,
    DesiredState,
    LiveClient,
    LiveGroup,
    LiveMember,
    LiveProject,
    LiveState,
    LiveTag,
    LiveTask,
    LiveUser,
    PlanTier,
    name_key,
)
from reconciler.read_cache import ProjectCache
from reconciler.toggl import TogglClient, answers
from reconciler.toggl.errors import UnexpectedResponseError
from reconciler.toggl.types import (
    Client,
    Group,
    Organization,
    Project,
    ProjectGroup,
    ProjectUser,
    Tag,
    Task,
    Workspace,
    WorkspaceUser,
)
from reconciler.untrusted import quoted

T = TypeVar("T")
# Keys of LiveState.read_counts, in the order reads happen (a key is present only if read):
# the /me/workspaces lookup, the three old kinds, then the workspace kinds.
READ_KINDS: tuple[str, ...] = (
    "workspaces", "organizations", "clients", "tags", "projects", "settings", "users", "groups",
    "members", "tasks",
)

# Project fields held in LiveProject.fields (client and active have their own attributes).
_LIVE_PROJECT_FIELDS = tuple(f for f in PROJECT_FIELDS if f not in ("client", "active"))


@dataclass(frozen=True)
class ResolvedWorkspace:
    """A workspace reference (name or id) resolved to its id; name and tier when known for free."""

    id: int
    name: str | None = None
    tier: PlanTier | None = None
    organization_id: int | None = None
    # A name that no workspace answers to, in a spec whose `organization:` lets apply create
    # it: id is 0 until then.
    missing: bool = False


def resolve_workspace(client: TogglClient, workspace: str | int) -> tuple[int, str | None, PlanTier | None]:
    """The workspace's id, and its name and tier when they came for free with the lookup."""
    [found] = resolve_workspaces(client, [workspace])
    return found.id, found.name, found.tier


def resolve_workspaces(client: TogglClient, references: Sequence[str | int], *,
                       organizations: Sequence[str | int | None] = ()) -> list[ResolvedWorkspace]:
    """Each reference resolved to an id, with one `/me/workspaces` read if any is a name.

    Resolving first is what lets two spec files that name one workspace two ways (`4242` and
    `Acme Agency`) be seen as one workspace. A name matches exactly, else ignoring case; a name
    that several workspaces answer to is refused rather than guessed. `organizations` runs
    alongside `references` (each spec's `organization:`): a name no workspace answers to is
    `missing` (to be created by apply) where one is given, and an error where none is.
    """
    if not any(isinstance(reference, str) for reference in references):
        return [ResolvedWorkspace(int(reference)) for reference in references]
    workspaces = client.list_workspaces()
    by_id = {candidate.id: candidate for candidate in workspaces}
    creatable = list(organizations) + [None] * (len(references) - len(organizations))
    resolved: list[ResolvedWorkspace] = []
    for reference, organization in zip(references, creatable):
        if isinstance(reference, str):
            found = _by_name(reference, workspaces, may_be_missing=organization is not None)
            if found is None:
                resolved.append(ResolvedWorkspace(0, reference, missing=True))
                continue
        else:
            found = by_id.get(int(reference))
            if found is None:  # not listed (e.g. no access): let the reads say so
                resolved.append(ResolvedWorkspace(int(reference)))
                continue
        resolved.append(_resolved(found))
    return resolved


def _resolved(workspace: Workspace) -> ResolvedWorkspace:
    return ResolvedWorkspace(workspace.id, workspace.name, workspace.tier, workspace.organization_id)


def _by_name(name: str, workspaces: list[Workspace], may_be_missing: bool = False) -> Workspace | None:
    exact = [candidate for candidate in workspaces if candidate.name == name]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [c for c in workspaces if name_key(c.name) == name_key(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return None if may_be_missing else _workspace_not_found(name, workspaces)
    listed = ", ".join(f"'{w.name}' (id {w.id})" for w in matches)
    raise UsageError(f"workspace '{name}' could be any of {listed}; give its id in `workspace:` "
                     "(or --workspace) instead of the name.")


def _workspace_not_found(workspace: str, workspaces: list[Workspace]) -> Any:
    names = ", ".join(f"{quoted(w.name)} (id {w.id})" for w in workspaces) or "none"
    raise UsageError(
        f"workspace {quoted(workspace)} was not found; the credential can reach: {names}. "
        "Set `workspace:` in the spec (or --workspace) to one of them."
    )


@dataclass(frozen=True)
class WorkspaceReads:
    """Which workspace kinds to read besides clients, projects and tags (all False: none, and
    exactly the requests a spec without them has always made)."""

    settings: bool = False
    users: bool = False
    groups: bool = False
    members: bool = False
    tasks: bool = False

    @property
    def any(self) -> bool:
        return any(getattr(self, item.name) for item in fields(self))

    def union(self, other: WorkspaceReads) -> WorkspaceReads:
        return WorkspaceReads(**{item.name: getattr(self, item.name) or getattr(other, item.name)
                                 for item in fields(self)})

    @classmethod
    def everything(cls) -> WorkspaceReads:
        """Every kind (export: the whole workspace as code)."""
        return cls(settings=True, users=True, groups=True, members=True, tasks=True)


NO_WORKSPACE_READS = WorkspaceReads()


def workspace_reads(desired: DesiredState) -> WorkspaceReads:
    """The workspace kinds a spec's plan needs to read (pure; no request).

    Beyond the kinds a spec mentions: removing unlisted members (`unmanaged.members: remove`)
    needs the users (to show each removed member's e-mail) and the groups (a removed group's
    name and how many people lose access), so that policy reads both.
    """
    removes_members = desired.mentions_members and desired.unmanaged.get("member", "ignore") != "ignore"
    names_a_group = any(member.group is not None for project in desired.projects
                        for member in project.members or ())
    return WorkspaceReads(
        settings=desired.settings is not None,
        # Members are shown by e-mail, the ones the spec does not list too: one cheap read.
        users=desired.mentioned_emails or desired.mentions_members,
        groups=(desired.groups is not None or names_a_group or removes_members
                or desired.unmanaged.get("group", "ignore") != "ignore"),
        members=desired.mentions_members,
        tasks=desired.mentions_tasks,
    )


def plan_reads(kinds: Iterable[str]) -> WorkspaceReads:
    """The workspace kinds to read before carrying out a saved plan whose changes are of
    `kinds` (pure): what its stale checks compare, and what its writes need to find ids by
    (e-mails for groups, members and assignees; group names for members)."""
    wanted = set(kinds)
    return WorkspaceReads(
        settings="settings" in wanted,
        users=bool(wanted & {"group", "member", "task"}),
        groups=bool(wanted & {"group", "member"}),
        members="member" in wanted,
        tasks="task" in wanted,
    )


class _ReadBill:
    """Requests spent per kind of read (retries included), for LiveState.read_counts."""

    def __init__(self, client: TogglClient) -> None:
        self._client = client
        self.counts: dict[str, int] = {}

    def spend(self, kind: str, read: Callable[[], T]) -> T:
        before = self._client.stats.reads
        try:
            return read()
        finally:
            self.counts[kind] = self.counts.get(kind, 0) + self._client.stats.reads - before


def read_live_state(client: TogglClient, workspace: str | int | ResolvedWorkspace,
                    project_cache: ProjectCache | None = None,
                    reads: WorkspaceReads | None = None, *,
                    organization: str | int | None = None) -> LiveState:
    """The live workspace: clients, tags and projects, plus the workspace kinds in `reads`.

    `organization` (the spec's `organization:`) makes a workspace name that no workspace
    answers to a `workspace_missing` state (apply creates it) instead of an error.
    """
    if project_cache is None:
        return _read_live_state(client, workspace, None, reads, organization)
    with project_cache.batched():  # the projects and tasks listings: one write of the cache
        return _read_live_state(client, workspace, project_cache, reads, organization)


def _read_live_state(client: TogglClient, workspace: str | int | ResolvedWorkspace,
                     project_cache: ProjectCache | None, reads: WorkspaceReads | None,
                     organization: str | int | None) -> LiveState:
    reads = reads or NO_WORKSPACE_READS
    reads_before = client.stats.reads
    bill = _ReadBill(client)
    target = _target(client, workspace, organization, bill)
    if target.missing:
        return _missing_workspace(client, target, organization, reads, bill, reads_before)
    workspace_id = target.id
    clients = bill.spend("clients", lambda: client.list_clients(workspace_id, status="both"))
    tags = bill.spend("tags", lambda: client.list_tags(workspace_id))
    projects = bill.spend("projects", lambda: _read_projects(client, workspace_id, project_cache))
    state = LiveState(
        workspace_id=workspace_id,
        workspace_name=target.name,
        tier=target.tier,
        organization_id=target.organization_id,
        clients=tuple(live_client(c) for c in clients),
        projects=tuple(live_project(p) for p in projects if not p.server_deleted_at),
        tags=tuple(live_tag(t) for t in tags),
    )
    if reads.any:
        try:
            state = _with_workspace_kinds(client, state, reads, bill, project_cache)
        except UnexpectedResponseError as error:  # its text quotes the server's answer
            raise client.scrubbed(error) from None
    return _billed(state, client, bill, reads_before)


def _billed(state: LiveState, client: TogglClient, bill: _ReadBill, reads_before: int) -> LiveState:
    return replace(state, reads=client.stats.reads - reads_before, quota=client.quota,
                   read_counts=dict(bill.counts))


def _target(client: TogglClient, workspace: str | int | ResolvedWorkspace,
            organization: str | int | None, bill: _ReadBill) -> ResolvedWorkspace:
    if isinstance(workspace, ResolvedWorkspace):
        return workspace
    if isinstance(workspace, int):
        return ResolvedWorkspace(int(workspace))
    [found] = bill.spend("workspaces", lambda: resolve_workspaces(
        client, [workspace], organizations=[organization]))
    return found


# ---------------------------------------------------------------- the workspace kinds


def _with_workspace_kinds(client: TogglClient, state: LiveState, reads: WorkspaceReads,
                          bill: _ReadBill, cache: ProjectCache | None = None) -> LiveState:
    wid = state.workspace_id
    # GET /workspaces/{wid} once (billed as "settings", the one read it is named by): the
    # settings, and the tier and organization when /me/workspaces did not already bring them.
    if reads.settings or state.tier is None or (reads.groups and state.organization_id is None):
        details = bill.spend("settings", lambda: client.get_workspace(wid))
        answers.check_workspace(details, wid, f"/workspaces/{wid}")
        state = replace(
            state, workspace_name=state.workspace_name or details.name or None, tier=details.tier,
            organization_id=details.organization_id or state.organization_id,
            settings=details.settings if reads.settings else None)
    users = _read_users(client, wid, bill) if reads.users else None
    groups = _read_groups(client, state, bill) if reads.groups else None
    members = _read_members(client, wid, bill) if reads.members else None
    tasks = _read_tasks(client, state, bill, cache) if reads.tasks else None
    return replace(
        state,
        users=None if users is None else _unique(live_user(user) for user in users),
        groups=groups,
        members=members,
        tasks=None if tasks is None else _unique(live_task(task) for task in tasks),
    )


Identified = TypeVar("Identified", LiveUser, LiveGroup, LiveMember, LiveTask)


def _unique(records: Iterable[Identified | None]) -> tuple[Identified, ...]:
    """The records in order, each id once (the first wins), Nones (unusable rows) left out."""
    seen: dict[int, Identified] = {}
    for record in records:
        if record is not None and record.id not in seen:
            seen[record.id] = record
    return tuple(seen.values())


def _read_users(client: TogglClient, wid: int, bill: _ReadBill) -> list[WorkspaceUser]:
    """Every user the workspace lists, inactive ones too (choice): Toggl lists them (recorded
    `is_active` / `inactive` flags, toggl_rb get_workspace_users_success) and keeps their
    project memberships and tracked time when they are deactivated, so they still own the
    memberships a plan reads and exports by e-mail; a spec naming one plans what it names."""
    users = bill.spend("users", lambda: client.list_workspace_users(wid))
    answers.check_users(users, f"/workspaces/{wid}/users")
    return users


def _read_members(client: TogglClient, wid: int, bill: _ReadBill) -> tuple[LiveMember, ...]:
    project_users = bill.spend("members", lambda: client.list_project_users(wid))
    project_groups = bill.spend("members", lambda: client.list_project_groups(wid))
    users_path, groups_path = f"/workspaces/{wid}/project_users", f"/workspaces/{wid}/project_groups"
    for row in project_users:
        if row.group_id is None:  # a group's rows are the group's (see live_project_user)
            answers.check_project_user(row, users_path)
    for group_row in project_groups:
        answers.check_project_group(group_row, groups_path)
    # The two tables number their rows apart: a project_user and a project_group may share an
    # id, so each is made unique (a server repeating a row must not plan a change twice) alone.
    users = _unique(live_project_user(row) for row in project_users)
    groups = _unique(live_project_group(row) for row in project_groups)
    answers.check_one_membership_each(((m.id, m.project_id, m.user_id or 0) for m in users),
                                      "user", users_path)
    answers.check_one_membership_each(((m.id, m.project_id, m.group_id or 0) for m in groups),
                                      "group", groups_path)
    return users + groups


def _read_tasks(client: TogglClient, state: LiveState, bill: _ReadBill,
                cache: ProjectCache | None) -> list[Task]:
    """Every task, done ones too. Not on a Free workspace: Toggl answers every task call there
    with 402, so there are none to reach, and the spec's `tasks:` is the plan's paid-plan
    error to report, not the read's."""
    if state.tier == "free":
        return []
    tasks = bill.spend("tasks", lambda: _listed_tasks(client, state, cache))
    path = f"/workspaces/{state.workspace_id}/tasks"
    for task in tasks:
        answers.check_task(task, path)
    return tasks


def _listed_tasks(client: TogglClient, state: LiveState, cache: ProjectCache | None) -> list[Task]:
    """Every task, or with a read cache the cached ones brought up to date by one `since=`
    read. A task's tracked time changes without its `at` (time is tracked on entries), so a
    cached plan may show old tracked hours; apply never uses the cache, and a saved plan's
    delete fingerprints its tracked time, so what is destroyed is judged on a full read."""
    live_projects = {project.id for project in state.projects}
    return _cached_listing(
        cache, state.workspace_id, "tasks",
        lambda since: client.list_tasks(state.workspace_id, active="both", since=since),
        Task.from_api,
        # Cached tasks of a project deleted since went with it, whether or not Toggl's
        # `since=` listing says so of each.
        keep=lambda task: task.project_id in live_projects)


def _read_groups(client: TogglClient, state: LiveState, bill: _ReadBill) -> tuple[LiveGroup, ...]:
    organization_id = state.organization_id
    if organization_id is None:
        raise UsageError(
            f"workspace {state.workspace_id} did not say which organization it belongs to, and "
            "groups belong to an organization: they cannot be read. Remove `groups:` (and group "
            "members) from the spec, or check the API root.")
    listed = bill.spend("groups", lambda: client.list_organization_groups(organization_id))
    return _checked_groups(listed, organization_id)


def _checked_groups(listed: list[Group], organization_id: int) -> tuple[LiveGroup, ...]:
    for group in listed:
        answers.check_group(group, f"/organizations/{organization_id}/groups")
    return _unique(live_group(group) for group in listed)


def _missing_workspace(client: TogglClient, target: ResolvedWorkspace,
                       organization: str | int | None, reads: WorkspaceReads, bill: _ReadBill,
                       reads_before: int) -> LiveState:
    """A workspace apply will create: its organization resolved (one read), nothing else
    live but the organization's groups (they exist without the workspace) and the creator,
    who becomes the new workspace's one user."""
    if organization is None:
        raise UsageError(
            f"workspace {quoted(target.name or '')} was not found; set `organization:` in the "
            "spec to have apply create it, or `workspace:` to an existing one.")
    found = _organization(organization, bill.spend("organizations", client.list_organizations))
    state = LiveState(
        workspace_id=0, workspace_name=target.name, tier=found.tier, organization_id=found.id,
        workspace_missing=True, organization_refusal=_refusal(found),
        settings={} if reads.settings else None,
        members=() if reads.members else None, tasks=() if reads.tasks else None)
    if reads.users:
        me = bill.spend("users", client.get_me)
        state = replace(state, users=(LiveUser(id=me.id, email=me.email or "", name=me.fullname),))
    if reads.groups:
        listed = bill.spend("groups", lambda: client.list_organization_groups(found.id))
        state = replace(state, groups=_checked_groups(listed, found.id))
    return _billed(state, client, bill, reads_before)


def _refusal(organization: Organization) -> str | None:
    """Why the organization will refuse a new workspace, if its record says so."""
    if organization.raw.get("is_multi_workspace_enabled") is False:
        plan = organization.pricing_plan_name or "its"
        return (f"it is on the {plan} plan, which allows one workspace "
                "(is_multi_workspace_enabled: false)")
    if organization.raw.get("admin") is False:
        return "the credential's user is not an admin of it"
    return None


def _organization(reference: str | int, organizations: list[Organization]) -> Organization:
    """The organization a spec names, by id or by name (exactly, else ignoring case); a name
    of digits that no organization has is taken as an id."""
    if isinstance(reference, int):
        matches = [o for o in organizations if o.id == reference]
    else:
        matches = ([o for o in organizations if o.name == reference]
                   or [o for o in organizations if name_key(o.name) == name_key(reference)]
                   or [o for o in organizations if reference.strip().isdigit() and o.id == int(reference)])
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(f"{quoted(o.name)} (id {o.id})" for o in organizations) or "none"
    if matches:
        raise UsageError(f"organization {quoted(str(reference))} could be any of {listed}; give "
                         "its id in `organization:` instead of the name.")
    raise UsageError(f"organization {quoted(str(reference))} was not found; the credential "
                     f"belongs to: {listed}. Set `organization:` in the spec to one of them.")


def _read_projects(client: TogglClient, workspace_id: int,
                   cache: ProjectCache | None) -> list[Project]:
    return _cached_listing(
        cache, workspace_id, "projects",
        lambda since: client.list_projects(workspace_id, active="both", since=since),
        Project.from_api)


Listed = TypeVar("Listed", Project, Task)


def _cached_listing(cache: ProjectCache | None, workspace_id: int, listing: str,
                    read: Callable[[int | None], list[Listed]],
                    parse: Callable[[Mapping[str, Any]], Listed],
                    keep: Callable[[Listed], bool] | None = None) -> list[Listed]:
    """A full listing (`read(None)`), or with a read cache the cached rows brought up to date
    by one `read(since)` (changed and deleted objects only), `keep` applied to the merge; the
    result is cached again either way."""
    cached = cache.load(workspace_id, listing) if cache is not None else None
    if cached is None:
        objects = read(None)
    else:
        changed = [item.raw for item in read(cached.since)]
        objects = [parse(raw) for raw in cached.merged(changed)]
        if keep is not None:
            objects = [item for item in objects if keep(item)]
        if not cached.is_changed_by(changed):
            # Nothing new: the cached rows stand as they are, and so does their saved time,
            # which is what MAX_AGE_SECONDS should count from (the `since` point did not move).
            return objects
    if cache is not None:
        cache.save(workspace_id, [item.raw for item in objects], listing)
    return objects


def live_client(client: Client) -> LiveClient:
    return LiveClient(id=client.id, name=client.name, archived=bool(client.archived),
                      notes=client.notes, at=client.at)


def live_project(project: Project) -> LiveProject:
    fields: Mapping[str, Any] = {name: getattr(project, name) for name in _LIVE_PROJECT_FIELDS}
    return LiveProject(
        id=project.id,
        name=project.name,
        client_id=project.client_id,
        active=bool(project.active),
        fields=fields,
        at=project.at,
        actual_seconds=int(project.actual_seconds or 0),
    )


def live_tag(tag: Tag) -> LiveTag:
    return LiveTag(id=tag.id, name=tag.name, at=tag.at)


def live_user(user: WorkspaceUser) -> LiveUser:
    return LiveUser(id=user.id, email=user.email or "", name=user.fullname)


def live_group(group: Group) -> LiveGroup:
    return LiveGroup(id=group.id, name=group.name, user_ids=group.user_ids,
                     workspace_ids=group.workspace_ids, at=group.at)


def live_project_user(row: ProjectUser) -> LiveMember | None:
    """A user's own membership; None for rows that belong to no project or user, and for the
    rows Toggl keeps for users who reach a project through a group (`group_id` set): those
    are the group's membership (a project_group), not the user's, and removing one would not
    remove that access."""
    if row.project_id is None or row.user_id is None or row.group_id is not None:
        return None
    return LiveMember(id=row.id, project_id=row.project_id, user_id=row.user_id,
                      manager=row.manager, rate=None if row.rate is None else float(row.rate), at=row.at)


def live_project_group(row: ProjectGroup) -> LiveMember | None:
    if row.project_id is None or row.group_id is None:
        return None
    return LiveMember(id=row.id, project_id=row.project_id, group_id=row.group_id, at=row.at)


def live_task(task: Task) -> LiveTask | None:
    """None for a task that names no project (it cannot be matched to any spec entry)."""
    if task.project_id is None:
        return None
    return LiveTask(id=task.id, name=task.name, project_id=task.project_id, active=task.active,
                    estimated_seconds=task.estimated_seconds, user_id=task.user_id,
                    tracked_seconds=task.seconds_tracked, at=task.at)
