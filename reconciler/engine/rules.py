"""House rules against the live workspace: live objects that break a spec `rules:` entry (pure).

Spec entries were checked when the spec loaded (reconciler.spec.house_rules); this pass looks
at the live objects that no spec entry manages, which a pull request cannot fix by itself, and
leaves out those the plan removes. A `warning` rule's findings go with the plan; an `error`
rule's refuse it (exit 1). Patterns are attacker input, compiled by `reconciler.safe_regex`.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from reconciler.engine.matching import Notes
from reconciler.engine.plan import Change
from reconciler.model import (
    HouseRule,
    Kind,
    LiveClient,
    LiveProject,
    LiveState,
    LiveTag,
    escape_name,
    project_address,
)
from reconciler.safe_regex import PatternError, compile_pattern
from reconciler.untrusted import quoted, shown

LiveObject = LiveClient | LiveProject | LiveTag


def check_house_rules(rules: Sequence[HouseRule], live: LiveState,
                      managed: Mapping[Kind, set[int]], changes: Sequence[Change],
                      notes: Notes) -> None:
    """Adds a warning or problem per live object (not managed, not removed) breaking a rule."""
    if not rules:
        return
    removed = {(change.kind, change.live_id) for change in changes if change.action.is_removal}
    client_names = {client.id: client.name for client in live.clients}
    for rule in rules:
        found = notes.problems if rule.severity == "error" else notes.warnings
        for obj in _objects(live, rule.kind):
            if obj.id in managed.get(rule.kind, ()) or (rule.kind, obj.id) in removed:
                continue
            found.extend(_findings(rule, obj, client_names))


def _objects(live: LiveState, kind: Kind) -> Sequence[LiveObject]:
    return {"client": live.clients, "project": live.projects, "tag": live.tags}[kind]


def _findings(rule: HouseRule, obj: LiveObject, client_names: Mapping[int, str]) -> Iterator[str]:
    where = f" (house rule at {rule.source})" if rule.source else " (house rule)"
    what = f"live {rule.kind} {quoted(_address(obj, client_names))} (id {obj.id})"
    tail = f"{where}: {shown(rule.message)}"
    if rule.name_pattern is not None and not _matches(rule.name_pattern, obj.name):
        yield f"{what}: its name does not match {quoted(rule.name_pattern)}{tail}"
    missing = [name for name in rule.require if not _is_set(_live_value(obj, name))]
    if missing:
        yield f"{what} does not set {', '.join(missing)}{tail}"


def _matches(pattern: str, name: str) -> bool:
    try:
        return compile_pattern(pattern)(name)
    except PatternError:  # the spec loader refuses such a rule; a hand-built one checks nothing
        return True


def _address(obj: LiveObject, client_names: Mapping[int, str]) -> str:
    if isinstance(obj, LiveProject):
        client = client_names.get(obj.client_id) if obj.client_id is not None else None
        return project_address(client, obj.name)
    return escape_name(obj.name)


def _live_value(obj: LiveObject, field_name: str) -> Any:
    if isinstance(obj, LiveClient):
        return {"notes": obj.notes, "archived": obj.archived}.get(field_name)
    if isinstance(obj, LiveProject):
        if field_name == "client":
            return obj.client_id
        if field_name == "active":
            return obj.active
        return obj.fields.get(field_name)
    return None


def _is_set(value: Any) -> bool:
    return value is not None and value != ""
