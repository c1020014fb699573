"""Which changes of a fresh plan were shown in a reviewed plan (pure).

After two pull requests merge back to back, the plan saved for the second one was made before the
first was applied, so it can no longer be applied exactly (`apply --plan` refuses it as stale).
Re-planning the merged spec gives the right changes; this module decides whether a reviewer has
already seen every one of them, comparing changes by what they do (kind, address, action, the
target's id, each field's before and after, options, blast radius), never by file bytes, so the
saved-plan format can grow (signatures, API root) without changing the verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from reconciler.engine.plan import Change, Plan

_RESTORE_IDS = "restore_project_ids"


@dataclass(frozen=True)
class Unreviewed:
    """A change of the new plan that no reviewed plan showed, and what differed."""

    workspace_id: int
    change: Change
    why: str


def unreviewed_changes(plan: Plan, reviewed: Sequence[Plan]) -> list[Unreviewed]:
    """The changes of `plan` that no plan in `reviewed` (same workspace) showed as they are now."""
    same_workspace = [r for r in reviewed if r.workspace_id == plan.workspace_id]
    seen = [change for r in same_workspace for change in r.changes]
    problems = []
    for change in plan.changes:
        why = _why_unreviewed(change, seen)
        if why is not None:
            problems.append(Unreviewed(plan.workspace_id, change, why))
    return problems


def _why_unreviewed(change: Change, seen: Sequence[Change]) -> str | None:
    candidates = [r for r in seen if _same_target(change, r)]
    if not candidates:
        return "no reviewed plan showed it"
    matching = [r for r in candidates if _same_intent(change, r)]
    if not matching:
        return "a reviewed plan showed it with other options or another target"
    if not any(_blast_within(change, r) for r in matching):
        return "it now takes along more than the reviewed plan showed"
    reviewed_fields = {_field_key(f) for r in matching for f in r.fields}
    new_fields = [f for f in change.fields if _field_key(f) not in reviewed_fields]
    if new_fields:
        return "the reviewed plan showed other values for " + ", ".join(
            sorted({f.field for f in new_fields}))
    return None


def _same_target(change: Change, reviewed: Change) -> bool:
    return (change.kind, change.address, change.action) == \
        (reviewed.kind, reviewed.address, reviewed.action)


def _same_intent(change: Change, reviewed: Change) -> bool:
    if change.live_id is not None and reviewed.live_id is not None and \
            change.live_id != reviewed.live_id:
        return False  # same name, another object (deleted and recreated since the review)
    if (change.name, change.client) != (reviewed.name, reviewed.client):
        return False
    return _options_within(change.options, reviewed.options)


def _options_within(options: Any, reviewed: Any) -> bool:
    """Options equal, except that restoring fewer of a client's projects than reviewed is fine."""
    keys = set(options) | set(reviewed)
    for key in keys:
        if key == _RESTORE_IDS:
            if not set(options.get(key) or ()) <= set(reviewed.get(key) or ()):
                return False
        elif options.get(key) != reviewed.get(key):
            return False
    return True


def _blast_within(change: Change, reviewed: Change) -> bool:
    if change.blast is None:
        return True
    if reviewed.blast is None:
        return False
    if change.blast.projects > reviewed.blast.projects:
        return False
    if change.blast.people > reviewed.blast.people:
        return False  # a group or member removal now takes access from more people
    # Tracked time keeps growing while people work; it matters only where entries are destroyed.
    destroys_entries = change.options.get("te_deletion_mode") == "delete"
    return not destroys_entries or change.blast.tracked_seconds <= reviewed.blast.tracked_seconds


def _field_key(field_change: Any) -> tuple[str, str, str]:
    return (field_change.field, _canonical(field_change.before), _canonical(field_change.after))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True)
