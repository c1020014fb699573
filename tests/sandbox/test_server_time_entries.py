"""Time entries over HTTP: creation rules, running timers, stop (409), listings, bulk PATCH."""

from __future__ import annotations

import time
from typing import Any

import pytest

from reconciler.sandbox import Sandbox
from reconciler.sandbox.timefmt import seconds_style


def _entry(wid: int, **fields: Any) -> dict[str, Any]:
    body = {"created_with": "tests", "workspace_id": wid,
            "start": seconds_style(time.time() - 600)}
    body.update(fields)
    return body


@pytest.mark.parametrize(
    "missing", ["created_with", "workspace_id", "start"],
)
def test_creation_needs_created_with_workspace_id_and_start(api, wid: int, missing: str) -> None:
    body = _entry(wid)
    del body[missing]
    response = api.post(f"/workspaces/{wid}/time_entries", body)
    assert response.status_code == 400 and isinstance(response.json(), str)


def test_created_entry_without_tags_answers_null_tags(api, wid: int) -> None:
    created = api.post(f"/workspaces/{wid}/time_entries", _entry(wid, duration=3600)).json()
    assert (created["duration"], created["tags"], created["tag_ids"]) == (3600, None, None)
    assert "pid" not in created
    listed = api.get("/me/time_entries").json()
    assert listed[0]["tags"] == []


def test_running_timer_reads_back_negative_and_stops_once(api, wid: int) -> None:
    assert api.get("/me/time_entries/current").json() is None
    running = api.post(f"/workspaces/{wid}/time_entries", _entry(wid, duration=-1)).json()
    assert (running["duration"], running["stop"]) == (-1, None)
    assert api.get("/me/time_entries/current").json()["id"] == running["id"]
    stopped = api.patch(f"/workspaces/{wid}/time_entries/{running['id']}/stop")
    assert stopped.status_code == 200 and stopped.json()["duration"] >= 600
    again = api.patch(f"/workspaces/{wid}/time_entries/{running['id']}/stop")
    assert again.status_code == 409
    assert api.get("/me/time_entries/current").content == b"null"


def test_a_new_timer_stops_the_running_one(api, wid: int) -> None:
    first = api.post(f"/workspaces/{wid}/time_entries", _entry(wid, duration=-1)).json()
    api.post(f"/workspaces/{wid}/time_entries", _entry(wid, duration=-1))
    assert api.get(f"/me/time_entries/{first['id']}").json()["duration"] >= 600


def test_tags_by_name_create_missing_tags(sandbox: Sandbox, api, wid: int) -> None:
    created = api.post(f"/workspaces/{wid}/time_entries",
                       _entry(wid, duration=5, tags=["new-tag"])).json()
    assert created["tags"] == ["new-tag"]
    assert [t["name"] for t in sandbox.store.tags(wid)] == ["new-tag"]


def test_unknown_project_is_400(api, wid: int) -> None:
    response = api.post(f"/workspaces/{wid}/time_entries", _entry(wid, project_id=201999999))
    assert response.status_code == 400


def test_since_and_before_together_is_the_recorded_400(api) -> None:
    response = api.get("/me/time_entries", params={"since": "1", "before": "2024-12-16"})
    assert (response.status_code, response.json()) == (
        400, "'since' and 'before' can not be present simultaneously")


def test_listing_windows_and_deleted_entries(sandbox: Sandbox, api, wid: int) -> None:
    now = time.time()
    old = sandbox.store.add_time_entry(wid, None, 60, start=now - 86400 * 3)
    recent = sandbox.store.add_time_entry(wid, None, 60, start=now - 3600)
    window = {"start_date": seconds_style(now - 7200), "end_date": seconds_style(now)}
    assert [e["id"] for e in api.get("/me/time_entries", params=window).json()] == [recent]
    before = {"before": seconds_style(now - 86400)}
    assert [e["id"] for e in api.get("/me/time_entries", params=before).json()] == [old]
    api.delete(f"/workspaces/{wid}/time_entries/{recent}")
    since = api.get("/me/time_entries", params={"since": str(int(now) - 5)}).json()
    deleted = {e["id"]: e["server_deleted_at"] is not None for e in since}
    assert deleted == {recent: True, old: False}  # both changed since then


def test_only_one_of_start_date_and_end_date_is_400(api) -> None:
    assert api.get("/me/time_entries", params={"start_date": "2024-12-16"}).status_code == 400


def test_meta_adds_project_and_client_names(sandbox: Sandbox, api, wid: int) -> None:
    client = sandbox.store.add_client(wid, "Acme")
    project = sandbox.store.add_project(wid, "Site", client_id=client)
    sandbox.store.add_time_entry(wid, project, 60)
    (entry,) = api.get("/me/time_entries", params={"meta": "true"}).json()
    assert (entry["client_name"], entry["project_name"], entry["pid"]) == ("Acme", "Site", project)


def test_put_and_delete(sandbox: Sandbox, api, wid: int) -> None:
    entry = sandbox.store.add_time_entry(wid, None, 60)
    updated = api.put(f"/workspaces/{wid}/time_entries/{entry}",
                      {"description": "renamed", "duration": 120})
    assert (updated.json()["description"], updated.json()["duration"]) == ("renamed", 120)
    deleted = api.delete(f"/workspaces/{wid}/time_entries/{entry}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert api.get(f"/me/time_entries/{entry}").status_code == 404


def test_bulk_patch_without_transaction(sandbox: Sandbox, api, wid: int) -> None:
    first = sandbox.store.add_time_entry(wid, None, 60)
    second = sandbox.store.add_time_entry(wid, None, 60)
    operations = [{"op": "replace", "path": "/description", "value": "bulk"},
                  {"op": "add", "path": "/tags", "value": ["x"]}]
    result = api.patch(f"/workspaces/{wid}/time_entries/{first},{second},3499999999",
                       operations).json()
    assert result["success"] == [first, second]
    assert [failure["id"] for failure in result["failure"]] == [3499999999]
    assert {(e["description"], tuple(e["tags"])) for e in sandbox.store.time_entries(wid)} == {
        ("bulk", ("x",))}


# ------------------------------------------------------------------ recorded and documented rules


@pytest.mark.parametrize("start", ["1984-06-08T11:02:53.000Z", "0001-01-01T00:00:00Z",
                                   "2031-01-01T00:00:00Z", "2005-12-31T23:59:59Z"])
def test_start_year_outside_2006_2030_is_the_recorded_400(api, wid: int, start: str) -> None:
    response = api.post(f"/workspaces/{wid}/time_entries", _entry(wid, start=start))
    assert (response.status_code, response.json()) == (
        400, "Start time year must be between 2006 and 2030")


def test_start_is_checked_before_created_with(api, wid: int) -> None:
    """Recorded: a body with an empty `created_with` AND a year-1 start got the year message;
    a body with no start got the start message."""
    bad_both = api.post(f"/workspaces/{wid}/time_entries",
                        _entry(wid, created_with="", start="0001-01-01T00:00:00Z"))
    assert bad_both.json() == "Start time year must be between 2006 and 2030"
    no_start = api.post(f"/workspaces/{wid}/time_entries", {"workspace_id": wid})
    assert (no_start.status_code, no_start.json()) == (
        400, "start is required for time entry creation")


def test_put_start_year_is_checked_too(sandbox: Sandbox, api, wid: int) -> None:
    entry = sandbox.store.add_time_entry(wid, None, 60)
    response = api.put(f"/workspaces/{wid}/time_entries/{entry}", {"start": "1999-01-01T00:00:00Z"})
    assert (response.status_code, response.json()) == (
        400, "Start time year must be between 2006 and 2030")


def test_single_entry_has_no_legacy_keys_but_lists_do(sandbox: Sandbox, api, wid: int) -> None:
    project = sandbox.store.add_project(wid, "Site")
    entry = sandbox.store.add_time_entry(wid, project, 60)
    single = api.get(f"/me/time_entries/{entry}").json()
    assert not {"uid", "wid", "pid"} & set(single)
    assert single["project_id"] == project and "permissions" in single
    listed = api.get("/me/time_entries").json()[0]
    assert (listed["uid"], listed["wid"], listed["pid"]) == (single["user_id"], wid, project)


def test_meta_adds_project_fields_and_client_only_when_there_is_one(
    sandbox: Sandbox, api, wid: int
) -> None:
    project = sandbox.store.add_project(wid, "Site", color="#c9806b")
    entry = sandbox.store.add_time_entry(wid, project, 60)
    meta = api.get(f"/me/time_entries/{entry}", params={"meta": "true"}).json()
    assert (meta["project_name"], meta["project_color"], meta["project_active"]) == (
        "Site", "#c9806b", True)
    assert "client_name" not in meta
    bare = api.get(f"/me/time_entries/{entry}").json()
    assert "project_name" not in bare


@pytest.mark.parametrize(
    ("action", "names", "expected"),
    [("add", ["b", "c"], ["a", "b", "c"]), ("delete", ["a"], ["b"]), (None, ["c"], ["c"])],
)
def test_put_tag_action_adds_or_deletes_the_named_tags(
    sandbox: Sandbox, api, wid: int, action: str | None, names: list[str], expected: list[str]
) -> None:
    """Documented: `tag_action` "add"/"delete" edits the entry's tags; without it they are
    replaced."""
    entry = sandbox.store.add_time_entry(wid, None, 60, tags=["a", "b"])
    body: dict[str, Any] = {"tags": names}
    if action is not None:
        body["tag_action"] = action
    answer = api.put(f"/workspaces/{wid}/time_entries/{entry}", body).json()
    assert sorted(answer["tags"]) == expected


def test_put_refuses_an_unknown_tag_action(sandbox: Sandbox, api, wid: int) -> None:
    entry = sandbox.store.add_time_entry(wid, None, 60, tags=["a"])
    response = api.put(f"/workspaces/{wid}/time_entries/{entry}",
                       {"tags": ["a"], "tag_action": "toggle"})
    assert response.status_code == 400


def test_bulk_patch_accepts_pid(sandbox: Sandbox, api, wid: int) -> None:
    """Recorded (toggl_rb): `[{"op":"replace","path":"/pid","value":...}]` succeeds per id."""
    project = sandbox.store.add_project(wid, "Target")
    ids = [sandbox.store.add_time_entry(wid, None, 60) for _ in range(2)]
    answer = api.patch(f"/workspaces/{wid}/time_entries/{ids[0]},{ids[1]}",
                       [{"op": "replace", "path": "/pid", "value": project}]).json()
    assert answer == {"success": ids, "failure": []}
    assert {e["project_id"] for e in sandbox.store.time_entries(wid)} == {project}


def test_running_duration_style_follows_the_config(sandbox: Sandbox, api, wid: int) -> None:
    """Dec 2024 recordings: -1; 2023 - Apr 2024 ones: minus the start's epoch seconds."""
    started = time.time() - 100
    entry = sandbox.store.add_time_entry(wid, None, -1, start=started)
    assert api.get("/me/time_entries/current").json()["duration"] == -1
    sandbox.configure(running_duration_style="minus_start")
    current = api.get("/me/time_entries/current").json()
    assert current["id"] == entry and current["duration"] == -int(started)
