"""Replay every recorded real Toggl answer through the client: it must parse into typed results
whose fields equal the recorded JSON, or raise the error class its status calls for."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import responses

from reconciler.toggl import (
    AuthError,
    BadRequestError,
    BulkResult,
    Client,
    ConflictError,
    PaidPlanRequiredError,
    Organization,
    Project,
    Tag,
    TimeEntry,
    TogglClient,
    TogglError,
    User,
    Workspace,
    WorkspaceUser,
    transport_from_env,
)
from tests.contract.recordings import Interaction, load_interactions

Call = Callable[[TogglClient, Interaction, re.Match[str]], Any]
ERROR_BY_STATUS: Mapping[int, type[TogglError]] = {
    400: BadRequestError, 401: AuthError, 402: PaidPlanRequiredError, 403: AuthError, 409: ConflictError,
}
# Recorded endpoints the reconciler has no client method for, and why it needs none.
NO_CLIENT_METHOD: Mapping[tuple[str, str], str] = {
    ("PATCH", r"/workspaces/\d+/time_entries/[\d,]+"): "the reconciler never edits time entries in bulk",
    ("PUT", r"/me"): "the reconciler never changes the user's settings",
    ("POST", r"/me/organizations"): "the reconciler never creates organizations",
    # The recorded 405 (empty body): test_client_reports_an_empty_405_by_status shows how the
    # client takes that answer on a call it does make.
    ("GET", r"/workspaces/\d+/time_entries"): "no client method lists a workspace's time entries",
}
TIME_ENTRY_FILTERS = ("since", "before", "start_date", "end_date")

# Typed attribute -> recorded JSON key, per result type (fields that map one to one).
FIELDS: Mapping[type, Mapping[str, str]] = {
    User: {"id": "id", "email": "email", "fullname": "fullname", "default_workspace_id": "default_workspace_id"},
    Workspace: {"id": "id", "name": "name", "organization_id": "organization_id", "premium": "premium", "business_ws": "business_ws"},
    Client: {"id": "id", "workspace_id": "wid", "name": "name", "archived": "archived", "at": "at"},
    Project: {key: key for key in (
        "id", "workspace_id", "client_id", "name", "active", "is_private", "color", "billable", "estimated_hours",
        "rate", "currency", "auto_estimates", "template", "at", "server_deleted_at")},
    Tag: {"id": "id", "workspace_id": "workspace_id", "name": "name", "at": "at"},
    TimeEntry: {key: key for key in ("id", "workspace_id", "project_id", "description", "start", "stop", "duration")},
    WorkspaceUser: {"id": "id", "email": "email", "fullname": "fullname", "is_admin": "is_admin", "is_active": "is_active"},
    Organization: {"id": "id", "name": "name", "pricing_plan_name": "pricing_plan_name"},
}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # regex over the path after /api/v9
    call: Call


def _body(interaction: Interaction) -> Any:
    return json.loads(interaction.request_body) if interaction.request_body else {}


def _time_entry_filters(interaction: Interaction) -> dict[str, Any]:
    query = interaction.query
    return {key: (int(query[key]) if key == "since" else query[key]) for key in TIME_ENTRY_FILTERS if key in query}


ROUTES: tuple[Route, ...] = (
    Route("GET", r"/me", lambda c, i, m: c.get_me(with_related_data=i.query.get("with_related_data") == "true")),
    Route("GET", r"/me/workspaces", lambda c, i, m: c.list_workspaces()),
    Route("GET", r"/me/time_entries/current", lambda c, i, m: c.get_current_time_entry()),
    Route("GET", r"/me/time_entries", lambda c, i, m: c.list_time_entries(**_time_entry_filters(i))),
    Route("GET", r"/workspaces/(\d+)", lambda c, i, m: c.get_workspace(int(m[1]))),
    Route("GET", r"/workspaces/(\d+)/projects", lambda c, i, m: c.list_projects(int(m[1]))),
    Route("GET", r"/workspaces/(\d+)/projects/(\d+)", lambda c, i, m: c.get_project(int(m[1]), int(m[2]))),
    Route("POST", r"/workspaces/(\d+)/projects", lambda c, i, m: c.create_project(int(m[1]), _body(i))),
    Route("PUT", r"/workspaces/(\d+)/projects/(\d+)", lambda c, i, m: c.update_project(int(m[1]), int(m[2]), _body(i))),
    Route("DELETE", r"/workspaces/(\d+)/projects/(\d+)", lambda c, i, m: c.delete_project(int(m[1]), int(m[2]), "unassign")),
    Route("PATCH", r"/workspaces/(\d+)/projects/([\d,]+)",
          lambda c, i, m: c.bulk_patch_projects(int(m[1]), [int(x) for x in m[2].split(",")], _body(i))),
    Route("POST", r"/workspaces/(\d+)/time_entries", lambda c, i, m: c.create_time_entry(int(m[1]), _body(i))),
    Route("PATCH", r"/workspaces/(\d+)/time_entries/(\d+)/stop", lambda c, i, m: c.stop_time_entry(int(m[1]), int(m[2]))),
    Route("GET", r"/me/time_entries/(\d+)", lambda c, i, m: c.get_time_entry(int(m[1]))),
    Route("PUT", r"/workspaces/(\d+)/time_entries/(\d+)",
          lambda c, i, m: c.update_time_entry(int(m[1]), int(m[2]), _body(i))),
    Route("DELETE", r"/workspaces/(\d+)/time_entries/(\d+)", lambda c, i, m: c.delete_time_entry(int(m[1]), int(m[2]))),
    Route("GET", r"/workspaces/(\d+)/users", lambda c, i, m: c.list_workspace_users(int(m[1]))),
    # The workspace kinds: the organization a missing workspace is created in, and the create.
    Route("GET", r"/me/organizations", lambda c, i, m: c.list_organizations()),
    Route("POST", r"/organizations/(\d+)/workspaces",
          lambda c, i, m: c.create_workspace(int(m[1]), _body(i)["name"])),
)


def _route(interaction: Interaction) -> tuple[Route, re.Match[str]] | None:
    path = interaction.path.removeprefix("/api/v9")
    for route in ROUTES:
        match = re.fullmatch(route.pattern, path)
        if route.method == interaction.method and match:
            return route, match
    return None


def _no_method_reason(interaction: Interaction) -> str | None:
    path = interaction.path.removeprefix("/api/v9")
    if path.startswith("/organizations") and _route(interaction) is None:
        return ("organizations: the reconciler reads them only to find where to create a "
                "workspace (/me/organizations) and creates workspaces in them")
    for (method, pattern), reason in NO_CLIENT_METHOD.items():
        if interaction.method == method and re.fullmatch(pattern, path):
            return reason
    return None


def _cases() -> Iterator[Any]:
    for interaction in load_interactions():
        reason = _no_method_reason(interaction)
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        yield pytest.param(interaction, id=interaction.id, marks=marks)


def _assert_parsed(result: Any, data: Any) -> None:
    """Every mapped field of the typed result equals the recorded JSON value."""
    if isinstance(result, list):
        assert len(result) == len(data)
        for item, item_data in zip(result, data):
            _assert_parsed(item, item_data)
        return
    for attribute, key in FIELDS[type(result)].items():
        assert getattr(result, attribute) == data.get(key), attribute
    assert result.raw == data
    if isinstance(result, Project):
        assert result.actual_seconds == (data.get("actual_seconds") or 0)
    if isinstance(result, TimeEntry):
        assert (result.tags, result.tag_ids) == (data.get("tags") or [], data.get("tag_ids") or [])


def _assert_related_data(user: User) -> None:
    """`?with_related_data=true` embeds clients, projects, tags, workspaces and time entries."""
    for key, kind in (("clients", Client), ("projects", Project), ("tags", Tag), ("workspaces", Workspace), ("time_entries", TimeEntry)):
        items = user.raw.get(key) or []
        _assert_parsed([kind.from_api(item) for item in items], items)


def _assert_outcome(interaction: Interaction, result: Any) -> None:
    data = json.loads(interaction.response_body) if interaction.response_body.strip() else None
    if isinstance(result, BulkResult):
        assert list(result.success) == data["success"] and len(result.failure) == len(data["failure"])
    elif result is None:
        assert data is None or interaction.method == "DELETE"  # DELETE answers the bare id
    else:
        _assert_parsed(result, data)
    if isinstance(result, User):
        _assert_related_data(result)


@pytest.mark.parametrize("interaction", list(_cases()))
def test_client_parses_recorded_answer(interaction: Interaction) -> None:
    routed = _route(interaction)
    assert routed is not None, f"no client method for {interaction.method} {interaction.path}"
    route, match = routed
    parts = urlsplit(interaction.url)
    with responses.RequestsMock() as mock:
        mock.add(interaction.method, urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
                 status=interaction.status, body=interaction.response_body, headers=interaction.replayable_headers())
        client = TogglClient(transport_from_env({"TOGGL_API_TOKEN": "recorded-token"}), max_retries=0, sleep=lambda _: None)
        if interaction.status >= 400:
            with pytest.raises(ERROR_BY_STATUS[interaction.status]):
                route.call(client, interaction, match)
        else:
            _assert_outcome(interaction, route.call(client, interaction, match))
        _assert_same_filters(interaction, mock)


def _assert_same_filters(interaction: Interaction, mock: responses.RequestsMock) -> None:
    """The client sent the recorded time-entry filters (extra recorded flags are not ours)."""
    if interaction.path.endswith("/me/time_entries"):
        sent = parse_qs(urlsplit(mock.calls[0].request.url).query)
        assert set(sent) == {key for key in TIME_ENTRY_FILTERS if key in interaction.query}


def test_every_non_organization_recording_is_replayed() -> None:
    unrouted = [i.id for i in load_interactions() if _no_method_reason(i) is None and _route(i) is None]
    assert unrouted == []


@pytest.mark.parametrize(
    ("path", "body", "call"),
    [
        ("/workspaces/1/tags", "null", lambda c: c.list_tags(1)),
        ("/workspaces/1/clients", "null", lambda c: c.list_clients(1)),
        ("/me/workspaces", '[{"id":1,"name":"W","profile":0,"permissions":null}]', lambda c: c.list_workspaces()),
        ("/workspaces/1/projects", '[{"id":2,"name":"P","active":true,"permissions":["read"]}]',
         lambda c: c.list_projects(1)),
    ],
)
def test_client_takes_the_shapes_the_sandbox_now_answers(path: str, body: str, call: Callable[[TogglClient], Any]) -> None:
    """`null` for an empty list, `permissions` (null or a list) and `profile` on objects."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add("GET", f"https://api.track.toggl.com/api/v9{path}", body=body, status=200,
                 content_type="application/json")
        client = TogglClient(transport_from_env({"TOGGL_API_TOKEN": "t"}), max_retries=0, sleep=lambda _: None)
        result = call(client)
    expected = json.loads(body) or []
    assert [item.raw for item in result] == expected


def test_client_reports_an_empty_405_by_status() -> None:
    with responses.RequestsMock() as mock:
        mock.add("GET", "https://api.track.toggl.com/api/v9/workspaces/1/tags", body=b"", status=405)
        client = TogglClient(transport_from_env({"TOGGL_API_TOKEN": "t"}), max_retries=0, sleep=lambda _: None)
        with pytest.raises(TogglError) as raised:
            client.list_tags(1)
    assert raised.value.status == 405 and "405" in str(raised.value)
