"""The plan: an ordered list of small Change records, and its JSON form.

The JSON form (`Plan.to_json`) is the one contract: the text and Markdown renderers read it,
`plan --out` saves it, and `apply --plan` loads it back with `Plan.from_json`, which refuses a
file whose checksum no longer matches (corrupt or edited) or whose format it does not know.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping

from reconciler import __version__
from reconciler.errors import PlanFileError
from reconciler.model import Kind, QuotaStatus

FORMAT_VERSION = 1


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


@dataclass(frozen=True)
class Change:
    action: Action
    kind: Kind
    address: str  # `Client/Project`, or a client or tag name: unique within its kind
    name: str  # the object's name after the change (for removals, its live name)
    client: str | None = None  # projects: the client name after the change
    live_id: int | None = None  # None only for creates
    live_at: str | None = None  # the live object's `at`: its fingerprint for `apply --plan`
    fields: tuple[FieldChange, ...] = ()
    blast: BlastRadius | None = None
    # Action details, all JSON values:
    #   project delete: {"te_deletion_mode": "unassign" | "delete"}
    #   client restore: {"restore_project_ids": [ids]} (its projects to restore with it)
    options: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""  # for display only

    def after(self, field_name: str, default: Any = None) -> Any:
        for change in self.fields:
            if change.field == field_name:
                return change.after
        return default

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "address": self.address,
            "name": self.name,
            "client": self.client,
            "live_id": self.live_id,
            "live_at": self.live_at,
            "fields": [
                {"field": f.field, "before": f.before, "after": f.after} for f in self.fields
            ],
            "blast": None
            if self.blast is None
            else {"tracked_seconds": self.blast.tracked_seconds, "projects": self.blast.projects},
            "options": dict(self.options),
            "reason": self.reason,
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
            live_id=data.get("live_id"),
            live_at=data.get("live_at"),
            fields=tuple(
                FieldChange(f["field"], f.get("before"), f.get("after")) for f in data["fields"]
            ),
            blast=None
            if blast is None
            else BlastRadius(int(blast["tracked_seconds"]), int(blast["projects"])),
            options=dict(data.get("options") or {}),
            reason=data.get("reason", ""),
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

    def to_json(self) -> dict[str, Any]:
        return {
            "reads": self.reads,
            "writes": self.writes,
            "per_object_reads": self.per_object_reads,
            "per_object_writes": self.per_object_writes,
            "quota": {"remaining": self.quota.remaining, "resets_in": self.quota.resets_in},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Bill:
        quota = data.get("quota") or {}
        return cls(
            reads=int(data.get("reads", 0)),
            writes=int(data.get("writes", 0)),
            per_object_reads=int(data.get("per_object_reads", 0)),
            per_object_writes=int(data.get("per_object_writes", 0)),
            quota=QuotaStatus(quota.get("remaining"), quota.get("resets_in")),
        )


@dataclass(frozen=True)
class Plan:
    workspace_id: int
    workspace_name: str | None = None
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[UnmanagedObject, ...] = ()
    warnings: tuple[str, ...] = ()
    bill: Bill = field(default_factory=Bill)
    spec_hash: str = ""

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
            "summary": self.summary(),
            "bill": self.bill.to_json(),
            "changes": [change.to_json() for change in self.changes],
            "unmanaged": [obj.to_json() for obj in self.unmanaged],
            "warnings": list(self.warnings),
        }
        body["checksum"] = _checksum(body)
        return body

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """Load a saved plan; refuses unknown formats and files whose checksum does not match."""
        if not isinstance(data, dict):
            raise PlanFileError("the plan file does not hold a JSON object")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise PlanFileError(
                f"plan format_version {version!r} is not supported (expected {FORMAT_VERSION})"
            )
        if data.get("checksum") != _checksum(data):
            raise PlanFileError(
                "the plan file's checksum does not match its content: it was edited or is "
                "corrupt; run `plan --out` again"
            )
        try:
            return cls(
                workspace_id=int(data["workspace"]["id"]),
                workspace_name=data["workspace"].get("name"),
                changes=tuple(Change.from_json(c) for c in data["changes"]),
                unmanaged=tuple(UnmanagedObject.from_json(u) for u in data.get("unmanaged", [])),
                warnings=tuple(data.get("warnings", [])),
                bill=Bill.from_json(data.get("bill") or {}),
                spec_hash=data.get("spec_hash", ""),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise PlanFileError(f"the plan file is malformed: {error!r}") from None


def _checksum(body: Mapping[str, Any]) -> str:
    content = {key: value for key, value in body.items() if key != "checksum"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
