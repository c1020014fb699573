"""Output: the one place every line passes, so the one place that makes it safe."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from reconciler.cli.output import REDACTED, Output
from reconciler.untrusted import quoted
from tests.hostile import HOSTILE, assert_log_safe, assert_terminal_safe, runner_commands

SECRET = "client"  # a credential that is also an ordinary word


def streams() -> tuple[io.StringIO, io.StringIO]:
    return io.StringIO(), io.StringIO()


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
def test_every_message_line_is_safe_for_a_terminal_and_a_ci_log(name: str) -> None:
    stdout, stderr = streams()
    out = Output(stdout=stdout, stderr=stderr)
    out.out(f"Workspace {name}")  # even a name nobody escaped
    out.err(f"Error: {name}\nsecond line")
    out.info(name)
    for text in (stdout.getvalue(), stderr.getvalue()):
        assert_terminal_safe(text)
        assert_log_safe(text)


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
def test_an_escaped_name_is_one_line_and_keeps_the_message_whole(name: str) -> None:
    stdout, stderr = streams()
    Output(stdout=stdout, stderr=stderr).err(f"Error: project {quoted(name)} changed.\nRun plan.")
    assert stderr.getvalue().count("\n") == 2
    assert stderr.getvalue().startswith("Error: project '")


def test_only_the_tools_own_colours_survive_when_colour_is_on() -> None:
    stdout, stderr = streams()
    out = Output(stdout=stdout, stderr=stderr, color=True)
    out.out("\x1b[32m+\x1b[0m created \x1b[2J\x1b]0;title\x07 \x1b[8mhidden")
    text = stdout.getvalue()
    assert text.startswith("\x1b[32m+\x1b[0m created \\u001b[2J\\u001b]0;title\\u0007 ")
    assert_terminal_safe(text, colour=True)
    Output(stdout=stdout, stderr=stderr).out("\x1b[32m+\x1b[0m")  # colour off: no ESC at all
    assert stdout.getvalue().endswith("\\u001b[32m+\\u001b[0m\n")


def test_messages_are_scrubbed_but_documents_are_written_exactly() -> None:
    stdout, stderr = streams()
    out = Output(stdout=stdout, stderr=stderr, secrets=(SECRET,))
    out.err("token client in a message")
    out.document('{"kind": "client"}\n')
    assert stderr.getvalue() == f"token {REDACTED} in a message\n"
    assert stdout.getvalue() == '{"kind": "client"}\n'


def test_under_github_actions_messages_are_wrapped_in_stop_commands() -> None:
    stdout, stderr = streams()
    out = Output.for_env({"GITHUB_ACTIONS": "true"}, stdout, stderr)
    out.out("::error::from a name")
    out.err("##[group]from a name")
    out.annotate("error", "Error: two\nlines 100%")
    out.err("after the annotation")
    out.resume_commands()
    token = out.ci_token
    assert token is not None and re.fullmatch("[0-9a-f]{32}", token)
    assert stdout.getvalue().split("\n") == [
        f"::stop-commands::{token}", "\\u003a:error::from a name", f"::{token}::", ""]
    lines = stderr.getvalue().split("\n")
    assert lines[0] == f"::stop-commands::{token}"
    # The tool's own annotation comes after the block ends, as one line.
    assert lines[2:5] == [f"::{token}::", "::error::Error: two%0Alines 100%25",
                          f"::stop-commands::{token}"]
    assert lines[-2] == f"::{token}::"
    for text in (stdout.getvalue(), stderr.getvalue()):
        assert_log_safe(text, allowed=("::error::Error: two",))
    assert runner_commands(stdout.getvalue() + stderr.getvalue()) == [
        "::error::Error: two%0Alines 100%25"]


def test_each_run_has_its_own_token_and_none_outside_github_actions() -> None:
    tokens = {Output.for_env({"GITHUB_ACTIONS": "true"}, *streams()).ci_token for _ in range(3)}
    assert len(tokens) == 3
    stdout, stderr = streams()
    out = Output.for_env({}, stdout, stderr)
    out.out("plain")
    out.annotate("error", "not under Actions")
    out.resume_commands()
    assert stdout.getvalue() == "plain\n" and stderr.getvalue() == ""


def test_output_redirected_to_a_file_is_not_the_log_and_gets_no_markers(tmp_path: Path) -> None:
    with open(tmp_path / "plan.md", "w", encoding="utf-8") as file:
        out = Output.for_env({"GITHUB_ACTIONS": "true"}, file, io.StringIO())
        out.out("## Toggl plan")
        out.resume_commands()
    assert (tmp_path / "plan.md").read_text() == "## Toggl plan\n"


def test_a_word_like_secret_is_redacted_as_a_word_only() -> None:
    from reconciler.redaction import redact

    assert redact("Max retries exceeded for e", ["e"]) == "Max retries exceeded for [redacted]"
    assert redact("client 'client' clients", ["client"]) == "[redacted] '[redacted]' clients"
    token = "0123456789abcdef0123456789abcdef"
    assert redact(f"url?x={token}&y", [token]) == "url?x=[redacted]&y"
    assert redact(f"Basic{token}", [token]) == "Basic[redacted]"
