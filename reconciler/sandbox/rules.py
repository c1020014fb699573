"""Validation shared by the resources: names, colours, paid-plan fields, request values.

Messages are Toggl's where recorded or documented; elsewhere they are our wording (marked).
"""

from __future__ import annotations

import contextlib
import math
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from reconciler.model import FREE_PALETTE
from reconciler.sandbox.errors import ApiError, bad_request, paid_plan_required

MAX_ID = 2**63 - 1  # Toggl ids are 64-bit; larger numbers would overflow SQLite too
MAX_NAME_LENGTH = 255  # Toggl's limit for client/project/tag names, in UTF-8 bytes (below)

# ---- value limits: THE SAME as the spec's (schemas/workspace.schema.json, and the byte
# limits in reconciler/spec/names.py). The sandbox never imports the core, so they are
# repeated here; tests/e2e/test_spec_limits_e2e.py holds the two copies equal.
# No source states most of Toggl's limits; these are the tool's conservative choices:
# - names: 255 bytes of UTF-8 (Toggl's own mobile app: MaxClient/Project/TagNameLengthInBytes);
# - client notes: 3000 bytes (the only free-text limit Toggl's app states, for descriptions);
# - rate 0..10,000,000 and fixed_fee 0..1,000,000,000 (per hour / per project, any currency);
# - estimated_hours 0..500,000 (its seconds stay within a 32-bit integer);
# - currency: ISO 4217 codes, without metals, bond units, XTS and XXX.
ISO_4217_CODES: frozenset[str] = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR
ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL
THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF
XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split())


@dataclass(frozen=True)
class ValueLimits:
    """What the sandbox refuses with 400; SandboxConfig.value_limits picks them per sandbox."""

    name_bytes: int = MAX_NAME_LENGTH
    notes_bytes: int = 3000
    number_maximums: tuple[tuple[str, float], ...] = (
        ("rate", 10_000_000), ("fixed_fee", 1_000_000_000), ("estimated_hours", 500_000),
        ("labor_cost", 10_000_000),
    )
    currencies: frozenset[str] | None = ISO_4217_CODES  # None: any text is taken

    def maximum(self, field: str) -> float:
        return dict(self.number_maximums).get(field, 1e12)

    def __repr__(self) -> str:  # SandboxConfig's repr goes to logs: not 170 currency codes
        currencies = "any" if self.currencies is None else f"{len(self.currencies)} codes"
        return (f"ValueLimits(name_bytes={self.name_bytes}, notes_bytes={self.notes_bytes}, "
                f"number_maximums={self.number_maximums!r}, currencies={currencies})")


DEFAULT_LIMITS = ValueLimits()
# The limits of the request being served: set per request by the dispatcher (`enforcing`);
# setup helpers called directly (tests) get the defaults.
_LIMITS: ContextVar[ValueLimits] = ContextVar("sandbox_value_limits", default=DEFAULT_LIMITS)


@contextlib.contextmanager
def enforcing(limits: ValueLimits) -> Iterator[None]:
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)

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
    limit = _LIMITS.get().name_bytes
    if len(name) > limit // 4 and len(name.encode("utf-8", "surrogatepass")) > limit:
        # Documented for clients ("Client name maximum length is {max_client_length}"); the
        # same wording for projects and tags is ours.
        raise bad_request(f"{what} name maximum length is {limit}")
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
        or not math.isfinite(value) or not value >= 0
    ):
        raise bad_request(f"{field} must be a non-negative number")  # our wording
    maximum = _LIMITS.get().maximum(field)
    if value > maximum:
        raise bad_request(f"{field} must be at most {maximum:,.0f}")  # our wording
    return float(value)


def optional_text(body: Mapping[str, Any], field: str) -> str | None:
    """A text field; `notes` and `currency` are held to the value limits (ValueLimits)."""
    value = body.get(field)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{field} must be a string")  # our wording
    limits = _LIMITS.get()
    if field == "notes" and value and len(value.encode("utf-8", "surrogatepass")) > limits.notes_bytes:
        raise bad_request(f"Client notes maximum length is {limits.notes_bytes}")  # our wording
    if field == "currency" and value is not None and limits.currencies is not None \
            and value not in limits.currencies:
        raise bad_request(f"Unknown currency {value!r}")  # our wording
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
