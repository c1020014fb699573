"""The Maton side: connection management (ctrl), the gateway's connection choice and its own
10 requests/s limit, and `doctor` through Maton end to end."""

from __future__ import annotations

import io
from typing import Any

import requests

from reconciler.cli import main
from reconciler.sandbox import Sandbox
from reconciler.sandbox.maton import FIRST_CONNECTION_ID, NO_CONNECTION_MESSAGE


def _ctrl(sandbox: Sandbox, method: str, path: str = "/connections", **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{sandbox.url}{path}", timeout=5,
                            headers={"Authorization": f"Bearer {sandbox.token}"}, **kwargs)


def _gateway(sandbox: Sandbox, connection: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    if connection is not None:
        headers["Maton-Connection"] = connection
    return requests.get(f"{sandbox.url}/toggl-track/api/v9/me", headers=headers, timeout=5)


def test_create_get_list_and_delete_connections(sandbox: Sandbox) -> None:
    created = _ctrl(sandbox, "POST", json={"app": "toggl-track"})
    assert created.status_code == 200
    connection = created.json()["connection"]
    assert connection["status"] == "ACTIVE" and connection["url"].startswith("https://")
    new_id = connection["connection_id"]
    fetched = _ctrl(sandbox, "GET", f"/connections/{new_id}").json()["connection"]
    assert fetched["connection_id"] == new_id
    listed = _ctrl(sandbox, "GET", params={"app": "toggl-track", "status": "ACTIVE"}).json()
    assert [c["connection_id"] for c in listed["connections"]] == [FIRST_CONNECTION_ID, new_id]
    assert _ctrl(sandbox, "DELETE", f"/connections/{new_id}").status_code == 200
    assert _ctrl(sandbox, "GET", f"/connections/{new_id}").status_code == 404
    assert _ctrl(sandbox, "DELETE", f"/connections/{new_id}").status_code == 404


def test_list_filters_are_optional_and_apply_when_given(sandbox: Sandbox) -> None:
    _ctrl(sandbox, "POST", json={"app": "slack"})
    assert len(_ctrl(sandbox, "GET").json()["connections"]) == 2
    assert len(_ctrl(sandbox, "GET", params={"app": "toggl-track"}).json()["connections"]) == 1
    assert _ctrl(sandbox, "GET", params={"status": "PENDING"}).json() == {"connections": []}


def test_create_needs_an_app(sandbox: Sandbox) -> None:
    refused = _ctrl(sandbox, "POST", json={})
    assert refused.status_code == 400 and "error" in refused.json()


def test_new_connections_can_start_pending(sandbox: Sandbox) -> None:
    sandbox.configure(maton_new_connections_active=False)
    connection = _ctrl(sandbox, "POST", json={"app": "toggl-track"}).json()["connection"]
    assert connection["status"] == "PENDING"
    refused = _gateway(sandbox, connection["connection_id"])
    assert refused.status_code == 400


def test_the_gateway_uses_the_named_or_the_oldest_active_connection(sandbox: Sandbox) -> None:
    second = _ctrl(sandbox, "POST", json={"app": "toggl-track"}).json()["connection"]["connection_id"]
    assert _gateway(sandbox, second).status_code == 200
    _ctrl(sandbox, "DELETE", f"/connections/{FIRST_CONNECTION_ID}")
    assert _gateway(sandbox, FIRST_CONNECTION_ID).status_code == 400
    assert _gateway(sandbox).status_code == 200  # the remaining one
    _ctrl(sandbox, "DELETE", f"/connections/{second}")
    refused = _gateway(sandbox)
    assert (refused.status_code, refused.json()) == (400, {"error": NO_CONNECTION_MESSAGE})


def test_the_gateway_answers_429_itself_above_10_requests_a_second() -> None:
    # 40 back to back: a burst of 10 is admitted, then the bucket drains 10/s, so a 429
    # comes unless each request took over 100 ms.
    with Sandbox(seed_demo=False, user_hourly_quota=None) as sandbox:
        answers = [_gateway(sandbox) for _ in range(40)]
        direct = requests.get(f"{sandbox.url}/api/v9/me", auth=(sandbox.token, "x"), timeout=5)
    statuses = [answer.status_code for answer in answers]
    assert statuses[:10] == [200] * 10 and 429 in statuses
    limited = answers[statuses.index(429)]
    assert "error" in limited.json()  # the gateway's own body, not a Toggl JSON string
    assert "X-Toggl-Quota-Remaining" not in limited.headers
    assert direct.status_code == 200  # Toggl itself was never asked


def test_the_maton_limit_can_be_turned_off() -> None:
    with Sandbox(seed_demo=False, user_hourly_quota=None, maton_rate_limit_per_second=None) as sandbox:
        assert all(_gateway(sandbox).status_code == 200 for _ in range(15))


def test_connections_spend_no_toggl_quota() -> None:
    with Sandbox(seed_demo=False, hourly_quota=1, user_hourly_quota=1) as sandbox:
        assert all(_ctrl(sandbox, "GET").status_code == 200 for _ in range(3))
        assert _gateway(sandbox).status_code == 200


def test_doctor_through_maton_end_to_end_with_a_created_connection() -> None:
    with Sandbox(token="maton-key-123") as sandbox:
        created = _ctrl(sandbox, "POST", json={"app": "toggl-track"}).json()["connection"]
        env = {"MATON_API_KEY": "maton-key-123", "TOGGL_API_URL": f"{sandbox.url}/toggl-track",
               "MATON_CTRL_URL": sandbox.url, "MATON_CONNECTION": created["connection_id"]}
        stdout, stderr = io.StringIO(), io.StringIO()
        code = main(["doctor"], env=env, stdin=io.StringIO(""), stdout=stdout, stderr=stderr)
    output = stdout.getvalue() + stderr.getvalue()
    assert code == 0, output
    assert "Maton connections (2 active)" in output
    assert f"{created['connection_id']} created" in output and "(used: MATON_CONNECTION)" in output
    assert "maton-key-123" not in output


def test_the_banner_hints_name_the_maton_variables_and_they_work(sandbox: Sandbox) -> None:
    hints = dict(line.strip().removeprefix("export ").split("  #")[0].strip().split("=", 1)
                 for line in sandbox.environment_hints() if line.strip().startswith("export "))
    assert hints["MATON_API_KEY"] == sandbox.token and hints["MATON_CTRL_URL"] == sandbox.url
    assert hints["MATON_CONNECTION"] == FIRST_CONNECTION_ID
    lines = sandbox.environment_hints()
    assert lines[0].strip() == f"export TOGGL_API_URL={sandbox.url}"  # direct first
    assert any(line.strip() == f"export TOGGL_API_URL={sandbox.url}/toggl-track" for line in lines)
    me = requests.get(f"{sandbox.url}/toggl-track/api/v9/me", timeout=5,
                      headers={"Authorization": f"Bearer {hints['MATON_API_KEY']}"})
    assert me.status_code == 200


def test_a_refused_connection_spends_no_toggl_quota() -> None:
    with Sandbox(seed_demo=False, user_hourly_quota=1) as sandbox:
        assert _gateway(sandbox, "no-such-connection").status_code == 400
        assert _gateway(sandbox).status_code == 200  # the one /me call of the hour


def test_connections_are_capped_and_app_names_bounded(sandbox: Sandbox) -> None:
    assert _ctrl(sandbox, "POST", json={"app": "x" * 65}).status_code == 400
    statuses = {_ctrl(sandbox, "POST", json={"app": "toggl-track"}).status_code for _ in range(100)}
    assert statuses == {200, 400}
    assert len(_ctrl(sandbox, "GET").json()["connections"]) == 100
