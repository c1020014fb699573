"""The live pass of house rules (reconciler.engine.rules): pure, over LiveState."""

from __future__ import annotations

from reconciler.engine.matching import Notes
from reconciler.engine.plan import Action, Change
from reconciler.engine.rules import check_house_rules
from reconciler.model import (HouseRule, LiveClient, LiveProject, LiveState, LiveTag,
                              SourceLocation)

_AT = SourceLocation("spec.yaml", 4, 5)
_LIVE = LiveState(
    workspace_id=1,
    clients=(LiveClient(1, "Globex", notes=None), LiveClient(2, "acme", notes="hi")),
    projects=(LiveProject(10, "Website", client_id=1), LiveProject(11, "intranet"),
              LiveProject(12, "Billing", client_id=2, fields={"rate": None})),
    tags=(LiveTag(20, "ok"), LiveTag(21, "Bad")),
)


def _run(rule: HouseRule, managed: dict | None = None, changes: tuple = ()) -> Notes:
    notes = Notes()
    check_house_rules([rule], _LIVE, managed or {}, changes, notes)
    return notes


def test_a_warning_rule_lists_each_live_object_breaking_it() -> None:
    notes = _run(HouseRule("project", "Capitals and a client", name_pattern="^[A-Z]",
                           require=("client",), source=_AT))
    assert notes.problems == []
    assert notes.warnings == [
        "live project 'intranet' (id 11): its name does not match '^[A-Z]' (house rule at "
        "spec.yaml:4:5): Capitals and a client",
        "live project 'intranet' (id 11) does not set client (house rule at spec.yaml:4:5): "
        "Capitals and a client",
    ]


def test_an_error_rule_makes_problems_and_names_the_client_in_the_address() -> None:
    notes = _run(HouseRule("project", "rates", require=("rate",), severity="error"))
    assert [line.split(" (id")[0] for line in notes.problems] == [
        "live project 'Globex/Website'", "live project 'intranet'", "live project 'acme/Billing'"]
    assert notes.warnings == []


def test_client_notes_and_tags() -> None:
    assert len(_run(HouseRule("client", "notes", require=("notes",))).warnings) == 1
    assert "'Bad'" in _run(HouseRule("tag", "lower", name_pattern="^[a-z]+$")).warnings[0]


def test_managed_and_removed_objects_are_left_to_the_spec() -> None:
    rule = HouseRule("tag", "lower", name_pattern="^[a-z]+$")
    assert _run(rule, managed={"tag": {21}}).warnings == []
    removal = Change(Action.DELETE, "tag", "Bad", "Bad", live_id=21)
    assert _run(rule, changes=(removal,)).warnings == []


def test_hostile_names_and_messages_are_escaped() -> None:
    live = LiveState(workspace_id=1, tags=(LiveTag(1, "x\n::error::y\x1b[2J"),))
    notes = Notes()
    check_house_rules([HouseRule("tag", "m\r\n##[group]", name_pattern="^[a-z]+$")], live,
                      {}, (), notes)
    (line,) = notes.warnings
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "##[" not in line
