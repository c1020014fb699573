"""The user, the organization and the workspaces: /me, /me/workspaces, /workspaces/{wid},
/workspaces/{wid}/users, /me/organizations, /organizations/{id}."""

from __future__ import annotations

import json
import re
import sqlite3
import zoneinfo
from typing import TYPE_CHECKING, Any, Mapping

from reconciler.sandbox import clients, groups, projects, rules, tags, time_entries
from reconciler.sandbox import tasks as task_rules
from reconciler.sandbox.errors import ApiError, bad_request
from reconciler.sandbox.identity import (
    MASKED_TOKEN, ORGANIZATION_ID, ORGANIZATION_NAME, USER_EMAIL, USER_FULLNAME, USER_ID,
    USER_TIMEZONE,
)
from reconciler.sandbox.settings import refuse_taken_workspace_name, settings_of, update_settings
from reconciler.sandbox.timefmt import micro_z_style, seconds_style
from reconciler.sandbox.users import all_users, user_count

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

PLAN_NAMES: Mapping[str, str] = {"free": "Free", "starter": "Starter", "premium": "Premium"}


def workspace_json(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """Key set of the newest recording (Dec 2024) plus `profile` and `permissions` (recorded
    Apr 2024, documented; see tests/contract/drifts.py). `premium` means Starter and
    `business_ws` means Premium (documented). The settings come from settings.py; `admin`
    and `role` follow SandboxConfig.admin."""
    tier = row["tier"]
    admin = store.config.admin
    values = settings_of(row)
    return {
        "id": row["id"], "organization_id": ORGANIZATION_ID, "name": row["name"],
        "profile": 0, "premium": tier in ("starter", "premium"), "business_ws": tier == "premium",
        "admin": admin, "role": "admin" if admin else "user", "suspended_at": None,
        "server_deleted_at": None,
        "default_hourly_rate": values["default_hourly_rate"], "rate_last_updated": None,
        "default_currency": values["default_currency"],
        "only_admins_may_create_projects": values["only_admins_may_create_projects"],
        "only_admins_may_create_tags": values["only_admins_may_create_tags"],
        "only_admins_see_billable_rates": values["only_admins_see_billable_rates"],
        "only_admins_see_team_dashboard": values["only_admins_see_team_dashboard"],
        "projects_billable_by_default": values["projects_billable_by_default"],
        "projects_private_by_default": values["projects_private_by_default"],
        "projects_enforce_billable": values["projects_enforce_billable"],
        "limit_public_project_data": values["limit_public_project_data"],
        "last_modified": None, "reports_collapse": values["reports_collapse"],
        "rounding": values["rounding"], "rounding_minutes": values["rounding_minutes"],
        "api_token": MASKED_TOKEN, "at": seconds_style(row["at_ts"]),
        "logo_url": "https://assets.track.toggl.com/images/workspace.jpg",
        "ical_url": f"/ical/workspace_user/{row['id']:032d}", "ical_enabled": True,
        "csv_upload": None, "subscription": None, "hide_start_end_times": False,
        "working_hours_in_minutes": None, "permissions": None,
    }


def user_json(store: Store) -> dict[str, Any]:
    created = store.created_ts()
    settings = store.user_settings()
    updated = micro_z_style(settings.get("updated_ts", created))
    return {
        "id": USER_ID, "api_token": MASKED_TOKEN, "email": settings.get("email", USER_EMAIL),
        "fullname": settings.get("fullname", USER_FULLNAME),
        "timezone": settings.get("timezone", USER_TIMEZONE),
        "toggl_accounts_id": "SandboxAccount00000000",
        "default_workspace_id": store.default_workspace_id(),
        "beginning_of_week": settings.get("beginning_of_week", 1),
        "image_url": "https://assets.track.toggl.com/images/profile.png",
        "created_at": micro_z_style(created), "updated_at": updated,
        "openid_email": None, "openid_enabled": False,
        "country_id": settings.get("country_id"),
        "has_password": True, "at": updated, "intercom_hash": "0" * 64,
        "oauth_providers": [], "authorization_updated_at": micro_z_style(created),
    }


# The keys the recorded `PUT /me` answer has beyond and without those of `GET /me`.
_PUT_ME_DROPPED = ("intercom_hash", "oauth_providers", "authorization_updated_at")
_USER_FIELDS = ("beginning_of_week", "country_id", "default_workspace_id", "email",
                "fullname", "timezone")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def update_me(store: Store, body: Any) -> dict[str, Any]:
    """`PUT /me` (recorded 200): changes the fields sent; each bad one answers its documented
    400 text. Password changes are validated as documented and then ignored (the sandbox
    has no password login). The answer has the recorded key set: the user without
    `intercom_hash`/`authorization_updated_at`, with `toggl_accounts_updated_at`."""
    body = rules.require_object(body)
    changes = {name: _valid_user_field(store, name, body[name])
               for name in _USER_FIELDS if name in body}
    _check_password_change(body)
    now = store.now()
    store.set_user_settings({**changes, "updated_ts": now})
    user = user_json(store)
    for key in _PUT_ME_DROPPED:
        user.pop(key, None)
    answer: dict[str, Any] = {}
    for key, value in user.items():
        answer[key] = value
        if key == "toggl_accounts_id":
            answer["toggl_accounts_updated_at"] = micro_z_style(now)
    return answer


def _valid_user_field(store: Store, name: str, value: Any) -> Any:
    """Documented messages: "Invalid beginning_of_week", "Invalid country_id", ..."""
    valid = {
        "beginning_of_week": lambda: _is_int(value) and 0 <= value <= 6,
        "country_id": lambda: value is None or rules.is_id(value),
        "default_workspace_id": lambda: rules.is_id(value) and _workspace_exists(store, value),
        "email": lambda: isinstance(value, str) and bool(_EMAIL.match(value)),
        "fullname": lambda: isinstance(value, str) and bool(value.strip())
        and len(value) <= rules.MAX_NAME_LENGTH,
        "timezone": lambda: _known_timezone(value),
    }[name]()
    if not valid:
        raise bad_request(f"Invalid {name}")
    return value.strip() if name == "fullname" else value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _workspace_exists(store: Store, wid: int) -> bool:
    return store.db.execute("SELECT 1 FROM workspaces WHERE id = ?", (wid,)).fetchone() is not None


def _known_timezone(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    known = zoneinfo.available_timezones()
    if known:
        return value in known or value == "UTC"
    return bool(re.fullmatch(r"[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)*", value))  # no tz database


def _check_password_change(body: Mapping[str, Any]) -> None:
    password = body.get("password")
    if password is None:
        return
    if not body.get("current_password"):
        raise bad_request("Current password must be present to change password")  # documented
    if not isinstance(password, str) or len(password) < 6:
        raise bad_request("Password should be at least 6 characters")  # documented


def me(store: Store, query: Mapping[str, str]) -> dict[str, Any]:
    """`with_related_data=true` adds every workspace's objects; empty lists are left out, as
    the recordings show for a user without clients (a Go `omitempty`)."""
    user = user_json(store)
    if query.get("with_related_data") != "true":
        return user
    related = _related_data(store)
    user.update({key: value for key, value in related.items() if value})
    return user


def _related_data(store: Store) -> dict[str, list[dict[str, Any]]]:
    workspace_ids = [int(row["id"]) for row in store.workspace_rows()]
    return {
        "tags": [t for wid in workspace_ids for t in tags.list_tags(store, wid, {})],
        "clients": [
            c for wid in workspace_ids for c in clients.list_clients(store, wid, {"status": "both"})
        ],
        "time_entries": time_entries.list_my_entries(store, {}),
        "projects": [p for wid in workspace_ids for p in projects.all_projects(store, wid)],
        # Documented in the related data; the paid workspaces' tasks (ours: done ones too).
        "tasks": [t for wid in workspace_ids if store.tier_of(wid) != "free"
                  for t in task_rules.tasks_of_workspace(store, wid)],
        "workspaces": my_workspaces(store),
    }


def my_workspaces(store: Store) -> list[dict[str, Any]]:
    return [workspace_json(store, row) for row in store.workspace_rows()]


def get_workspace(store: Store, wid: int) -> dict[str, Any]:
    return workspace_json(store, store.workspace_row(wid))


def update_workspace(store: Store, wid: int, body: Any) -> dict[str, Any]:
    """`PUT /workspaces/{wid}`: a partial update of the settings (and `name`); see settings.py."""
    update_settings(store, wid, body)
    return get_workspace(store, wid)


def workspace_users(store: Store, wid: int) -> list[dict[str, Any]]:
    """Recorded key set (toggl_rb, Apr 2024): `id, fullname, email, is_active, is_admin,
    inactive`. The reference adds `role`; recorded beats documented, so it is left out.
    The sandbox user first, then the extra users (SandboxConfig.users, the demo seed) by id;
    only the sandbox user is an admin, and only while SandboxConfig.admin is set."""
    store.workspace_row(wid)
    return [{
        "id": user.id, "fullname": user.fullname, "email": user.email,
        "is_active": True, "is_admin": user.is_self and store.config.admin, "inactive": False,
    } for user in all_users(store)]


WORKSPACE_USER_ID_BASE = 5_000_000  # a workspace-user id per workspace (ours)


def workspace_memberships(store: Store, wid: int) -> list[dict[str, Any]]:
    """`GET /workspaces/{wid}/workspace_users`: documented path, no recorded or documented
    shape; the fields are our choice, after Toggl's workspace-user object: the membership id,
    the user, admin/role/active flags, rates and the groups the user is in there."""
    store.workspace_row(wid)
    groups_here = groups.groups_of_workspace(store, wid)
    answer = []
    for position, user in enumerate(all_users(store)):
        admin = user.is_self and store.config.admin
        answer.append({
            "id": WORKSPACE_USER_ID_BASE + (wid % 100_000) * 1000 + position, "user_id": user.id,
            "workspace_id": wid, "organization_id": ORGANIZATION_ID, "email": user.email,
            "name": user.fullname, "timezone": USER_TIMEZONE, "admin": admin,
            "role": "admin" if admin else "user", "active": True, "inactive": False,
            "group_ids": [int(row["id"]) for row in groups_here
                          if user.id in json.loads(row["user_ids"])],
            "rate": None, "rate_last_updated": None, "labour_cost": None,
            "at": micro_z_style(store.created_ts()),
        })
    return answer


def organization_json(store: Store) -> dict[str, Any]:
    created = micro_z_style(store.created_ts())
    return {
        "id": ORGANIZATION_ID, "name": ORGANIZATION_NAME, "pricing_plan_id": 0,
        "created_at": created, "at": created, "server_deleted_at": None,
        # Recorded false for free organizations (both recordings); paid ones: our reading.
        "is_multi_workspace_enabled": store.config.tier != "free", "suspended_at": None,
        "user_count": user_count(store),
        "trial_info": {
            "trial": False, "trial_available": False, "trial_end_date": None,
            "next_payment_date": None, "last_pricing_plan_id": None, "can_have_trial": False,
            "trial_plan_id": None,
        },
        "is_unified": False, "max_workspaces": 20, "permissions": None,
        "admin": store.config.admin,
        "owner": True, "pricing_plan_name": PLAN_NAMES[store.config.tier],
        "pricing_plan_enterprise": False,
    }


def my_organizations(store: Store) -> list[dict[str, Any]]:
    return [organization_json(store)]


def get_organization(store: Store, organization_id: int) -> dict[str, Any]:
    if organization_id != ORGANIZATION_ID:
        raise ApiError(403, "User does not have access to this resource")  # recorded text
    return organization_json(store)


def create_workspace(store: Store, organization_id: int, body: Any) -> dict[str, Any]:
    """`POST /organizations/{oid}/workspaces` `{"name": ...}` (documented minimal body).
    Recorded (go-api-libs, Dec 2024): 403 "User does not have access to this resource" in a
    FREE organization whose `is_multi_workspace_enabled` was false; we read that as "free
    organizations cannot add workspaces" (a choice) and create the workspace, in the
    organization's plan and with a new workspace's default settings, otherwise. Names are
    unique in the organization, case-insensitively (our choice)."""
    if organization_id != ORGANIZATION_ID or store.config.tier == "free" \
            or not store.config.admin:
        raise ApiError(403, "User does not have access to this resource")  # recorded text
    body = rules.require_object(body)
    name = rules.require_name(body, "Workspace")
    refuse_taken_workspace_name(store, name)
    return get_workspace(store, store.ensure_workspace(name))
