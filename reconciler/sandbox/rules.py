"""Validation shared by the resources: names, colours, paid-plan fields, request values.

Messages are Toggl's where recorded or documented; elsewhere they are our wording (marked).
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping

from reconciler.model import FREE_PALETTE
from reconciler.sandbox.errors import ApiError, bad_request, paid_plan_required

MAX_ID = 2**63 - 1  # Toggl ids are 64-bit; larger numbers would overflow SQLite too
MAX_NAME_LENGTH = 255  # Toggl's limit for client/project/tag names (documented for projects)
CUSTOM_COLOR_MESSAGE = "Custom project colors available only for premium plans"  # recorded
PAID_FEATURE_MESSAGE = "This feature is available only for paid plans"  # our wording
_LOOSE_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_STRICT_COLOR = re.compile(r"^#[0-9a-f]{6}$")


def name_key(name: str) -> str:
    return name.casefold()


def is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("JSON is not valid")  # our wording
    return body


def require_name(body: Mapping[str, Any], what: str) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request(f"{what} name can't be blank")  # our wording
    if len(name) > MAX_NAME_LENGTH:
        raise bad_request(f"{what} name is too long")  # our wording
    return name.strip()


def optional_bool(body: Mapping[str, Any], field: str) -> bool | None:
    value = body.get(field)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"{field} must be a boolean")  # our wording
    return value


def optional_int(body: Mapping[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_ID
    ):
        raise bad_request(f"{field} must be an integer")  # our wording
    return value


def optional_number(body: Mapping[str, Any], field: str) -> float | None:
    value = body.get(field)
    if value is None:
        return None
    if (
        isinstance(value, bool) or not isinstance(value, (int, float))
        or not math.isfinite(value) or not 0 <= value <= 1e12
    ):
        raise bad_request(f"{field} must be a non-negative number")  # our wording
    return float(value)


def optional_text(body: Mapping[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{field} must be a string")  # our wording
    return value


def check_color(color: Any, tier: str) -> str:
    """A project colour: 400 when malformed; 402 off the free palette on the free plan.

    Order matters and is recorded: `#FFFFFF` on a free workspace answered 402, not 400, so the
    palette is checked before the lower-case rule.
    """
    if not isinstance(color, str) or not _LOOSE_COLOR.match(color):
        raise bad_request("Invalid project color")  # our wording
    if tier == "free" and color not in FREE_PALETTE:
        raise paid_plan_required(CUSTOM_COLOR_MESSAGE)
    if not _STRICT_COLOR.match(color):
        raise bad_request("Invalid project color")
    return color


# Project fields that need a paid plan, and the value that is still fine on the free plan.
PAID_PROJECT_DEFAULTS: Mapping[str, Any] = {
    "billable": False,
    "rate": None,
    "estimated_hours": None,
    "currency": None,
    "auto_estimates": False,
    "template": False,
    "fixed_fee": None,
}


def check_paid_project_fields(body: Mapping[str, Any], tier: str) -> None:
    """402 for paid project features on the free plan (a choice: Toggl's answer is unknown)."""
    if tier != "free":
        return
    for field, harmless in PAID_PROJECT_DEFAULTS.items():
        if field in body and body[field] not in (None, harmless):
            raise paid_plan_required(PAID_FEATURE_MESSAGE)


def parse_id_list(text: str, limit: int = 100) -> list[int]:
    """`1,2,3` from a bulk path; at most `limit` ids (Toggl's bulk limit)."""
    ids = [int(part) for part in text.split(",") if part]
    if any(not is_id(item) for item in ids):
        raise ApiError(404, "Resource not found")  # our wording: no such object can exist
    if not ids:
        raise bad_request("No ids given")  # our wording
    if len(ids) > limit:
        raise bad_request(f"Too many ids: at most {limit} per request")  # our wording
    return ids


def require_id_array(body: Any) -> list[int]:
    if not isinstance(body, list) or not all(is_id(item) for item in body):
        raise bad_request("Expected a JSON array of ids")  # our wording
    return body


def require_patch_ops(body: Any) -> list[dict[str, Any]]:
    """A JSON-Patch list: objects with `op` and `path` (and `value` unless removing)."""
    if not isinstance(body, list) or not body:
        raise bad_request("Expected a JSON-Patch array")  # our wording
    for operation in body:
        if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
            raise bad_request("Invalid JSON-Patch operation")
        if operation.get("op") not in ("replace", "add", "remove"):
            raise bad_request(f"Unsupported operation: {operation.get('op')!r}")
    return body


def require_found(row: Any, message: str) -> Any:
    if row is None:
        raise ApiError(404, message)
    return row


def bulk_outcome(ids: list[int], patch_one: Callable[[int], str | None]) -> dict[str, Any]:
    """Toggl's bulk answer: each id succeeds, or fails with the message `patch_one` returned."""
    success: list[int] = []
    failure: list[dict[str, Any]] = []
    for object_id in ids:
        message = patch_one(object_id)
        if message is None:
            success.append(object_id)
        else:
            failure.append({"id": object_id, "message": message})
    return {"success": success, "failure": failure}
