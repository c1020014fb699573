from __future__ import annotations

import json
from typing import Any, Callable

import pytest
import requests
import responses
from responses import matchers

from reconciler.errors import UsageError
from reconciler.model import QuotaStatus
from reconciler.toggl import RequestEvent, TogglClient, transport_from_env
from reconciler.toggl.errors import UnexpectedResponseError
from .fakes import API, MATON_KEY, TOKEN

WS = f"{API}/workspaces/1"
Mock = responses.RequestsMock


def sent_json(mock: Mock, index: int = -1) -> Any:
    return json.loads(mock.calls[index].request.body)


def test_every_request_carries_agent_json_auth_and_timeout(mocked: Mock, make_client: Callable[..., TogglClient]) -> None:
    mocked.get(f"{API}/me", json={"id": 1})
    make_client(timeout=12.5).get_me()
    request = mocked.calls[0].request
    assert request.headers["User-Agent"].startswith("toggl-reconciler/")
    assert request.headers["Accept"] == request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.req_kwargs["timeout"] == 12.5


def test_maton_route_uses_gateway_bearer_and_connection(mocked: Mock, make_client: Callable[..., TogglClient]) -> None:
    transport = transport_from_env({"MATON_API_KEY": MATON_KEY, "MATON_CONNECTION": "conn-9"})
    mocked.get("https://gateway.maton.ai/toggl-track/api/v9/me/workspaces", json=[])
    make_client(transport).list_workspaces()
    headers = mocked.calls[0].request.headers
    assert (headers["Authorization"], headers["Maton-Connection"]) == (f"Bearer {MATON_KEY}", "conn-9")


def test_from_env_builds_the_transport() -> None:
    with TogglClient.from_env({"TOGGL_API_TOKEN": TOKEN}, api_url="http://127.0.0.1:1") as client:
        assert client.transport.root == "http://127.0.0.1:1"
        assert repr(client) == "TogglClient(direct (TOGGL_API_TOKEN) at http://127.0.0.1:1)"


def test_get_me_with_related_data_keeps_lists_in_raw(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{API}/me", json={"id": 1, "default_workspace_id": 5, "clients": [{"id": 2}]},
               match=[matchers.query_param_matcher({"with_related_data": "true"})])
    user = client.get_me(with_related_data=True)
    assert (user.id, user.default_workspace_id, user.raw["clients"]) == (1, 5, [{"id": 2}])


def test_workspace_reads(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{API}/me/workspaces", json=[{"id": 1, "name": "A", "premium": True}])
    mocked.get(WS, json={"id": 1, "name": "A", "business_ws": True})
    mocked.get(f"{WS}/users", json=[{"id": 8, "email": "ana@acme.test"}])
    assert [w.tier for w in client.list_workspaces()] == ["starter"]
    assert client.get_workspace(1).tier == "premium"
    assert [(u.id, u.email) for u in client.list_workspace_users(1)] == [(8, "ana@acme.test")]


@pytest.mark.parametrize("body", [[{"organization_id": 7, "remaining": 3}], {"organization_id": 7, "remaining": 3}])
def test_get_quota_accepts_list_or_object(mocked: Mock, client: TogglClient, body: Any) -> None:
    mocked.get(f"{API}/me/quota", json=body)
    assert [(q.organization_id, q.remaining) for q in client.get_quota()] == [(7, 3)]


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [({}, {"status": "both"}), ({"status": "archived", "name": "ac"}, {"status": "archived", "name": "ac"})],
)
def test_list_clients_always_sends_status(mocked: Mock, client: TogglClient, kwargs: dict[str, str], query: dict[str, str]) -> None:
    mocked.get(f"{WS}/clients", json=[{"id": 2, "wid": 1, "name": "Acme"}], match=[matchers.query_param_matcher(query)])
    assert [c.name for c in client.list_clients(1, **kwargs)] == ["Acme"]  # type: ignore[arg-type]


def test_null_list_is_empty(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/clients", body="null")
    mocked.get(f"{WS}/tags", body="")
    assert client.list_clients(1) == [] and client.list_tags(1) == []


def test_create_client_omits_unset_fields(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/clients", json={"id": 2, "wid": 1, "name": "Acme"})
    assert client.create_client(1, "Acme").id == 2
    assert sent_json(mocked) == {"name": "Acme"}


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [({}, {"name": "Acme"}), ({"notes": None}, {"name": "Acme", "notes": None}), ({"notes": "n"}, {"name": "Acme", "notes": "n"})],
)
def test_update_client_always_sends_name(mocked: Mock, client: TogglClient, kwargs: dict[str, Any], body: dict[str, Any]) -> None:
    mocked.put(f"{WS}/clients/2", json={"id": 2, "wid": 1, "name": "Acme"})
    client.update_client(1, 2, "Acme", **kwargs)
    assert sent_json(mocked) == body


def test_get_and_delete_client(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/clients/2", json={"id": 2, "wid": 1, "name": "Acme", "archived": True})
    mocked.delete(f"{WS}/clients/2", body="")
    assert client.get_client(1, 2).archived is True
    assert client.delete_client(1, 2) is None


def test_archive_client_answers_archived_project_ids(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/clients/2/archive", json=[11, 12])
    assert client.archive_client(1, 2) == [11, 12]


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [({"all_projects": True}, {"restore_all_projects": True}), ({"project_ids": [11]}, {"projects": [11]})],
)
def test_restore_client_bodies(mocked: Mock, client: TogglClient, kwargs: dict[str, Any], body: dict[str, Any]) -> None:
    mocked.post(f"{WS}/clients/2/restore", json={"id": 2, "wid": 1, "name": "Acme"})
    assert client.restore_client(1, 2, **kwargs) is not None
    assert sent_json(mocked) == body


@pytest.mark.parametrize("operation", ["archive", "delete"])
def test_bulk_client_posts_send_a_json_array(mocked: Mock, client: TogglClient, operation: str) -> None:
    mocked.post(f"{WS}/clients/{operation}", json={"success": [2], "failure": [{"id": 3, "message": "in use"}]})
    result = getattr(client, f"{operation}_clients")(1, [2, 3])
    assert sent_json(mocked) == [2, 3]
    assert (result.success, [f.id for f in result.failure]) == ((2,), [3])


def _project_page(mocked: Mock, page: int, ids: list[int] | None, per_page: int) -> None:
    query = {"page": str(page), "per_page": str(per_page), "active": "both"}
    body = "null" if ids is None else json.dumps([{"id": i, "name": f"P{i}"} for i in ids])
    mocked.get(f"{WS}/projects", body=body, match=[matchers.query_param_matcher(query)])


@pytest.mark.parametrize(
    ("pages", "expected_ids"),
    [
        ([[1, 2], [3, 4], [5]], [1, 2, 3, 4, 5]),  # stops on the short page
        ([[1, 2], [3, 4], []], [1, 2, 3, 4]),  # exactly full pages, then an empty one
        ([[1, 2], None], [1, 2]),  # a null page ends it too
    ],
)
def test_list_projects_fetches_every_page(
    mocked: Mock, client: TogglClient, pages: list[list[int] | None], expected_ids: list[int]
) -> None:
    for number, ids in enumerate(pages, start=1):
        _project_page(mocked, number, ids, per_page=2)
    assert [p.id for p in client.list_projects(1, per_page=2)] == expected_ids
    assert len(mocked.calls) == len(pages)


def test_a_server_that_ignores_page_is_refused_not_looped_or_half_read(mocked: Mock, client: TogglClient) -> None:
    for number in (1, 2):
        _project_page(mocked, number, [1, 2], per_page=2)
    with pytest.raises(UnexpectedResponseError, match="page 2 repeats only projects of earlier pages"):
        client.list_projects(1, per_page=2)
    assert len(mocked.calls) == 2


def test_list_projects_passes_filters(mocked: Mock, client: TogglClient) -> None:
    query = {"page": "1", "per_page": "200", "active": "false", "since": "1700000000"}
    mocked.get(f"{WS}/projects", json=[], match=[matchers.query_param_matcher(query)])
    assert client.list_projects(1, active="false", since=1700000000) == []


@pytest.mark.parametrize("per_page", [0, 201])
def test_list_projects_rejects_bad_page_size(client: TogglClient, per_page: int) -> None:
    with pytest.raises(ValueError, match="per_page"):
        client.list_projects(1, per_page=per_page)


@pytest.mark.parametrize(
    ("fields", "body"),
    [({"name": "Site"}, {"name": "Site", "active": True}), ({"name": "Old", "active": False}, {"name": "Old", "active": False})],
)
def test_create_project_always_sends_active(mocked: Mock, client: TogglClient, fields: dict[str, Any], body: dict[str, Any]) -> None:
    mocked.post(f"{WS}/projects", json={"id": 4, "workspace_id": 1, **body})
    assert client.create_project(1, fields).active is body["active"]
    assert sent_json(mocked) == body


def test_get_and_update_project(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/projects/4", json={"id": 4, "name": "Site", "color": "#0b83d9"})
    mocked.put(f"{WS}/projects/4", json={"id": 4, "name": "Site", "color": "#d94182"})
    assert client.get_project(1, 4).color == "#0b83d9"
    assert client.update_project(1, 4, {"color": "#d94182"}).color == "#d94182"
    assert sent_json(mocked) == {"color": "#d94182"}


@pytest.mark.parametrize("mode", ["unassign", "delete"])
def test_delete_project_always_sends_mode_and_accepts_bare_id(mocked: Mock, client: TogglClient, mode: str) -> None:
    mocked.delete(f"{WS}/projects/4", body="4", match=[matchers.query_param_matcher({"teDeletionMode": mode})])
    assert client.delete_project(1, 4, mode) is None  # type: ignore[arg-type]


def test_delete_project_rejects_unknown_mode(client: TogglClient) -> None:
    with pytest.raises(ValueError, match="te_deletion_mode"):
        client.delete_project(1, 4, "keep")  # type: ignore[arg-type]


def test_bulk_patch_projects(mocked: Mock, client: TogglClient) -> None:
    mocked.patch(f"{WS}/projects/4,5", json={"success": [4], "failure": [{"id": 5, "message": "no"}]})
    operations = [{"op": "replace", "path": "/active", "value": False}]
    result = client.bulk_patch_projects(1, [4, 5], operations)
    assert sent_json(mocked) == operations
    assert (result.success, result.failure[0].message) == ((4,), "no")


def test_bulk_patch_projects_limits(mocked: Mock, client: TogglClient) -> None:
    with pytest.raises(ValueError, match="at most 100"):
        client.bulk_patch_projects(1, list(range(101)), [])
    assert client.bulk_patch_projects(1, [], []).success == ()
    assert len(mocked.calls) == 0


def test_tags(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/tags", json=[{"id": 6, "workspace_id": 1, "name": "urgent"}])
    mocked.post(f"{WS}/tags", json={"id": 7, "workspace_id": 1, "name": "new"})
    mocked.put(f"{WS}/tags/7", json={"id": 7, "workspace_id": 1, "name": "renamed"})
    mocked.delete(f"{WS}/tags/7", body="")
    assert [t.name for t in client.list_tags(1)] == ["urgent"]
    assert client.create_tag(1, "new").id == 7
    assert client.rename_tag(1, 7, "renamed").name == "renamed"
    assert sent_json(mocked) == {"name": "renamed"}
    assert client.delete_tag(1, 7) is None


def test_time_entry_reads(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{API}/me/time_entries", json=[{"id": 1, "tags": None}],
               match=[matchers.query_param_matcher({"start_date": "2024-01-01", "end_date": "2024-01-02"})])
    mocked.get(f"{API}/me/time_entries/current", body="null")
    mocked.get(f"{API}/me/time_entries/1", json={"id": 1, "duration": 60})
    assert [e.tags for e in client.list_time_entries(start_date="2024-01-01", end_date="2024-01-02")] == [[]]
    assert client.get_current_time_entry() is None
    assert client.get_time_entry(1).duration == 60


def test_time_entry_writes(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/time_entries", json={"id": 9, "workspace_id": 1, "duration": -1})
    mocked.put(f"{WS}/time_entries/9", json={"id": 9, "description": "d"})
    mocked.patch(f"{WS}/time_entries/9/stop", json={"id": 9, "duration": 60})
    mocked.delete(f"{WS}/time_entries/9", body="")
    assert client.create_time_entry(1, {"start": "2024-01-01T00:00:00Z", "duration": -1}).running
    assert sent_json(mocked) == {"created_with": "toggl-reconciler", "start": "2024-01-01T00:00:00Z",
                                 "duration": -1, "workspace_id": 1}
    assert client.update_time_entry(1, 9, {"description": "d"}).description == "d"
    assert client.stop_time_entry(1, 9).duration == 60
    assert client.delete_time_entry(1, 9) is None


def test_maton_connections_need_the_maton_route(client: TogglClient) -> None:
    with pytest.raises(UsageError, match="MATON_API_KEY"):
        client.list_maton_connections()


@pytest.mark.parametrize("body", [{"connections": [{"connection_id": "c1"}]}, [{"connection_id": "c1"}]])
def test_maton_connections(mocked: Mock, make_client: Callable[..., TogglClient], body: Any) -> None:
    maton = make_client(transport_from_env({"MATON_API_KEY": MATON_KEY, "MATON_CTRL_URL": "http://127.0.0.1:5"}))
    mocked.get("http://127.0.0.1:5/connections", json=body,
               match=[matchers.query_param_matcher({"app": "toggl-track", "status": "ACTIVE"})])
    assert maton.list_maton_connections() == [{"connection_id": "c1"}]
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {MATON_KEY}"


@pytest.mark.parametrize("body", ["<html>proxy</html>", "42", '"text"', "[1]"])
def test_a_success_of_the_wrong_shape_is_an_error(mocked: Mock, client: TogglClient, body: str) -> None:
    mocked.get(f"{WS}/projects/4", body=body)
    with pytest.raises(UnexpectedResponseError, match="GET /api/v9/workspaces/1/projects/4: expected a JSON object"):
        client.get_project(1, 4)


def test_quota_follows_the_last_response_that_reported_it(mocked: Mock, client: TogglClient) -> None:
    assert client.quota == QuotaStatus(None, None)
    mocked.get(f"{API}/me", json={"id": 1}, headers={"x-toggl-quota-remaining": "29", "X-Toggl-Quota-Resets-In": "3599"})
    mocked.get(WS, json={"id": 1})
    client.get_me()
    client.get_workspace(1)
    assert client.quota == QuotaStatus(remaining=29, resets_in=3599)


def test_stats_and_events(mocked: Mock, make_client: Callable[..., TogglClient]) -> None:
    events: list[RequestEvent] = []
    client = make_client(on_request=events.append)
    mocked.get(f"{WS}/clients", json=[])
    mocked.post(f"{WS}/tags", json={"id": 1})
    client.list_clients(1, name="secret-ish")
    client.create_tag(1, "x")
    assert (client.stats.reads, client.stats.writes, client.stats.retries) == (1, 1, 0)
    assert [(e.method, e.path, e.status, e.attempt) for e in events] == [
        ("GET", "/api/v9/workspaces/1/clients", 200, 1), ("POST", "/api/v9/workspaces/1/tags", 200, 1)]


def test_closes_only_the_session_it_created(monkeypatch: pytest.MonkeyPatch, direct_transport: Any) -> None:
    closed: list[requests.Session] = []
    monkeypatch.setattr(requests.Session, "close", lambda session: closed.append(session))
    with TogglClient(direct_transport, session=requests.Session()):
        pass
    with TogglClient(direct_transport) as client:
        own_session = client._session
    assert closed == [own_session]
