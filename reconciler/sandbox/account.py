"""The user, the organization and the workspaces: /me, /me/workspaces, /workspaces/{wid},
/workspaces/{wid}/users, /me/organizations, /organizations/{id}."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Mapping

from reconciler.sandbox import clients, projects, tags, time_entries
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.identity import (
    MASKED_TOKEN, ORGANIZATION_ID, ORGANIZATION_NAME, USER_EMAIL, USER_FULLNAME, USER_ID,
    USER_TIMEZONE,
)
from reconciler.sandbox.timefmt import micro_z_style, seconds_style

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

PLAN_NAMES: Mapping[str, str] = {"free": "Free", "starter": "Starter", "premium": "Premium"}


def workspace_json(row: sqlite3.Row) -> dict[str, Any]:
    """Key set of the newest recording (Dec 2024). `premium` means Starter and `business_ws`
    means Premium (documented)."""
    tier = row["tier"]
    return {
        "id": row["id"], "organization_id": ORGANIZATION_ID, "name": row["name"],
        "premium": tier in ("starter", "premium"), "business_ws": tier == "premium",
        "admin": True, "role": "admin", "suspended_at": None, "server_deleted_at": None,
        "default_hourly_rate": None, "rate_last_updated": None, "default_currency": "USD",
        "only_admins_may_create_projects": False, "only_admins_may_create_tags": False,
        "only_admins_see_billable_rates": False, "only_admins_see_team_dashboard": False,
        "projects_billable_by_default": True,
        "projects_private_by_default": bool(row["projects_private_by_default"]),
        "projects_enforce_billable": False, "limit_public_project_data": False,
        "last_modified": None, "reports_collapse": True, "rounding": 1, "rounding_minutes": 0,
        "api_token": MASKED_TOKEN, "at": seconds_style(row["at_ts"]),
        "logo_url": "https://assets.track.toggl.com/images/workspace.jpg",
        "ical_url": f"/ical/workspace_user/{row['id']:032d}", "ical_enabled": True,
        "csv_upload": None, "subscription": None, "hide_start_end_times": False,
        "working_hours_in_minutes": None,
    }


def user_json(store: Store) -> dict[str, Any]:
    created = store.created_ts()
    return {
        "id": USER_ID, "api_token": MASKED_TOKEN, "email": USER_EMAIL,
        "fullname": USER_FULLNAME, "timezone": USER_TIMEZONE,
        "toggl_accounts_id": "SandboxAccount00000000",
        "default_workspace_id": store.default_workspace_id(), "beginning_of_week": 1,
        "image_url": "https://assets.track.toggl.com/images/profile.png",
        "created_at": micro_z_style(created), "updated_at": micro_z_style(created),
        "openid_email": None, "openid_enabled": False, "country_id": None,
        "has_password": True, "at": micro_z_style(created), "intercom_hash": "0" * 64,
        "oauth_providers": [], "authorization_updated_at": micro_z_style(created),
    }


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
        "workspaces": my_workspaces(store),
    }


def my_workspaces(store: Store) -> list[dict[str, Any]]:
    return [workspace_json(row) for row in store.workspace_rows()]


def get_workspace(store: Store, wid: int) -> dict[str, Any]:
    return workspace_json(store.workspace_row(wid))


def workspace_users(store: Store, wid: int) -> list[dict[str, Any]]:
    store.workspace_row(wid)
    return [{
        "id": USER_ID, "email": USER_EMAIL, "fullname": USER_FULLNAME,
        "timezone": USER_TIMEZONE, "admin": True, "role": "admin", "inactive": False,
        "is_active": True, "at": micro_z_style(store.created_ts()),
    }]


def organization_json(store: Store) -> dict[str, Any]:
    created = micro_z_style(store.created_ts())
    return {
        "id": ORGANIZATION_ID, "name": ORGANIZATION_NAME, "pricing_plan_id": 0,
        "created_at": created, "at": created, "server_deleted_at": None,
        "is_multi_workspace_enabled": True, "suspended_at": None, "user_count": 1,
        "trial_info": {
            "trial": False, "trial_available": False, "trial_end_date": None,
            "next_payment_date": None, "last_pricing_plan_id": None, "can_have_trial": False,
            "trial_plan_id": None,
        },
        "is_unified": False, "max_workspaces": 20, "permissions": None, "admin": True,
        "owner": True, "pricing_plan_name": PLAN_NAMES[store.config.tier],
        "pricing_plan_enterprise": False,
    }


def my_organizations(store: Store) -> list[dict[str, Any]]:
    return [organization_json(store)]


def get_organization(store: Store, organization_id: int) -> dict[str, Any]:
    if organization_id != ORGANIZATION_ID:
        raise ApiError(403, "User does not have access to this resource")  # recorded text
    return organization_json(store)
