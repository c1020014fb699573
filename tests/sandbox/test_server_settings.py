"""Workspace settings (GET/PUT /workspaces/{wid}) and workspace creation over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from reconciler.sandbox import Sandbox
from reconciler.sandbox.identity import ORGANIZATION_ID
from reconciler.sandbox.settings import DEFAULT_SETTINGS, ROUNDING_MINUTES_VALUES

MANAGED = ("default_currency", "default_hourly_rate", "rounding", "rounding_minutes",
           "only_admins_may_create_projects", "only_admins_may_create_tags",
           "only_admins_see_team_dashboard", "projects_billable_by_default",
           "projects_private_by_default", "projects_enforce_billable",
           "limit_public_project_data", "reports_collapse")


def test_a_new_workspace_shows_the_recorded_default_settings(api, wid: int) -> None:
    shown = api.get(f"/workspaces/{wid}").json()
    assert {key: shown[key] for key in MANAGED} == {key: DEFAULT_SETTINGS[key] for key in MANAGED}
    assert shown["organization_id"] == ORGANIZATION_ID and shown["admin"] is True


def test_put_changes_only_the_keys_sent(api, wid: int) -> None:
    before = api.get(f"/workspaces/{wid}").json()
    answer = api.put(f"/workspaces/{wid}", {"default_currency": "EUR", "rounding_minutes": 15})
    assert answer.status_code == 200
    after = api.get(f"/workspaces/{wid}").json()
    assert answer.json() == after
    assert (after["default_currency"], after["rounding_minutes"]) == ("EUR", 15)
    unchanged = [key for key in MANAGED if key not in ("default_currency", "rounding_minutes")]
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert after["name"] == before["name"]


def test_every_managed_setting_round_trips(api, wid: int) -> None:
    wanted = {
        "default_currency": "GBP", "default_hourly_rate": 90.5, "rounding": -1,
        "rounding_minutes": 240, "only_admins_may_create_projects": True,
        "only_admins_may_create_tags": True, "only_admins_see_team_dashboard": True,
        "projects_billable_by_default": False, "projects_private_by_default": False,
        "projects_enforce_billable": True, "limit_public_project_data": True,
        "reports_collapse": False,
    }
    assert api.put(f"/workspaces/{wid}", wanted).status_code == 200
    shown = api.get(f"/workspaces/{wid}").json()
    assert {key: shown[key] for key in wanted} == wanted


def test_projects_private_by_default_applies_to_new_projects(api, wid: int) -> None:
    api.put(f"/workspaces/{wid}", {"projects_private_by_default": False})
    created = api.post(f"/workspaces/{wid}/projects", {"name": "P", "active": True}).json()
    assert created["is_private"] is False


@pytest.mark.parametrize(("body", "text"), [
    ({"rounding": 2}, "rounding must be -1, 0 or 1"),
    ({"rounding": True}, "rounding must be -1, 0 or 1"),
    ({"rounding_minutes": 7}, "rounding_minutes must be one of"),
    ({"rounding_minutes": 15.0}, "rounding_minutes must be one of"),
    ({"default_currency": "EURO"}, "Unknown currency"),
    ({"default_currency": ""}, "default_currency must be a currency code"),
    ({"default_hourly_rate": -1}, "default_hourly_rate must be a number from 0"),
    ({"default_hourly_rate": 10_000_001}, "default_hourly_rate must be a number from 0"),
    ({"default_hourly_rate": "90"}, "default_hourly_rate must be a number from 0"),
    ({"reports_collapse": "yes"}, "reports_collapse must be a boolean"),
    ({"name": "  "}, "Workspace name can't be blank"),
])
def test_bad_values_are_400_and_change_nothing(api, wid: int, body: dict[str, Any], text: str) -> None:
    before = api.get(f"/workspaces/{wid}").json()
    answer = api.put(f"/workspaces/{wid}", {"reports_collapse": False, **body})
    assert answer.status_code == 400 and text in answer.json()
    after = api.get(f"/workspaces/{wid}").json()
    assert after["reports_collapse"] == before["reports_collapse"]


def test_every_documented_rounding_minutes_value_is_taken(api, wid: int) -> None:
    for minutes in ROUNDING_MINUTES_VALUES:
        assert api.put(f"/workspaces/{wid}", {"rounding_minutes": minutes}).status_code == 200


def test_unknown_keys_are_ignored(api, wid: int) -> None:
    answer = api.put(f"/workspaces/{wid}", {"no_such_setting": 1, "admins": [1]})
    assert answer.status_code == 200 and "no_such_setting" not in answer.json()


@pytest.mark.parametrize("body", [
    {"default_hourly_rate": 50}, {"rounding": 0}, {"rounding_minutes": 15},
    {"projects_billable_by_default": False}, {"projects_enforce_billable": True},
])
def test_paid_settings_are_402_on_a_free_workspace(api, free_wid: int, body: dict[str, Any]) -> None:
    answer = api.put(f"/workspaces/{free_wid}", body)
    assert answer.status_code == 402
    assert "available only for premium plans" in answer.json()


def test_a_free_workspace_may_resend_current_paid_values_and_set_free_ones(
    api, free_wid: int
) -> None:
    current = api.get(f"/workspaces/{free_wid}").json()
    body = {"rounding": current["rounding"], "rounding_minutes": current["rounding_minutes"],
            "default_currency": "EUR", "only_admins_may_create_tags": True}
    answer = api.put(f"/workspaces/{free_wid}", body)
    assert answer.status_code == 200 and answer.json()["default_currency"] == "EUR"


def test_default_currency_can_be_made_paid(sandbox: Sandbox, api, free_wid: int) -> None:
    sandbox.configure(free_default_currency_refused=True)
    assert api.put(f"/workspaces/{free_wid}", {"default_currency": "EUR"}).status_code == 402


def test_settings_need_an_admin(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.configure(admin=False)
    answer = api.put(f"/workspaces/{wid}", {"reports_collapse": False})
    assert answer.status_code == 403
    shown = api.get(f"/workspaces/{wid}").json()
    assert shown["reports_collapse"] is True
    assert (shown["admin"], shown["role"]) == (False, "user")


def test_renaming_a_workspace_keeps_names_unique_case_insensitively(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.store.ensure_workspace("Other")
    assert api.put(f"/workspaces/{wid}", {"name": "OTHER"}).status_code == 400
    assert api.put(f"/workspaces/{wid}", {"name": "Renamed"}).json()["name"] == "Renamed"


def test_unknown_workspace_is_403(api) -> None:
    assert api.put("/workspaces/123", {"rounding": 0}).status_code == 403


# ------------------------------------------------------------------ workspace creation


def test_creating_a_workspace_gives_it_default_settings(api, wid: int) -> None:
    api.put(f"/workspaces/{wid}", {"default_currency": "EUR"})
    created = api.post(f"/organizations/{ORGANIZATION_ID}/workspaces", {"name": "Second"}).json()
    assert {key: created[key] for key in MANAGED} == {key: DEFAULT_SETTINGS[key] for key in MANAGED}
    listed = [w["name"] for w in api.get("/me/workspaces").json()]
    assert "Second" in listed


def test_workspace_names_are_unique_in_the_organization(api, wid: int) -> None:
    answer = api.post(f"/organizations/{ORGANIZATION_ID}/workspaces", {"name": "ACME"})
    assert (answer.status_code, answer.json()) == (400, "Workspace with this name already exists")


def test_creating_a_workspace_needs_a_name(api, wid: int) -> None:
    assert api.post(f"/organizations/{ORGANIZATION_ID}/workspaces", {}).status_code == 400


def test_a_free_organization_cannot_add_a_workspace() -> None:
    with Sandbox(seed_demo=False, tier="free") as sandbox:
        sandbox.store.ensure_workspace("Only")
        answer = requests.post(f"{sandbox.url}/api/v9/organizations/{ORGANIZATION_ID}/workspaces",
                               json={"name": "Two"}, auth=(sandbox.token, "api_token"), timeout=10)
        assert (answer.status_code, answer.json()) == (403, "User does not have access to this resource")


def test_creating_a_workspace_needs_an_admin(sandbox: Sandbox, api, wid: int) -> None:
    sandbox.configure(admin=False)
    assert api.post(f"/organizations/{ORGANIZATION_ID}/workspaces", {"name": "X"}).status_code == 403


def test_another_organization_is_403(api) -> None:
    assert api.post("/organizations/1/workspaces", {"name": "X"}).status_code == 403


@pytest.mark.parametrize(("setting", "path", "body"), [
    ("only_admins_may_create_projects", "projects", {"name": "P", "active": True}),
    ("only_admins_may_create_tags", "tags", {"name": "t"}),
])
def test_only_admins_may_create_when_the_setting_says_so(
    sandbox: Sandbox, api, wid: int, setting: str, path: str, body: dict[str, Any]
) -> None:
    sandbox.configure(admin=False)
    assert api.post(f"/workspaces/{wid}/{path}", body).status_code == 200  # setting off
    sandbox.configure(admin=True)
    api.put(f"/workspaces/{wid}", {setting: True})
    assert api.post(f"/workspaces/{wid}/{path}", {**body, "name": "admin"}).status_code == 200
    sandbox.configure(admin=False)
    assert api.post(f"/workspaces/{wid}/{path}", {**body, "name": "member"}).status_code == 403

