"""House rules (issue 13, part 2): spec entries refused offline, live objects listed by plan."""

from __future__ import annotations

from tests.e2e.conftest import Harness

_RULES = """
rules:
  - kind: project
    name_pattern: "^[A-Z][^/]*$"
    require: [client]
    message: Projects start with a capital letter and belong to a client
    severity: {severity}
  - kind: tag
    name_pattern: "^[a-z-]+$"
    message: Tags are lower-case words
clients:
  - name: Globex
"""


def test_validate_refuses_entries_breaking_a_rule_with_line_and_message(harness: Harness) -> None:
    spec = harness.spec(_RULES.format(severity="warning") + """
projects:
  - name: website
    client: Globex
  - name: Orphan
tags: [ok-tag, Bad]
""")
    result = harness.cli("validate", spec)
    assert result.code == 1, result.output
    lines = result.stderr.splitlines()
    assert any(":17:11:" in line and "'website' does not match" in line
               and "Projects start with a capital letter" in line for line in lines), result.stderr
    assert any(":19:5:" in line and "'Orphan' does not set client" in line for line in lines)
    assert any("'Bad' does not match '^[a-z-]+$'" in line and "Tags are lower-case" in line
               for line in lines)
    assert harness.sandbox.requests == []
    planned = harness.cli("plan", spec)
    assert planned.code == 1 and harness.sandbox.requests == []


def test_a_bad_rule_is_a_spec_error_at_its_line(harness: Harness) -> None:
    spec = harness.spec("""
rules:
  - kind: project
    name_pattern: "([a-z"
    message: broken
  - kind: client
    require: [colour]
    message: unknown field
  - kind: tag
    name_pattern: "^(?!tmp)"
    message: lookaround
""")
    result = harness.cli("validate", spec)
    assert result.code == 1
    assert ":6:19: rules[0]: name_pattern: not a valid regular expression" in result.stderr
    assert ":9:15: rules[1]: require[0]: unknown field 'colour' for a client" in result.stderr
    assert ":12:19: rules[2]: name_pattern: lookahead/lookbehind are not allowed" in result.stderr
    assert harness.sandbox.requests == []


def test_plan_warns_about_live_objects_breaking_a_rule(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "legacy stuff")
    harness.store.add_tag(harness.wid, "Urgent")
    harness.store.add_tag(harness.wid, "fine")
    spec = harness.spec(_RULES.format(severity="warning"))
    result = harness.cli("plan", spec)
    assert result.code == 0, result.output
    assert "live project 'legacy stuff'" in result.output
    assert "does not match '^[A-Z][^/]*$'" in result.output
    assert "does not set client" in result.output
    assert "live tag 'Urgent'" in result.output
    assert "'fine'" not in result.output


def test_an_error_rule_refuses_the_plan_for_a_live_object(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "legacy stuff")
    spec = harness.spec(_RULES.format(severity="error"))
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 1, result.output
    assert "live project 'legacy stuff'" in result.stderr
    assert harness.writes() == []


def test_live_objects_the_spec_manages_or_removes_are_not_reported(harness: Harness) -> None:
    harness.store.add_tag(harness.wid, "Urgent")  # renamed by the spec
    harness.store.add_tag(harness.wid, "Old")  # deleted as unmanaged
    spec = harness.spec("""
unmanaged: {tags: delete}
safety: {max_removal_percent: 100}
rules:
  - kind: tag
    name_pattern: "^[a-z]+$"
    message: Tags are lower-case
    severity: error
tags:
  - {name: urgent, previous_names: [Urgent]}
""")
    result = harness.cli("plan", spec)
    assert result.code == 0, result.output
    assert "house rule" not in result.output


def test_a_hostile_live_name_is_shown_inert(harness: Harness) -> None:
    harness.store.add_tag(harness.wid, "x\x1b[31m\n::error::pwned")
    spec = harness.spec("""
rules:
  - kind: tag
    name_pattern: "^[a-z]+$"
    message: "Lower case\\n::warning::also"
""")
    result = harness.cli("plan", spec)
    assert result.code == 0, result.output
    assert "\x1b[31m" not in result.output
    assert not any(line.lstrip().startswith("::") for line in result.output.splitlines())
