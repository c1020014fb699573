"""The plan: an ordered list of small Change records, and its JSON form.

The JSON form (`Plan.to_json`) is the one contract: the text and Markdown renderers read it,
`plan --out` saves it signed (`sign_plan_file`), and `apply --plan` checks the signature
(`verify_plan_file`) before loading it back with `Plan.from_json`, which refuses a format it does
not know.

The signature is an HMAC-SHA256 keyed by a secret derived from the Toggl credential (see
`reconciler.cli.plan_apply.plan_signing_key`): whoever can apply a plan holds the credential and
can check it, while whoever only touches the plan artifact (a fork's pull request gets no
secrets) cannot forge one. An unkeyed checksum (format 1) proved nothing: anyone editing the file
could recompute it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Mapping, Sequence

from reconciler import __version__
from reconciler.errors import PlanFileError
from reconciler.model import Kind, LiveState, QuotaStatus

# 2: HMAC signature instead of an unkeyed checksum, the API target, and per-change fingerprints
# of what a change depends on (what a removal takes along, the client a create needs).
FORMAT_VERSION = 2
SIGNATURE_PREFIX = "hmac-sha256:"


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    RENAME = "rename"
    ARCHIVE = "archive"
    RESTORE = "restore"
    DELETE = "delete"

    @property
    def is_removal(self) -> bool:
        return self in (Action.ARCHIVE, Action.DELETE)


# Project fields that move money: what a project bills, at what rate, against which budget.
# `fixed_fee` is Toggl's (paid-plan) fixed-fee field, listed so that a spec field for it is
# gated from the day it exists. A project's `client` is who is billed: a move moves money.
BILLING_FIELDS: frozenset[str] = frozenset(
    {"billable", "rate", "currency", "fixed_fee", "estimated_hours", "auto_estimates", "client"}
)
BILLING_POLICIES: tuple[str, ...] = ("allow", "require-flag")
# The workspace kinds' fields that move money: a member's rate, the workspace's defaults for
# what new projects bill (a create of a member with a rate sets what it bills, so it counts).
_BILLING_FIELDS_OF: Mapping[str, frozenset[str]] = {
    "member": frozenset({"rate"}),
    "settings": frozenset({"default_hourly_rate", "default_currency",
                           "projects_billable_by_default", "projects_enforce_billable"}),
}


@dataclass(frozen=True)
class FieldChange:
    """One field's before and after, in spec terms (a project's `client` is a client name)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class BlastRadius:
    """What a removal touches: tracked time, and for a client the projects it takes along."""

    tracked_seconds: int = 0
    projects: int = 0
    people: int = 0  # members and groups: how many people lose (or change) project access


@dataclass(frozen=True)
class Change:
    action: Action
    kind: Kind
    address: str  # `Client/Project`, or a client or tag name: unique within its kind
    name: str  # the object's name after the change (for removals, its live name)
    client: str | None = None  # projects: the client name after the change
    # Tasks and members: the address of the project they belong to (`Client/Project`).
    parent: str | None = None
    live_id: int | None = None  # None only for creates (and settings of a created workspace)
    live_at: str | None = None  # the live object's `at`: its fingerprint for `apply --plan`
    fields: tuple[FieldChange, ...] = ()
    blast: BlastRadius | None = None
    # Action details, all JSON values:
    #   project delete: {"te_deletion_mode": "unassign" | "delete"}
    #   client restore: {"restore_project_ids": [ids]} (its projects to restore with it)
    #   workspace create: {"organization_id": id}
    #   group delete: {"group_removal": "delete" | "detach"}; group create/update/rename:
    #     {"user_ids": [...]} (every user after the change) and, update/rename,
    #     {"workspace_ids": [...]} (every workspace it is attached to after the change)
    #   member: {"member": "user" | "group"}, create also {"user_id": id} / {"group_id": id
    #     | None (a group this plan creates)}
    #   task create/update with an assignee: {"user_id": id | None}
    options: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""  # for display only
    # What the change depends on beyond its own object, as the plan saw it; `apply --plan`
    # refuses the plan when any of it differs (see reconciler.engine.fingerprint):
    #   client removal: {"projects": [[id, active], ...]} (what the archive/delete takes along)
    #   project removal: {"tracked_seconds": n}
    #   project create/move: {"client_id": id} (the live client it goes under, None: created here)
    #   task delete: {"tracked_seconds": n}
    #   group delete: {"user_ids": [...], "workspace_ids": [...]}
    #   member/task create: {"project_id": id | None} (None: the plan creates the project)
    #   workspace create: {"workspace_missing": true}
    fingerprint: Mapping[str, Any] = field(default_factory=dict)

    def after(self, field_name: str, default: Any = None) -> Any:
        for change in self.fields:
            if change.field == field_name:
                return change.after
        return default

    @property
    def billing(self) -> bool:
        """Whether the change moves money: a billing field changed (a create that sets one to
        a value that bills counts: it decides what the new project bills), a project moved to
        another client, or tracked time destroyed."""
        if self.kind in _BILLING_FIELDS_OF:
            wanted = self.billing_fields
            return any(f.field in wanted and f.before != f.after for f in self.fields)
        if self.kind != "project":
            return False
        if self.action is Action.DELETE:
            return self.options.get("te_deletion_mode") == "delete"
        if self.action is Action.CREATE:
            # A create's `client` is where it is made, not a move; `billable: false` or no
            # rate on a new project bills nothing. Anything else decides what it will bill.
            return any(f.field in BILLING_FIELDS and f.field != "client"
                       and f.after not in (None, False, 0) for f in self.fields)
        return any(f.field in BILLING_FIELDS and f.before != f.after for f in self.fields)

    @property
    def billing_fields(self) -> frozenset[str]:
        """The fields of this change's kind that move money (projects: BILLING_FIELDS)."""
        return _BILLING_FIELDS_OF.get(self.kind, BILLING_FIELDS if self.kind == "project"
                                      else frozenset())

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "address": self.address,
            "name": self.name,
            "client": self.client,
            "parent": self.parent,
            "live_id": self.live_id,
            "live_at": self.live_at,
            "fields": [
                {"field": f.field, "before": f.before, "after": f.after} for f in self.fields
            ],
            "blast": None
            if self.blast is None
            else {"tracked_seconds": self.blast.tracked_seconds, "projects": self.blast.projects,
                  "people": self.blast.people},
            "options": dict(self.options),
            "reason": self.reason,
            "fingerprint": dict(self.fingerprint),
            "billing": self.billing,  # derived: readers recompute it, never trust it
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        blast = data.get("blast")
        return cls(
            action=Action(data["action"]),
            kind=data["kind"],
            address=data["address"],
            name=data["name"],
            client=data.get("client"),
            parent=data.get("parent"),
            live_id=data.get("live_id"),
            live_at=data.get("live_at"),
            fields=tuple(
                FieldChange(f["field"], f.get("before"), f.get("after")) for f in data["fields"]
            ),
            blast=None
            if blast is None
            else BlastRadius(int(blast["tracked_seconds"]), int(blast["projects"]),
                             int(blast.get("people", 0))),
            options=dict(data.get("options") or {}),
            reason=data.get("reason", ""),
            fingerprint=dict(data.get("fingerprint") or {}),
        )


@dataclass(frozen=True)
class UnmanagedObject:
    """A live object the spec does not mention, with the spec entry that would adopt it."""

    kind: Kind
    address: str
    live_id: int
    spec_entry: Any  # a JSON value: a tag name, or a dict as the spec would write it

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "address": self.address, "id": self.live_id,
                "spec": self.spec_entry}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UnmanagedObject:
        return cls(data["kind"], data["address"], int(data["id"]), data["spec"])


@dataclass(frozen=True)
class Bill:
    """The request cost of a plan: reads already made, writes the apply will make."""

    reads: int = 0
    writes: int = 0
    per_object_reads: int = 0  # what a tool reading each object separately would spend
    per_object_writes: int = 0  # one write per changed object, no bulk calls
    quota: QuotaStatus = field(default_factory=QuotaStatus)
    # Per kind ("client", "task", ...): the reads made for it and the writes its changes
    # take. Empty when not known; written to JSON only when set (older plans have none).
    reads_by_kind: Mapping[str, int] = field(default_factory=dict)
    writes_by_kind: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "reads": self.reads,
            "writes": self.writes,
            "per_object_reads": self.per_object_reads,
            "per_object_writes": self.per_object_writes,
            "quota": {"remaining": self.quota.remaining, "resets_in": self.quota.resets_in},
        }
        if self.reads_by_kind:
            body["reads_by_kind"] = dict(self.reads_by_kind)
        if self.writes_by_kind:
            body["writes_by_kind"] = dict(self.writes_by_kind)
        return body

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Bill:
        quota = data.get("quota") or {}
        return cls(
            reads=int(data.get("reads", 0)),
            writes=int(data.get("writes", 0)),
            per_object_reads=int(data.get("per_object_reads", 0)),
            per_object_writes=int(data.get("per_object_writes", 0)),
            quota=QuotaStatus(quota.get("remaining"), quota.get("resets_in")),
            reads_by_kind=_counts(data.get("reads_by_kind")),
            writes_by_kind=_counts(data.get("writes_by_kind")),
        )


def _counts(data: Any) -> dict[str, int]:
    return {str(kind): int(count) for kind, count in data.items()} if isinstance(data, dict) else {}


def reads_by_kind(live: LiveState) -> dict[str, int]:
    """The live read's requests per listing (`LiveState.read_counts`; empty if not counted)."""
    return {str(kind): int(count) for kind, count in live.read_counts.items()}


def writes_by_kind(changes: Sequence[Change],
                   count_writes: Callable[[Sequence[Change]], int]) -> dict[str, int]:
    """Writes per kind, each kind's changes priced alone by `count_writes` (the batcher's):
    bulk calls never mix kinds, so the parts add up to the plan's writes."""
    by_kind: dict[str, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    return {kind: count_writes(items) for kind, items in by_kind.items()}


@dataclass(frozen=True)
class Plan:
    workspace_id: int
    workspace_name: str | None = None
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[UnmanagedObject, ...] = ()
    warnings: tuple[str, ...] = ()
    bill: Bill = field(default_factory=Bill)
    spec_hash: str = ""
    # Where the plan was made: {"transport": "direct" | "maton" | "sandbox", "api_root": ...,
    # plus "maton_connection" or the embedded sandbox's "database" identity}; apply refuses
    # to carry it out anywhere else.
    target: Mapping[str, Any] = field(default_factory=dict)
    # `--target`/`--exclude` (reconciler.engine.targeting): the selectors, how many changes
    # were left out, and what was pulled in or dropped and why. Empty: the whole plan.
    targeting: Mapping[str, Any] = field(default_factory=dict)
    billing_policy: str = "allow"  # the spec's safety.billing_changes when the plan was made

    @property
    def billing_changes(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.billing)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def summary(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        counts["total"] = len(self.changes)
        return counts

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "tool": {"name": "toggl-reconciler", "version": __version__},
            "workspace": {"id": self.workspace_id, "name": self.workspace_name},
            "spec_hash": self.spec_hash,
            "target": dict(self.target),
            "summary": self.summary(),
            "bill": self.bill.to_json(),
            "changes": [change.to_json() for change in self.changes],
            "unmanaged": [obj.to_json() for obj in self.unmanaged],
            "warnings": list(self.warnings),
            "billing": {"changes": len(self.billing_changes), "policy": self.billing_policy},
        }
        if self.targeting:
            body["targeting"] = dict(self.targeting)
        return body

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """A plan from its JSON form; refuses unknown formats (the signature is checked apart)."""
        if not isinstance(data, dict):
            raise PlanFileError("the plan file does not hold a JSON object")
        check_format_version(data.get("format_version"))
        try:
            return cls(
                workspace_id=int(data["workspace"]["id"]),
                workspace_name=data["workspace"].get("name"),
                changes=tuple(Change.from_json(c) for c in data["changes"]),
                unmanaged=tuple(UnmanagedObject.from_json(u) for u in data.get("unmanaged", [])),
                warnings=tuple(data.get("warnings", [])),
                bill=Bill.from_json(data.get("bill") or {}),
                spec_hash=data.get("spec_hash", ""),
                target=dict(data.get("target") or {}),
                targeting=dict(data.get("targeting") or {}),
                billing_policy=_billing_policy(data.get("billing")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise PlanFileError(f"the plan file is malformed: {error!r}") from None


def _billing_policy(billing: Any) -> str:
    # Plans made before the billing gate carry no policy: they were made under `allow`.
    policy = billing.get("policy", "allow") if isinstance(billing, dict) else "allow"
    if policy not in BILLING_POLICIES:
        raise ValueError(f"unknown billing policy {policy!r}")
    return str(policy)


def check_format_version(version: Any) -> None:
    if version == FORMAT_VERSION:
        return
    if version == 1:
        raise PlanFileError(
            "this plan file has format_version 1 (an unsigned plan from an older "
            "toggl-reconciler), which is no longer applied because anyone could edit it and "
            "recompute its checksum; run `plan --out` again with this version"
        )
    raise PlanFileError(f"plan format_version {version!r} is not supported (expected {FORMAT_VERSION})")


# ---------------------------------------------------------------------------- the saved file


def plan_file_document(documents: list[dict[str, Any]], key: bytes) -> dict[str, Any]:
    """What `plan --out` writes: one plan, or a bundle of several, signed as a whole."""
    content: dict[str, Any] = (dict(documents[0]) if len(documents) == 1
                               else {"format_version": FORMAT_VERSION, "plans": documents})
    content.pop("signature", None)
    content["signature"] = _signature(content, key)
    return content


def verify_plan_file(document: Any, key: bytes) -> list[dict[str, Any]]:
    """The plan documents of a saved file, after checking its format and signature."""
    if not isinstance(document, dict):
        raise PlanFileError("the plan file does not hold a JSON object")
    check_format_version(document.get("format_version"))
    signature = document.get("signature")
    if not isinstance(signature, str) or not hmac.compare_digest(signature, _signature(document, key)):
        raise PlanFileError(
            "the plan file's signature does not match: it was edited after `plan --out` made it, "
            "or it was made with another Toggl credential (or another sandbox database). "
            "Nothing was applied; run `plan --out` again"
        )
    plans = document.get("plans", [document]) if "plans" in document else [document]
    if not isinstance(plans, list) or not plans or not all(isinstance(p, dict) for p in plans):
        raise PlanFileError("the plan file holds no plan")
    return plans


def _signature(document: Mapping[str, Any], key: bytes) -> str:
    content = {name: value for name, value in document.items() if name != "signature"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return SIGNATURE_PREFIX + hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()
