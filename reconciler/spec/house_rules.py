"""House rules (`rules:`) in the spec: the rules themselves, and the spec entries that break them.

A rule's pattern is attacker input (it comes from a pull request): it is compiled through
`reconciler.safe_regex`, which refuses what it cannot evaluate in bounded time. A rule that is
itself wrong (bad pattern, unknown field in `require`) is reported at its own line and checks
nothing. Every spec entry that breaks a valid rule is an error whatever the rule's severity:
severity is about live objects, which a pull request cannot fix by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from reconciler.model import RULE_FIELDS, Kind
from reconciler.safe_regex import Matcher, PatternError, compile_pattern
from reconciler.spec.schema import checker
from reconciler.spec.source import Issue, SpecFile, where
from reconciler.untrusted import quoted, shown

_RULE_SCHEMA = "#/$defs/rule"


@dataclass(frozen=True)
class _Rule:
    file: SpecFile
    index: int
    body: Mapping[str, Any]
    matches: Matcher | None  # None: no name_pattern

    @property
    def kind(self) -> Kind:
        return self.body["kind"]

    def place(self) -> str:
        return where(self.file, ("rules", self.index))


def rule_bodies(file: SpecFile, trusted: bool = True) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The schema-valid `rules:` entries of one file, with their index."""
    items = file.data.get("rules")
    if not isinstance(items, list):
        return
    valid = checker(_RULE_SCHEMA)
    for index, item in enumerate(items):
        if trusted or valid(item):
            yield index, item


def house_rule_issues(files: Sequence[SpecFile], trusted: Sequence[bool],
                      entries: Mapping[str, Sequence[Any]]) -> list[Issue]:
    """Problems of the rules themselves, then every spec entry (semantic.Entry) breaking one."""
    issues: list[Issue] = []
    rules: list[_Rule] = []
    for file, ok in zip(files, trusted):
        for index, body in rule_bodies(file, ok):
            rule, problems = _checked_rule(file, index, body)
            issues += problems
            if rule is not None:
                rules.append(rule)
    for rule in rules:
        section = {"client": "clients", "project": "projects", "tag": "tags"}[rule.kind]
        for entry in entries.get(section, ()):
            if not entry.body.get("delete"):
                issues += _entry_issues(rule, entry)
    return issues


def _checked_rule(file: SpecFile, index: int,
                  body: Mapping[str, Any]) -> tuple[_Rule | None, list[Issue]]:
    problems: list[Issue] = []
    path = ("rules", index)
    allowed = RULE_FIELDS[body["kind"]]
    for position, field_name in enumerate(body.get("require", ())):
        if field_name not in allowed:
            known = ", ".join(allowed) if allowed else "none (a tag has only its name)"
            problems.append(Issue(file, path + ("require", position),
                                  f"unknown field {quoted(field_name)} for a {body['kind']}; "
                                  f"fields a rule may require: {known}"))
    matches = None
    if "name_pattern" in body:
        try:
            matches = compile_pattern(body["name_pattern"])
        except PatternError as error:
            problems.append(Issue(file, path + ("name_pattern",), f"{error}"))
    if "name_pattern" not in body and not body.get("require"):
        problems.append(Issue(file, path, "a rule needs a name_pattern or a require list "
                              "(or both): this one checks nothing"))
    return (None if problems else _Rule(file, index, body, matches)), problems


def _entry_issues(rule: _Rule, entry: Any) -> Iterator[Issue]:
    reason = f"house rule at {rule.place()}: {shown(rule.body['message'])}"
    name = entry.body["name"]
    if rule.matches is not None and not rule.matches(name):
        # A tag written as a bare name has no `name` key: its position is the entry's.
        yield Issue(entry.file, entry.path + ("name",),
                    f"{entry.kind} name {quoted(name)} does not match "
                    f"{quoted(rule.body['name_pattern'])} ({reason})")
    missing = [field_name for field_name in rule.body.get("require", ())
               if not _is_set(_entry_value(entry, field_name))]
    if missing:
        yield Issue(entry.file, entry.path,
                    f"{entry.kind} {quoted(entry.address)} does not set "
                    f"{', '.join(missing)} ({reason})")


def _entry_value(entry: Any, field_name: str) -> Any:
    if entry.section == "projects" and field_name == "client":
        return entry.client  # from the entry or the file's defaults
    if field_name in entry.body:
        return entry.body[field_name]
    return entry.defaults.get(field_name)


def _is_set(value: Any) -> bool:
    return value is not None and value != ""
