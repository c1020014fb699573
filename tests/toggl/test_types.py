from __future__ import annotations

from typing import Any

import pytest

from reconciler.model import QuotaStatus
from reconciler.toggl import (
    BulkFailure,
    BulkResult,
    Client,
    Group,
    Organization,
    Project,
    ProjectGroup,
    ProjectUser,
    QuotaInfo,
    Tag,
    Task,
    TimeEntry,
    User,
    Workspace,
    WorkspaceUser,
)
from reconciler.toggl.types import quota_from_headers

ALL_TYPES = [User, Workspace, Client, Project, Tag, TimeEntry, QuotaInfo, Organization, WorkspaceUser,
             Group, ProjectUser, ProjectGroup, Task]


@pytest.mark.parametrize("kind", ALL_TYPES)
def test_from_api_tolerates_an_empty_object(kind: Any) -> None:
    assert kind.from_api({}).raw == {}


@pytest.mark.parametrize("kind", ALL_TYPES)
def test_raw_keeps_unknown_fields_out_of_repr_and_equality(kind: Any) -> None:
    first = kind.from_api({"id": 5, "brand_new_field": "surprise"})
    second = kind.from_api({"id": 5})
    assert first.raw["brand_new_field"] == "surprise"
    assert "surprise" not in repr(first)
    assert first == second


@pytest.mark.parametrize(
    ("premium", "business_ws", "tier"),
    [(False, False, "free"), (True, False, "starter"), (True, True, "premium"), (False, True, "premium")],
)
def test_workspace_tier(premium: bool, business_ws: bool, tier: str) -> None:
    assert Workspace.from_api({"id": 1, "premium": premium, "business_ws": business_ws}).tier == tier


def test_client_reads_workspace_from_wid() -> None:
    client = Client.from_api({"id": 3, "wid": 9, "name": "Acme", "archived": True, "notes": None, "at": "2024-01-01T00:00:00Z"})
    assert (client.id, client.workspace_id, client.name, client.archived, client.notes) == (3, 9, "Acme", True, None)


def test_project_nulls_and_legacy_names() -> None:
    project = Project.from_api({"id": 4, "wid": 9, "cid": 3, "name": "Site", "actual_seconds": None, "active": False})
    assert (project.workspace_id, project.client_id, project.actual_seconds, project.active) == (9, 3, 0, False)


def test_project_without_active_is_active() -> None:
    assert Project.from_api({"id": 4, "name": "Site"}).active is True


def test_project_fields_from_api() -> None:
    project = Project.from_api({
        "id": 4, "workspace_id": 9, "client_id": None, "name": "Site", "color": "#0b83d9", "billable": True,
        "estimated_hours": 12, "rate": 85.5, "currency": "EUR", "auto_estimates": False, "template": False,
        "is_private": True, "actual_seconds": 3600, "server_deleted_at": "2024-05-01T00:00:00Z",
    })
    assert (project.color, project.billable, project.estimated_hours, project.rate, project.currency) == (
        "#0b83d9", True, 12, 85.5, "EUR")
    assert (project.is_private, project.actual_seconds, project.server_deleted_at) == (True, 3600, "2024-05-01T00:00:00Z")


def test_time_entry_null_lists_become_empty() -> None:
    entry = TimeEntry.from_api({"id": 1, "workspace_id": 2, "tags": None, "tag_ids": None, "duration": -1})
    assert (entry.tags, entry.tag_ids, entry.running) == ([], [], True)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"success": [1, 2], "failure": []}, BulkResult(success=(1, 2))),
        ({"success": [1], "failure": [{"id": 2, "message": "nope"}]},
         BulkResult(success=(1,), failure=(BulkFailure(2, "nope"),))),
        ({"success": None, "failure": None}, BulkResult()),
        ([1, 2], BulkResult(success=(1, 2))),
        (None, BulkResult(success=(1, 2))),
        ("", BulkResult(success=(1, 2))),
        ({"unexpected": True}, BulkResult(success=(1, 2))),
    ],
)
def test_bulk_result_shapes(data: Any, expected: BulkResult) -> None:
    assert BulkResult.from_api(data, [1, 2]) == expected


@pytest.mark.parametrize(("data", "reported"), [
    ({"success": [1], "failure": []}, True), ([1, 2], True), (None, False), ("OK", False), ({"ok": True}, False),
    ([99], False)])
def test_bulk_result_says_whether_the_answer_reported_each_id(data: Any, reported: bool) -> None:
    # No per-id news is taken as done for every id, and says so: a writer may read back.
    assert BulkResult.from_api(data, [1, 2]).reported is reported


def test_bulk_result_ok_only_without_failures() -> None:
    assert BulkResult(success=(1,)).ok and not BulkResult(failure=(BulkFailure(1, "x"),)).ok


def test_quota_info() -> None:
    info = QuotaInfo.from_api({"organization_id": 7, "remaining": 25, "resets_in_secs": 300, "total": 30})
    assert (info.organization_id, info.remaining, info.resets_in_secs, info.total) == (7, 25, 300, 30)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Toggl-Quota-Remaining": "12", "X-Toggl-Quota-Resets-In": "60"}, QuotaStatus(12, 60)),
        ({"x-toggl-quota-remaining": "0"}, QuotaStatus(0, None)),
        ({"X-TOGGL-QUOTA-RESETS-IN": " 5 "}, QuotaStatus(None, 5)),
        ({"X-Toggl-Quota-Remaining": "many"}, QuotaStatus(None, None)),
        ({"Content-Type": "application/json"}, None),
    ],
)
def test_quota_from_headers(headers: dict[str, str], expected: QuotaStatus | None) -> None:
    assert quota_from_headers(headers) == expected


ODD_VALUES = [None, True, "x", [], {}, 1.5, -3, "12", float("inf"), float("-inf"), float("nan")]


@pytest.mark.parametrize("kind", [WorkspaceUser, Group, ProjectUser, ProjectGroup, Task, Organization])
@pytest.mark.parametrize("odd", ODD_VALUES)
def test_workspace_kind_types_tolerate_odd_values_in_every_field(kind: Any, odd: Any) -> None:
    keys = ("id", "group_id", "user_id", "project_id", "workspace_id", "name", "email", "users",
            "workspaces", "rate", "labor_cost", "manager", "active", "estimated_seconds",
            "tracked_seconds", "at", "pricing_plan_name", "inactive", "is_active")
    parsed = kind.from_api({key: odd for key in keys})
    assert isinstance(parsed.id, int)
    assert isinstance(parsed.name if hasattr(parsed, "name") else "", str)


@pytest.mark.parametrize(("sent", "read"), [(5.7, 0), (5.0, 5), (float("inf"), 0), (float("nan"), 0), ("5", 5)])
def test_an_id_is_never_truncated_or_overflowed(sent: Any, read: int) -> None:
    # `{"id": 5.7}` read as 5 would name another object; JSON's `Infinity` raised OverflowError.
    assert Task.from_api({"id": sent, "tracked_seconds": sent}).id == read


@pytest.mark.parametrize("sent", [float("inf"), float("-inf"), float("nan"), "Infinity", "1e999"])
def test_a_rate_that_is_no_finite_number_is_no_rate(sent: Any) -> None:
    assert ProjectUser.from_api({"id": 1, "rate": sent}).rate is None


def test_group_ids_from_objects_or_bare_ids_once_each() -> None:
    group = Group.from_api({"id": 3, "users": [{"user_id": 5}, 6, {"id": 7}, "8", {"user_id": None}, 5],
                            "workspaces": [{"workspace_id": 1}, 2, True]})
    assert (group.id, group.user_ids, group.workspace_ids) == (3, (5, 6, 7, 8), (1, 2))


def test_task_without_active_is_active_and_counts_default_to_zero() -> None:
    task = Task.from_api({"id": 1, "name": "T", "tracked_seconds": None})
    assert (task.active, task.tracked_seconds, task.estimated_seconds) == (True, 0, None)


def test_workspace_settings_leave_out_other_and_absent_keys() -> None:
    workspace = Workspace.from_api({"id": 1, "rounding": 0, "reports_collapse": False, "logo_url": "x"})
    assert workspace.settings == {"rounding": 0, "reports_collapse": False}


@pytest.mark.parametrize(("sent", "seconds"), [(0, 0), (1, 1), (999, 1), (1000, 1), (1001, 2), (7_200_000, 7200),
                                               (-5, 0), (None, 0)])
def test_task_tracked_time_is_documented_milliseconds_rounded_up_to_seconds(sent: Any, seconds: int) -> None:
    task = Task.from_api({"id": 1, "tracked_seconds": sent})
    assert task.seconds_tracked == seconds
    assert task.raw["tracked_seconds"] == sent


def test_project_user_group_from_either_documented_key() -> None:
    assert ProjectUser.from_api({"id": 1, "gid": 4}).group_id == 4
    assert ProjectUser.from_api({"id": 1, "group_id": 5, "gid": 4}).group_id == 5
    assert ProjectUser.from_api({"id": 1, "group_id": None, "gid": None}).group_id is None
