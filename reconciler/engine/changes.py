"""Changes: the shared rules for building Change records, and the client and tag changes.

Each matched pair and each unmatched live object yields at most one Change. The helpers here
(value comparison, the action a set of field changes amounts to, protection of removals, the
display reason) are shared with `project_changes`. The free-plan tier check runs on the built
changes because only then are the colours and paid fields a plan sends known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping, Sequence

from reconciler.engine.layout import (
    PlanContext,
    client_blast,
    projects_to_restore,
    unmatched_clients,
)
from reconciler.engine.matching import Notes, Pair, claimed_ids
from reconciler.engine.plan import Action, Change, FieldChange
from reconciler.model import (
    CLIENT_FIELDS,
    FREE_PALETTE,
    PAID_PROJECT_FIELDS,
    DesiredClient,
    DesiredState,
    DesiredTag,
    Kind,
    LiveClient,
    LiveProject,
    LiveTag,
    SourceLocation,
    escape_name,
    object_address,
    spelling,
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


def make_change(
    kind: Kind,
    action: Action,
    name: str,
    live: LiveClient | LiveProject | LiveTag | None,
    fields: Sequence[FieldChange] = (),
    client: str | None = None,
    **extra: Any,
) -> Change:
    address = object_address(kind, name, client)
    return Change(
        action=action,
        kind=kind,
        address=address,
        name=name,
        client=client,
        live_id=live.id if live is not None else None,
        live_at=live.at if live is not None else None,
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


# ---------------------------------------------------------------- client changes


def client_changes(ctx: PlanContext) -> list[Change]:
    changes: list[Change | None] = []
    for pair in ctx.clients.pairs:
        if pair.desired.delete:
            changes.append(_client_delete(ctx, pair.live, "delete: true in the spec",
                                          pair.desired.previous_names))
        elif pair.live is None:
            changes.append(_client_create(pair.desired))
        else:
            changes.append(_client_update(ctx, pair))
    changes.extend(_unmanaged_clients(ctx))
    return [change for change in changes if change is not None]


def _client_create(entry: DesiredClient) -> Change:
    fields = [FieldChange(f, None, entry.fields[f]) for f in CLIENT_FIELDS if f in entry.fields]
    return make_change("client", Action.CREATE, entry.name, None, fields, reason=CREATE_REASON)


def _client_update(ctx: PlanContext, pair: Pair[DesiredClient, LiveClient]) -> Change | None:
    live, entry = pair.live, pair.desired
    assert live is not None
    fields: list[FieldChange] = []
    if spelling(live.name) != spelling(entry.name):  # NFC and NFD of one name: no rename
        fields.append(FieldChange("name", live.name, entry.name))
    if "notes" in entry.fields and not same_value("notes", live.notes, entry.fields["notes"]):
        fields.append(FieldChange("notes", live.notes, entry.fields["notes"]))
    wants_archived = entry.fields.get("archived") is True
    if live.id in ctx.archiving or (live.archived and not wants_archived):
        fields.append(FieldChange("archived", live.archived, wants_archived))
    action = action_for(fields)
    if action is None:
        return None
    extra: dict[str, Any] = {}
    if action is Action.RESTORE:
        extra["options"] = {"restore_project_ids": projects_to_restore(ctx, live.id)}
    if action is Action.ARCHIVE:
        extra["blast"] = client_blast(ctx, live.id, action)
    reason = reason_for(fields, "the spec sets archived: true")
    return make_change("client", action, entry.name, live, fields, reason=reason, **extra)


def _client_delete(
    ctx: PlanContext, live: LiveClient | None, reason: str, previous: Sequence[str] = ()
) -> Change | None:
    if live is None or live.id in ctx.clients.kept_for_projects:
        return None  # kept: its projects would lose their protection (warned in matching)
    change = make_change(
        "client", Action.DELETE, live.name, live,
        blast=client_blast(ctx, live.id, Action.DELETE), reason=reason,
    )
    return guard_removal(ctx, change, [(live.name, None), *((old, None) for old in previous)])


def _unmanaged_clients(ctx: PlanContext) -> list[Change | None]:
    policy = ctx.policy("client")
    reason = f"not in the spec; unmanaged.clients is {policy}"
    if policy == "delete":
        return [_client_delete(ctx, live, reason) for live in unmatched_clients(ctx)]
    if policy == "archive":
        return [
            make_change(
                "client", Action.ARCHIVE, live.name, live, [FieldChange("archived", False, True)],
                blast=client_blast(ctx, live.id, Action.ARCHIVE), reason=reason,
            )
            for live in unmatched_clients(ctx)
            if live.id in ctx.archiving
        ]
    return []


# ---------------------------------------------------------------- tags


def tag_changes(ctx: PlanContext, pairs: Sequence[Pair[DesiredTag, LiveTag]]) -> list[Change]:
    changes: list[Change | None] = []
    for pair in pairs:
        live, entry = pair.live, pair.desired
        if entry.delete:
            changes.append(_tag_delete(ctx, live, "delete: true in the spec"))
        elif live is None:
            create = make_change("tag", Action.CREATE, entry.name, None, reason=CREATE_REASON)
            changes.append(create)
        elif spelling(live.name) != spelling(entry.name):
            fields = [FieldChange("name", live.name, entry.name)]
            reason = reason_for(fields, "")
            rename = make_change("tag", Action.RENAME, entry.name, live, fields, reason=reason)
            changes.append(rename)
    # Tags cannot be archived (the schema forbids the policy); anything but delete leaves them.
    if ctx.policy("tag") == "delete":
        matched = claimed_ids(pairs)
        reason = "not in the spec; unmanaged.tags is delete"
        changes.extend(
            _tag_delete(ctx, live, reason) for live in ctx.live.tags if live.id not in matched
        )
    return [change for change in changes if change is not None]


def _tag_delete(ctx: PlanContext, live: LiveTag | None, reason: str) -> Change | None:
    if live is None:
        return None
    change = make_change("tag", Action.DELETE, live.name, live, reason=reason)
    return guard_removal(ctx, change, [(live.name, None)])


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
        paid = [f.field for f in change.fields if f.field in PAID_PROJECT_FIELDS
                and f.after is not None and f.after is not False]
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
