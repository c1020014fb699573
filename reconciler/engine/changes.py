"""Changes: the rules every kind's planner (`engine.kinds`) builds its Change records with.

Each matched pair and each unmatched live object yields at most one Change. The helpers here
(value comparison, the action a set of field changes amounts to, protection of removals, the
display reason) are shared by all kinds. The free-plan tier check runs on the built changes
because only then are the colours and paid fields a plan sends known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping, Protocol, Sequence

from reconciler.engine.layout import PlanContext
from reconciler.engine.matching import Notes
from reconciler.engine.plan import Action, Change, FieldChange
from reconciler.model import (
    FREE_PALETTE,
    PAID_PROJECT_FIELDS,
    DesiredState,
    Kind,
    SourceLocation,
    escape_name,
    object_address,
)
from reconciler.untrusted import quoted

CREATE_REASON = "in the spec, not in the workspace"


# ---------------------------------------------------------------- value comparison


def same_value(field_name: str, live_value: Any, wanted: Any) -> bool:
    if field_name == "notes":
        return (live_value or "") == (wanted or "")
    if isinstance(live_value, bool) or isinstance(wanted, bool):
        # bool is an int in Python: keep True from equalling 1.
        return type(live_value) is type(wanted) and live_value == wanted
    if field_name == "color" and isinstance(live_value, str) and isinstance(wanted, str):
        return live_value.casefold() == wanted.casefold()
    return bool(live_value == wanted)


def _is_archiving(change: FieldChange) -> bool:
    return (change.field == "archived" and change.after is True) or (
        change.field == "active" and change.after is False
    )


def _is_state(change: FieldChange) -> bool:
    return change.field in ("archived", "active")


def action_for(fields: Sequence[FieldChange]) -> Action | None:
    """The action of an existing object's change: state changes dominate, then renames."""
    for change in fields:
        if _is_state(change):
            return Action.ARCHIVE if _is_archiving(change) else Action.RESTORE
    if any(change.field == "name" for change in fields):
        return Action.RENAME
    return Action.UPDATE if fields else None


# ---------------------------------------------------------------- building changes


class _LiveObject(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def at(self) -> str | None: ...


def make_change(
    kind: Kind,
    action: Action,
    name: str,
    live: _LiveObject | None,
    fields: Sequence[FieldChange] = (),
    client: str | None = None,
    address: str | None = None,
    **extra: Any,
) -> Change:
    """A Change of one object; `address` defaults to the kind's address of `name` (tasks and
    members, whose address includes their project's, pass their own)."""
    address = address if address is not None else object_address(kind, name, client)
    if live is not None:
        extra.setdefault("live_id", live.id)
        extra.setdefault("live_at", live.at)
    return Change(
        action=action,
        kind=kind,
        address=address,
        name=name,
        client=client,
        fields=tuple(fields),
        **extra,
    )


def guard_removal(
    ctx: PlanContext, change: Change | None, names: Sequence[tuple[str, str | None]]
) -> Change | None:
    """Protected objects are never archived or deleted: strip the removal, keep the rest."""
    if change is None or not change.action.is_removal:
        return change
    guard = ctx.protection(change.kind, *names)
    if guard is None:
        return change
    verb = "deleted" if change.action is Action.DELETE else "archived"
    ctx.notes.warnings.append(
        f"{change.kind} {quoted(change.address)} is protected by {guard.describe(change.kind)}: "
        f"not {verb}"
    )
    if change.action is Action.DELETE:
        return None
    rest = tuple(f for f in change.fields if not _is_state(f))
    action = action_for(rest)
    return replace(change, action=action, fields=rest, blast=None) if action else None


def reason_for(fields: Sequence[FieldChange], state: str) -> str:
    """A short why for display: `state` explains an archive."""
    parts: list[str] = []
    for change in fields:
        if change.field == "name":
            parts.append(f"renamed from {quoted(escape_name(change.before))}")
        elif change.field == "client":
            moved_from = f"client {quoted(escape_name(change.before))}" if change.before else "no client"
            parts.append(f"moved from {moved_from}")
        elif _is_state(change):
            restore = "archived now; the spec wants it active"
            parts.append(state if _is_archiving(change) else restore)
    others = [f.field for f in fields if f.field not in ("name", "client", "active", "archived")]
    if others:
        parts.append("changed: " + ", ".join(others))
    return "; ".join(parts)


# ---------------------------------------------------------------- plan tier


def check_tier(changes: Iterable[Change], tier: str | None, notes: Notes,
               sources: Mapping[tuple[str, str], SourceLocation] | None = None) -> None:
    """On Free, every paid-only value a change would send is a problem, at the spec entry that
    asks for it (`file:line:column: `). A value the live object already has sends nothing, so
    it is never one; nor are a field's free values (none, false), which Toggl's Free keeps."""
    if tier != "free":
        return
    where = sources or {}
    for change in changes:
        source = where.get((change.kind, change.address))
        label = f"{source}: " if source is not None else ""
        label += f"{change.kind} {quoted(change.address)}"
        color = change.after("color")
        if isinstance(color, str) and color.casefold() not in FREE_PALETTE:
            notes.problems.append(
                f"{label}: colour {color} needs a paid plan; the workspace is on Free. Use one "
                f"of the 14 free palette colours: {', '.join(FREE_PALETTE_ORDER)}"
            )
        if change.kind == "client" and change.after("archived") is True:
            notes.problems.append(
                f"{label}: archiving a client needs a paid plan; the workspace is on Free"
            )
        # Only projects: a task's estimated_hours or a member's rate is checked by its kind.
        paid = [f.field for f in change.fields if f.field in PAID_PROJECT_FIELDS
                and f.after is not None and f.after is not False
                and change.kind == "project"]
        if paid:
            notes.problems.append(
                f"{label}: {', '.join(paid)} {'needs' if len(paid) == 1 else 'need'} a paid "
                "plan; the workspace is on Free (remove "
                f"{'it' if len(paid) == 1 else 'them'} from the spec, or upgrade the workspace)"
            )


# The free palette in a fixed order, for messages (FREE_PALETTE is the set checked).
FREE_PALETTE_ORDER: tuple[str, ...] = (
    "#0b83d9", "#9e5bd9", "#d94182", "#e36a00", "#bf7000", "#2da608", "#06a893",
    "#c9806b", "#465bb3", "#990099", "#c7af14", "#566614", "#d92b2b", "#525266",
)
assert frozenset(FREE_PALETTE_ORDER) == FREE_PALETTE


def spec_sources(desired: DesiredState) -> dict[tuple[str, str], SourceLocation]:
    """Where each spec entry was written, by (kind, address) as changes name it."""
    sources: dict[tuple[str, str], SourceLocation] = {}
    entries: list[tuple[str, str, SourceLocation | None]] = [
        *(("client", object_address("client", c.name), c.source) for c in desired.clients),
        *(("project", p.address, p.source) for p in desired.projects),
        *(("tag", object_address("tag", t.name), t.source) for t in desired.tags),
    ]
    for kind, address, source in entries:
        if source is not None:
            sources.setdefault((kind, address), source)
    return sources
