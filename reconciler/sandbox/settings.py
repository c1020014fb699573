"""Workspace settings: the keys of `GET /workspaces/{wid}` that `PUT /workspaces/{wid}`
changes (documented body: workspace.Payload in swagger-facts.json).

PUT is a partial update: only the keys sent change (documented "optional" for each key; a
full-replace reading would reset every unsent setting, which no client expects). Unknown keys
and the documented keys the sandbox does not model (`admins`, `initial_pricing_plan`,
`rate_change_mode`) are ignored, as Toggl's JSON decoding ignores unknown fields (a choice).
Defaults are those of the recorded workspace (toggl_rb get_workspace_success, Apr 2024).
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import TYPE_CHECKING, Any, Callable, Mapping

from reconciler.sandbox import access, rules
from reconciler.sandbox.errors import bad_request, paid_plan_required

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

# Recorded defaults of a workspace (projects_private_by_default lives in its own column).
DEFAULT_SETTINGS: Mapping[str, Any] = {
    "default_hourly_rate": None,
    "default_currency": "USD",
    "only_admins_may_create_projects": False,
    "only_admins_may_create_tags": False,
    "only_admins_see_billable_rates": False,
    "only_admins_see_team_dashboard": False,
    "projects_billable_by_default": True,
    "projects_private_by_default": True,
    "projects_enforce_billable": False,
    "limit_public_project_data": False,
    "reports_collapse": True,
    "rounding": 1,
    "rounding_minutes": 0,
}
ROUNDING_VALUES = (-1, 0, 1)  # documented in Toggl's help: down, nearest, up
# Toggl's rounding choices (help centre: 1, 5, 6, 10, 12, 15, 30, 60, 240 minutes; 0 = off,
# the recorded default). No API source lists them: the spec schema keeps the same list.
ROUNDING_MINUTES_VALUES = (0, 1, 5, 6, 10, 12, 15, 30, 60, 240)
MAX_HOURLY_RATE = 10_000_000  # the spec's limit for rates (rules.ValueLimits)
# Paid keys (model.PAID_WORKSPACE_KEYS) and the name used in their 402 text.
PAID_SETTINGS: Mapping[str, str] = {
    "default_hourly_rate": "Default hourly rate",
    "rounding": "Rounding",
    "rounding_minutes": "Rounding",
    "projects_billable_by_default": "Billable projects",
    "projects_enforce_billable": "Billable projects",
}
_BOOL_SETTINGS = tuple(key for key, value in DEFAULT_SETTINGS.items() if isinstance(value, bool))


def _bool(key: str) -> Callable[[Any], Any]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise bad_request(f"{key} must be a boolean")  # our wording
        return value

    return check


def _rounding(value: Any) -> int:
    if isinstance(value, bool) or value not in ROUNDING_VALUES:
        raise bad_request("rounding must be -1, 0 or 1")  # our wording
    return int(value)


def _rounding_minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in ROUNDING_MINUTES_VALUES:
        allowed = ", ".join(str(v) for v in ROUNDING_MINUTES_VALUES)
        raise bad_request(f"rounding_minutes must be one of {allowed}")  # our wording
    return value


def _hourly_rate(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= MAX_HOURLY_RATE:
        raise bad_request(
            f"default_hourly_rate must be a number from 0 to {MAX_HOURLY_RATE:,}")  # our wording
    return float(value)


def _currency(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise bad_request("default_currency must be a currency code")  # our wording
    checked = rules.optional_text({"currency": value}, "currency")
    assert checked is not None
    return checked


_VALIDATORS: Mapping[str, Callable[[Any], Any]] = {
    **{key: _bool(key) for key in _BOOL_SETTINGS},
    "rounding": _rounding,
    "rounding_minutes": _rounding_minutes,
    "default_hourly_rate": _hourly_rate,
    "default_currency": _currency,
}
SETTING_KEYS: tuple[str, ...] = tuple(_VALIDATORS)


def settings_of(row: sqlite3.Row) -> dict[str, Any]:
    """The workspace's settings: defaults, overlaid with what PUT stored."""
    stored = json.loads(row["settings"]) if row["settings"] else {}
    merged = {**DEFAULT_SETTINGS, **stored}
    merged["projects_private_by_default"] = bool(row["projects_private_by_default"])
    return merged


def require_admin_when(store: Store, wid: int, setting: str) -> None:
    """403 for a non-admin when the workspace setting (`only_admins_may_create_projects`,
    `only_admins_may_create_tags`) keeps the action to admins (documented meaning)."""
    if not store.config.admin and settings_of(store.workspace_row(wid))[setting]:
        access.require_admin(store)


def update_settings(store: Store, wid: int, body: Any) -> None:
    """Validates every key sent (400), then the plan (402), then stores them together."""
    body = rules.require_object(body)
    access.require_admin(store)
    row = store.workspace_row(wid)
    current = settings_of(row)
    changes = {key: _VALIDATORS[key](body[key]) for key in SETTING_KEYS if key in body}
    _check_plan(store, wid, current, changes)
    name = _new_name(store, wid, body)
    stored = json.loads(row["settings"]) if row["settings"] else {}
    stored.update({k: v for k, v in changes.items() if k != "projects_private_by_default"})
    private = changes.get("projects_private_by_default", current["projects_private_by_default"])
    store.db.execute(
        "UPDATE workspaces SET settings = ?, projects_private_by_default = ?, name = ?, "
        "at_ts = ? WHERE id = ?",
        (json.dumps(stored), int(private), name if name is not None else row["name"],
         store.now(), wid),
    )


def _check_plan(store: Store, wid: int, current: Mapping[str, Any],
                changes: Mapping[str, Any]) -> None:
    """On a free workspace a paid key may be sent only with its current value (so that a
    client may send whole bodies), as the project fields allow their harmless values."""
    if not access.is_free(store, wid):
        return
    paid = dict(PAID_SETTINGS)
    if store.config.free_default_currency_refused:
        paid["default_currency"] = "Default currency"
    for key, feature in paid.items():
        if key in changes and changes[key] != current[key]:
            raise paid_plan_required(access.SETTING_PAID.format(setting=feature))


def _new_name(store: Store, wid: int, body: Mapping[str, Any]) -> str | None:
    if "name" not in body:
        return None
    name = rules.require_name(body, "Workspace")
    refuse_taken_workspace_name(store, name, wid)
    return name


WORKSPACE_NAME_TAKEN = "Workspace with this name already exists"  # our wording


def refuse_taken_workspace_name(store: Store, name: str, own_id: int | None = None) -> None:
    """Workspace names are unique in the organization, case-insensitively (our choice)."""
    key = rules.name_key(name)
    for row in store.workspace_rows():
        if row["id"] != own_id and rules.name_key(row["name"]) == key:
            raise bad_request(WORKSPACE_NAME_TAKEN)
