"""Auth on both surfaces (Toggl Basic, Maton Bearer), routing misses and malformed input."""

from __future__ import annotations

import base64

import pytest
import requests

from reconciler.sandbox import Sandbox
from reconciler.sandbox.dispatch import MATON_CONNECTION_ID


def test_missing_authorization_is_401_with_empty_body_and_marker(sandbox: Sandbox) -> None:
    response = requests.get(f"{sandbox.url}/api/v9/me", timeout=5)
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["X-Authorization-Missing"] == "true"


@pytest.mark.parametrize("password", ["api_token", "anything"])
def test_basic_token_with_any_password_is_accepted(sandbox: Sandbox, password: str) -> None:
    response = requests.get(f"{sandbox.url}/api/v9/me", auth=(sandbox.token, password), timeout=5)
    assert response.status_code == 200
    assert response.json()["api_token"] == "*" * 32


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + base64.b64encode(b"wrong:api_token").decode(),
        "Basic !!!not-base64",
        "Bearer secret-token",
    ],
)
def test_wrong_credentials_are_403_with_a_json_string(header: str) -> None:
    with Sandbox(seed_demo=False, token="secret-token") as sandbox:
        response = requests.get(
            f"{sandbox.url}/api/v9/me", headers={"Authorization": header}, timeout=5
        )
    assert response.status_code == 403
    assert isinstance(response.json(), str)
    assert "secret-token" not in response.text


def test_configured_token_is_the_one_tests_use() -> None:
    with Sandbox(seed_demo=False, token="secret-token") as sandbox:
        assert sandbox.token == "secret-token"
        response = requests.get(f"{sandbox.url}/api/v9/me", auth=("secret-token", "api_token"),
                                timeout=5)
    assert response.status_code == 200
    assert "secret-token" not in repr(sandbox.config)


def test_maton_prefix_serves_the_same_routes_with_bearer(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.url}/toggl-track/api/v9/me/workspaces",
        headers={"Authorization": f"Bearer {sandbox.token}"}, timeout=5,
    )
    assert response.status_code == 200
    assert response.json() == [] or isinstance(response.json(), list)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic eDphcGlfdG9rZW4="}])
def test_maton_prefix_without_bearer_is_the_gateways_401(
    sandbox: Sandbox, headers: dict[str, str]
) -> None:
    response = requests.get(f"{sandbox.url}/toggl-track/api/v9/me", headers=headers, timeout=5)
    assert response.status_code == 401


def test_maton_rejects_an_unknown_connection_header(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.url}/toggl-track/api/v9/me",
        headers={"Authorization": "Bearer k", "Maton-Connection": "nope"}, timeout=5,
    )
    assert response.status_code == 400


def test_maton_connections_lists_one_active_connection(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.url}/connections", params={"app": "toggl-track", "status": "ACTIVE"},
        headers={"Authorization": "Bearer k"}, timeout=5,
    )
    assert response.status_code == 200
    (connection,) = response.json()["connections"]
    assert connection["connection_id"] == MATON_CONNECTION_ID
    assert (connection["app"], connection["status"], connection["metadata"]) == (
        "toggl-track", "ACTIVE", {})
    assert connection["creation_time"].endswith("Z")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v9/nothing-here", 404),
        ("GET", "/elsewhere", 404),
        ("GET", "/api/v9/workspaces/99999999999999999999999", 404),
    ],
)
def test_routing_misses(sandbox: Sandbox, method: str, path: str, status: int) -> None:
    response = requests.request(method, f"{sandbox.url}{path}", auth=(sandbox.token, "x"),
                                timeout=5)
    assert response.status_code == status
    assert isinstance(response.json(), str)


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/v9/me"), ("POST", "/api/v9/me/organizations"),
     ("GET", "/api/v9/workspaces/1/time_entries"), ("PUT", "/connections")],
)
def test_405_has_an_empty_body_and_no_content_type(
    sandbox: Sandbox, method: str, path: str
) -> None:
    """Recorded (go-api-libs, Dec 2024): `Content-Length: 0` and no Content-Type."""
    auth = {"Authorization": f"Bearer {sandbox.token}"} if path == "/connections" else None
    response = requests.request(method, f"{sandbox.url}{path}", headers=auth,
                                auth=None if auth else (sandbox.token, "x"), timeout=5)
    assert response.status_code == 405
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert response.headers["Content-Length"] == "0"


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"NaN", b"[1, 2"])
def test_malformed_json_is_400(api, wid: int, body: bytes) -> None:
    response = api("POST", f"/workspaces/{wid}/clients", data=body,
                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert isinstance(response.json(), str)


def test_unknown_workspace_is_403(api) -> None:
    response = api.get("/workspaces/4199999/clients")
    assert response.status_code == 403
    assert response.json() == "User does not have access to this resource"


def test_requests_are_recorded_with_status_and_query(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.reset_requests()
    api.get(f"/workspaces/{wid}/projects", params={"page": "2"})
    (record,) = sandbox.requests
    assert (record.method, record.path, record.query, record.status) == (
        "GET", f"/api/v9/workspaces/{wid}/projects", {"page": "2"}, 200)
