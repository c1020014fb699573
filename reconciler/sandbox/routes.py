"""The routing table: (method, path regex, handler) rows, matched in order; no if/elif chains.

Paths are relative to `/api/v9` (the Maton gateway serves the same table under
`/toggl-track/api/v9`). Handlers take a `Call` and answer a `Reply`; domain errors are
`ApiError`s raised from the resource modules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from reconciler.sandbox import (
    account, clients, groups, project_members, projects, tags, tasks, time_entries,
)
from reconciler.sandbox.errors import ApiError, bad_request
from reconciler.sandbox.rules import MAX_ID

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Reply:
    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    empty: bool = False  # True: no body at all (not even `null`)
    encoded: bytes | None = None  # the body already encoded (a cached listing), else `body`


@dataclass
class Call:
    store: Store
    params: Mapping[str, str]
    query: Mapping[str, str]
    raw_body: bytes
    quota_report: Callable[[], list[dict[str, Any]]]

    def body(self) -> Any:
        """The JSON body; None when empty; 400 when it is not JSON."""
        if not self.raw_body.strip():
            return None
        try:
            return json.loads(self.raw_body.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise bad_request("JSON is not valid") from None  # our wording

    def number(self, name: str) -> int:
        value = int(self.params[name])
        if not 0 < value <= MAX_ID:
            raise ApiError(404, "Resource not found")  # our wording
        return value

    @property
    def wid(self) -> int:
        return self.number("wid")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def _json(value: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(body=value, headers=headers or {})


def _no_content(action: Callable[[Call], Any]) -> Handler:
    """A handler that runs `action` and answers an empty body (DELETE of entries and tags)."""

    def handler(call: Call) -> Reply:
        action(call)
        return Reply(empty=True)

    return handler


def _done(_: None) -> str:
    return "ok"


def _project_page(call: Call) -> Reply:
    page, headers = projects.list_projects(call.store, call.wid, call.query)
    return Reply(encoded=page, headers=headers)


_WS = r"/workspaces/(?P<wid>\d+)"
_ORG = r"/organizations/(?P<oid>\d+)"
_GROUP = r"/groups/(?P<gid>\d+)"
_PROJECT = r"/projects/(?P<pid>\d+)"
_ID = r"(?P<id>\d+)"
_IDS = r"(?P<ids>\d+(?:,\d+)*)"
_ROUTE_ROWS: list[tuple[str, str, Handler]] = [
    # user, organization, workspaces
    ("GET", r"/me", lambda c: _json(account.me(c.store, c.query))),
    ("GET", r"/me/workspaces", lambda c: _json(account.my_workspaces(c.store))),
    ("GET", r"/me/quota", lambda c: _json(c.quota_report())),
    ("PUT", r"/me", lambda c: _json(account.update_me(c.store, c.body()))),
    # Documented "used to check if authentication works": 200, no body described.
    ("GET", r"/me/logged", lambda c: Reply(empty=True)),
    ("GET", r"/me/organizations", lambda c: _json(account.my_organizations(c.store))),
    ("GET", r"/me/projects", lambda c: _json(projects.my_projects(c.store, c.query))),
    ("GET", r"/me/projects/paginated",
     lambda c: _json(projects.my_projects_paginated(c.store, c.query))),
    ("GET", r"/me/clients", lambda c: _json(clients.my_clients(c.store, c.query))),
    ("GET", r"/me/tags", lambda c: _json(tags.my_tags(c.store, c.query))),
    ("GET", _ORG, lambda c: _json(account.get_organization(c.store, c.number("oid")))),
    ("POST", _ORG + r"/workspaces",
     lambda c: _json(account.create_workspace(c.store, c.number("oid"), c.body()))),
    ("GET", _WS, lambda c: _json(account.get_workspace(c.store, c.wid))),
    ("PUT", _WS, lambda c: _json(account.update_workspace(c.store, c.wid, c.body()))),
    ("GET", _WS + r"/users", lambda c: _json(account.workspace_users(c.store, c.wid))),
    ("GET", _WS + r"/workspace_users",
     lambda c: _json(account.workspace_memberships(c.store, c.wid))),
    # groups
    ("GET", _ORG + r"/groups",
     lambda c: _json(groups.list_organization_groups(c.store, c.number("oid"), c.query))),
    ("POST", _ORG + r"/groups",
     lambda c: _json(groups.create_organization_group(c.store, c.number("oid"), c.body()))),
    ("PUT", _ORG + _GROUP, lambda c: _json(groups.replace_organization_group(
        c.store, c.number("oid"), c.number("gid"), c.body()))),
    ("PATCH", _ORG + _GROUP, lambda c: _json(groups.patch_organization_group(
        c.store, c.number("oid"), c.number("gid"), c.body()))),
    ("DELETE", _ORG + _GROUP, _no_content(
        lambda c: groups.delete_organization_group(c.store, c.number("oid"), c.number("gid")))),
    ("GET", _ORG + _WS + r"/groups", lambda c: _json(
        groups.list_groups_in_workspace(c.store, c.number("oid"), c.wid))),
    ("GET", _WS + r"/groups", lambda c: _json(groups.list_workspace_groups(c.store, c.wid))),
    ("POST", _WS + r"/groups",
     lambda c: _json(groups.create_workspace_group(c.store, c.wid, c.body()))),
    ("PUT", _WS + _GROUP, lambda c: _json(
        groups.rename_workspace_group(c.store, c.wid, c.number("gid"), c.body()))),
    ("DELETE", _WS + _GROUP, _no_content(
        lambda c: groups.delete_workspace_group(c.store, c.wid, c.number("gid")))),
    # project members (users and groups)
    ("GET", _WS + r"/project_users",
     lambda c: _json(project_members.list_project_users(c.store, c.wid, c.query))),
    ("POST", _WS + r"/project_users",
     lambda c: _json(project_members.create_project_user(c.store, c.wid, c.body()))),
    ("PUT", _WS + r"/project_users/" + _ID, lambda c: _json(
        project_members.update_project_user(c.store, c.wid, c.number("id"), c.body()))),
    ("DELETE", _WS + r"/project_users/" + _ID, _no_content(
        lambda c: project_members.delete_project_user(c.store, c.wid, c.number("id")))),
    ("PATCH", _WS + r"/project_users/" + _IDS, lambda c: _json(
        project_members.patch_project_users(c.store, c.wid, c.params["ids"], c.body()))),
    ("GET", _WS + r"/project_groups",
     lambda c: _json(project_members.list_project_groups(c.store, c.wid, c.query))),
    ("POST", _WS + r"/project_groups",
     lambda c: _json(project_members.create_project_group(c.store, c.wid, c.body()))),
    ("DELETE", _WS + r"/project_groups/" + _ID, _no_content(
        lambda c: project_members.delete_project_group(c.store, c.wid, c.number("id")))),
    # tasks
    ("GET", _WS + r"/tasks",
     lambda c: Reply(encoded=tasks.workspace_tasks_page(c.store, c.wid, c.query))),
    ("GET", _WS + _PROJECT + r"/tasks",
     lambda c: _json(tasks.list_project_tasks(c.store, c.wid, c.number("pid")))),
    ("POST", _WS + _PROJECT + r"/tasks",
     lambda c: _json(tasks.create_task(c.store, c.wid, c.number("pid"), c.body()))),
    ("GET", _WS + _PROJECT + r"/tasks/" + _ID, lambda c: _json(
        tasks.get_task(c.store, c.wid, c.number("pid"), c.number("id")))),
    ("PUT", _WS + _PROJECT + r"/tasks/" + _ID, lambda c: _json(
        tasks.update_task(c.store, c.wid, c.number("pid"), c.number("id"), c.body()))),
    ("DELETE", _WS + _PROJECT + r"/tasks/" + _ID, _no_content(
        lambda c: tasks.delete_task(c.store, c.wid, c.number("pid"), c.number("id")))),
    ("PATCH", _WS + _PROJECT + r"/tasks/" + _IDS, lambda c: _json(tasks.bulk_patch_tasks(
        c.store, c.wid, c.number("pid"), c.params["ids"], c.body()))),
    # time entries
    ("GET", r"/me/time_entries", lambda c: _json(time_entries.list_my_entries(c.store, c.query))),
    ("GET", r"/me/time_entries/current", lambda c: _json(time_entries.current_entry(c.store))),
    ("GET", r"/me/time_entries/" + _ID,
     lambda c: _json(time_entries.get_entry(c.store, c.number("id"), c.query))),
    ("POST", _WS + r"/time_entries",
     lambda c: _json(time_entries.create_time_entry(c.store, c.wid, c.body()))),
    ("PUT", _WS + r"/time_entries/" + _ID,
     lambda c: _json(time_entries.update_time_entry(c.store, c.wid, c.number("id"), c.body()))),
    ("PATCH", _WS + r"/time_entries/" + _ID + r"/stop",
     lambda c: _json(time_entries.stop_time_entry(c.store, c.wid, c.number("id")))),
    ("DELETE", _WS + r"/time_entries/" + _ID,
     _no_content(lambda c: time_entries.delete_time_entry(c.store, c.wid, c.number("id")))),
    ("PATCH", _WS + r"/time_entries/" + _IDS,
     lambda c: _json(time_entries.bulk_patch_entries(c.store, c.wid, c.params["ids"], c.body()))),
    # clients
    ("GET", _WS + r"/clients", lambda c: _json(clients.list_clients(c.store, c.wid, c.query))),
    ("POST", _WS + r"/clients", lambda c: _json(clients.create_client(c.store, c.wid, c.body()))),
    ("POST", _WS + r"/clients/data",
     lambda c: _json(clients.clients_by_ids(c.store, c.wid, c.body()))),
    ("POST", _WS + r"/clients/archive",
     lambda c: _json(clients.bulk_archive(c.store, c.wid, c.body()))),
    ("POST", _WS + r"/clients/delete",
     _no_content(lambda c: clients.bulk_delete(c.store, c.wid, c.body()))),
    ("GET", _WS + r"/clients/" + _ID,
     lambda c: _json(clients.get_client(c.store, c.wid, c.number("id")))),
    ("PUT", _WS + r"/clients/" + _ID,
     lambda c: _json(clients.update_client(c.store, c.wid, c.number("id"), c.body()))),
    ("DELETE", _WS + r"/clients/" + _ID,
     _no_content(lambda c: clients.delete_client(c.store, c.wid, c.number("id")))),
    ("POST", _WS + r"/clients/" + _ID + r"/archive",
     lambda c: _json(clients.archive_client(c.store, c.wid, c.number("id")))),
    ("POST", _WS + r"/clients/" + _ID + r"/restore",
     lambda c: _json(clients.restore_client(c.store, c.wid, c.number("id"), c.body()))),
    # projects
    ("GET", _WS + r"/projects", _project_page),
    ("POST", _WS + r"/projects",
     lambda c: _json(projects.create_project(c.store, c.wid, c.body()))),
    ("GET", _WS + r"/projects/" + _ID,
     lambda c: _json(projects.get_project(c.store, c.wid, c.number("id")))),
    ("PUT", _WS + r"/projects/" + _ID,
     lambda c: _json(projects.update_project(c.store, c.wid, c.number("id"), c.body()))),
    ("DELETE", _WS + r"/projects/" + _ID,
     lambda c: _json(projects.delete_project(c.store, c.wid, c.number("id"), c.query))),
    ("PATCH", _WS + r"/projects/" + _IDS,
     lambda c: _json(projects.bulk_patch_projects(c.store, c.wid, c.params["ids"], c.body()))),
    # tags
    ("GET", _WS + r"/tags", lambda c: _json(tags.list_tags(c.store, c.wid, c.query))),
    ("POST", _WS + r"/tags", lambda c: _json(tags.create_tag(c.store, c.wid, c.body()))),
    # Documented answer: a JSON string; which string is not said ("ok" is our choice).
    ("PATCH", _WS + r"/tags",
     lambda c: _json(_done(tags.bulk_delete_tags(c.store, c.wid, c.body())))),
    ("PUT", _WS + r"/tags/" + _ID,
     lambda c: _json(tags.update_tag(c.store, c.wid, c.number("id"), c.body()))),
    ("DELETE", _WS + r"/tags/" + _ID,
     _no_content(lambda c: tags.delete_tag(c.store, c.wid, c.number("id")))),
]
ROUTES: tuple[Route, ...] = tuple(
    Route(method, re.compile(pattern + r"/?"), handler) for method, pattern, handler in _ROUTE_ROWS
)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for `method` and `path` (relative to /api/v9): 404 unknown path, 405 when
    the path exists for other methods only."""
    path_known = False
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match is None:
            continue
        if route.method == method:
            return route, match.groupdict()
        path_known = True
    if path_known:
        raise ApiError(405, None)  # recorded: an EMPTY body and no content type
    raise ApiError(404, "Not Found")  # our wording
