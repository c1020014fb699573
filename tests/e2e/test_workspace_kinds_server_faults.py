"""A server that lies about the workspace kinds, through the real CLI over real HTTP: one clear
error (exit 1, no traceback, no credential), nothing planned, nothing written.

The sandbox serves the workspace; `responses` (passing everything else through to it) stands
in for the one endpoint that lies, as a broken proxy or a hostile API root would.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
import responses

from tests.e2e.conftest import TOKEN
from tests.e2e.test_workspace_kinds import TASKS, KindsHarness, kinds  # noqa: F401 (fixture)

LYING_TASKS = [
    # tracked time that cannot be read must not read as none: the delete would look free
    pytest.param(lambda rows: {"data": [{**row, "tracked_seconds": "lots"} for row in rows],
                               "total_count": len(rows)}, "tracked_seconds 'lots'", id="tracked-time-unreadable"),
    pytest.param(lambda rows: {"data": [{**row, "id": None} for row in rows]}, "a task has id null",
                 id="no-ids"),
    # the same page for every page number, claiming more: the rest would look missing
    pytest.param(lambda rows: {"data": rows * 70, "total_count": 5000},
                 "does not page as Toggl's does", id="page-ignored"),
    pytest.param(lambda rows: lambda page: {"data": rows[:1] if page == 1 else [], "total_count": 3},
                 "declared 3 tasks but page 2 is empty", id="total-never-reached"),
]


@pytest.fixture
def lying(kinds: KindsHarness) -> Iterator[responses.RequestsMock]:  # noqa: F811
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(kinds.sandbox.url)
        yield mock


def _rows(kinds: KindsHarness) -> list[dict[str, Any]]:  # noqa: F811
    listed = kinds.api("GET", f"/workspaces/{kinds.wid}/tasks?active=both&per_page=200")
    return list(listed["data"] if isinstance(listed, dict) else listed)


def _one_clear_error(result: Any, expected: str) -> None:
    assert result.code == 1, result.output
    assert expected in result.stderr, result.output
    assert "Traceback" not in result.output and TOKEN not in result.output
    assert "nothing was planned" in result.stderr.lower()


@pytest.mark.parametrize(("answer", "expected"), LYING_TASKS)
def test_a_lying_task_listing_plans_and_writes_nothing(kinds: KindsHarness,  # noqa: F811
                                                       lying: responses.RequestsMock,
                                                       answer: Any, expected: str) -> None:
    assert kinds.apply(kinds.spec(TASKS)).code == 0
    rows = _rows(kinds)
    path = kinds.spec(TASKS.replace("      - Copy\n", "") + "unmanaged:\n  tasks: delete\n")
    served = answer(rows)
    url = f"{kinds.sandbox.url}/api/v9/workspaces/{kinds.wid}/tasks"
    if callable(served):  # by page number
        lying.add_callback(responses.GET, url, callback=lambda request: (
            200, {}, json.dumps(served(int(request.params.get("page", 1))))))
    else:
        lying.get(url, json=served)
    writes_before = len(kinds.writes())
    _one_clear_error(kinds.cli("plan", path), expected)
    _one_clear_error(kinds.apply(path), expected)
    assert len(kinds.writes()) == writes_before


MEMBERS = """\
projects:
  - name: Site
    members:
      - user: ana@acme.test
unmanaged:
  members: remove
"""


def test_two_rows_for_one_member_remove_neither(kinds: KindsHarness,  # noqa: F811
                                                lying: responses.RequestsMock) -> None:
    # Two rows for ana on Site: the plan kept one and planned the other's removal.
    assert kinds.apply(kinds.spec(MEMBERS)).code == 0
    [row] = kinds.project_users()
    lying.get(f"{kinds.sandbox.url}/api/v9/workspaces/{kinds.wid}/project_users",
              json=[row, {**row, "id": row["id"] + 1000}])
    writes_before = len(kinds.writes())
    result = kinds.apply(kinds.spec(MEMBERS))
    _one_clear_error(result, "is listed twice")
    assert len(kinds.writes()) == writes_before


def test_a_manager_flag_sent_as_a_string_plans_nothing(kinds: KindsHarness,  # noqa: F811
                                                       lying: responses.RequestsMock) -> None:
    # bool("false") is True: the plan read a manager and would have planned from that.
    assert kinds.apply(kinds.spec(MEMBERS)).code == 0
    [row] = kinds.project_users()
    lying.get(f"{kinds.sandbox.url}/api/v9/workspaces/{kinds.wid}/project_users",
              json=[{**row, "manager": "false"}])
    _one_clear_error(kinds.cli("plan", kinds.spec(MEMBERS)), "manager 'false'")


def test_users_sharing_an_email_by_case_plan_nothing(kinds: KindsHarness,  # noqa: F811
                                                     lying: responses.RequestsMock) -> None:
    users = kinds.api("GET", f"/workspaces/{kinds.wid}/users")
    twin = {**users[-1], "id": 99999999, "email": users[-1]["email"].upper()}
    lying.get(f"{kinds.sandbox.url}/api/v9/workspaces/{kinds.wid}/users", json=[*users, twin])
    _one_clear_error(kinds.cli("plan", kinds.spec(MEMBERS)), "share the e-mail")


def test_settings_of_another_workspace_plan_nothing(kinds: KindsHarness,  # noqa: F811
                                                    lying: responses.RequestsMock) -> None:
    answer = {**kinds.settings(), "id": kinds.wid + 1, "rounding_minutes": 15}
    lying.get(f"{kinds.sandbox.url}/api/v9/workspaces/{kinds.wid}", json=answer)
    path = kinds.spec("settings:\n  rounding_minutes: 15\n", workspace=kinds.wid)
    _one_clear_error(kinds.cli("plan", path), f"is about workspace {kinds.wid + 1}")
