"""Careless and hostile input against the workspace kinds (issue 12), through the real CLI
against the sandbox: one message per mistake at file:line:column, exit 1, no traceback, and
not one request to Toggl, for `validate` and `plan` alike."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness

COMMANDS = ["validate", "plan"]


def _refused(harness: Harness, command: str, body: str) -> list[str]:
    """Run the command on a spec of `body`; the problem lines, after checking the promise."""
    spec = harness.spec(body)
    result = harness.cli(command, spec)
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert harness.sandbox.requests == []
    lines = [line for line in result.stderr.splitlines() if line.startswith(spec + ":")]
    assert lines, result.stderr
    return [line[len(spec):] for line in lines]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_misspelt_task_name_key_is_one_message(harness: Harness, command: str) -> None:
    lines = _refused(harness, command, "projects:\n  - name: P\n    tasks:\n      - nme: Review\n")
    assert len(lines) == 1, lines
    assert lines[0].startswith(":6:9: projects[0] (project 'P'): tasks[0]: nme: unknown key "
                               "'nme' (did you mean 'name'?)")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_member_pattern_that_protects_nobody_is_refused(harness: Harness, command: str) -> None:
    """Without the check, plan accepted it and unmanaged.members: remove took the member."""
    lines = _refused(harness, command, "unmanaged: {members: remove}\n"
                     "protected: {members: [owner@acme.test]}\n"
                     "projects:\n  - name: P\n    members: []\n")
    assert lines == [":4:23: protected: members[0]: 'owner@acme.test' protects no member: a "
                     "member's address is Client/Project/user:e-mail or "
                     "Client/Project/group:Name; write '*/user:owner@acme.test' (this user on "
                     "every project)"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_estimate_merged_into_two_tasks_is_one_message(harness: Harness,
                                                             command: str) -> None:
    lines = _refused(harness, command, "projects:\n  - name: P\n    tasks:\n"
                     "      - &base {name: T, estimated_hours: -3}\n"
                     "      - <<: *base\n        name: T2\n")
    assert len(lines) == 1, lines
    assert lines[0].startswith(":6:42: ")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_second_merge_key_is_not_dropped_silently(harness: Harness, command: str) -> None:
    lines = _refused(harness, command, "settings:\n  <<: {rounding: 1}\n  <<: {rounding: 0}\n")
    assert lines == [":5:3: settings: duplicate key '<<': already set at line 4, column 3; a "
                     "mapping holds each key once (merge several mappings with `<<: [*a, *b]`)"]


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_members_say_what_each_fix_means(harness: Harness, command: str) -> None:
    lines = _refused(harness, command, "projects:\n  - name: P\n    members:\n")
    assert lines == [":5:13: projects[0] (project 'P'): members: expected a list, got null "
                     "(write `members: []` for none, or leave members out to leave the "
                     "project's members as they are live)"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_task_estimate_written_as_a_time_is_refused(harness: Harness, command: str) -> None:
    """`estimated_hours: 1:30` was planned (and applied) as a 90-hour estimate."""
    lines = _refused(harness, command, "projects:\n  - name: P\n    tasks:\n"
                     "      - {name: T, estimated_hours: 1:30}\n")
    assert lines == [":6:36: projects[0] (project 'P'): tasks[0] (task 'T'): estimated_hours: "
                     "YAML 1.1 reads the unquoted 1:30 as the base-60 number 90 (as in a time "
                     "of day): write \"1:30\" in quotes for text, or 90 for that number"]
