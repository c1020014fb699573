"""`validate`: check spec files offline, for people (text), editors and CI (JSON), and GitHub.

- `--format json` prints one JSON document on stdout: every problem with file, line, column,
  breadcrumb and message, and a summary; exit 1 when there are problems, as in text.
- In GitHub Actions (GITHUB_ACTIONS=true) every problem is also an `::error file=,line=,col=::`
  workflow command, so it shows on the pull request's diff. Those lines are written by
  `write_workflow_commands`, on purpose apart from Output's ordinary lines: anything that
  stops workflow commands around untrusted text (`::stop-commands::`) must leave these out.
- `validate -` reads the spec from standard input, named `<stdin>` in every message (an editor
  checks its unsaved buffer this way). The text is handed to the ordinary loader through a
  private temporary file, so stdin gets exactly the same limits and messages as a file.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, TextIO

from reconciler.cli.main import common_flags
from reconciler.cli.output import Output
from reconciler.cli.plan_apply import SPEC_HELP
from reconciler.render import json_text
from reconciler.errors import EXIT_ERROR, EXIT_OK, UsageError
from reconciler.model import DesiredState
from reconciler.spec import SpecError, SpecProblem, load_specs
from reconciler.spec.loader import MAX_FILE_BYTES
from reconciler.untrusted import quoted, shown

Subparsers = Any  # argparse's _SubParsersAction is private
STDIN = "-"
STDIN_NAME = "<stdin>"
JSON_FORMAT_VERSION = 1


def register_validate(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("validate", parents=[common_flags(offline=True)], help="check spec files offline",
                            description="Check spec files against the schema and for semantic "
                                        "problems, offline: no request to Toggl. In GitHub "
                                        "Actions, problems are also annotations on the diff.")
    parser.add_argument("specs", nargs="+", metavar="SPEC",
                        help=f"{SPEC_HELP}; or - for standard input")
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text",
                        help="text (default) or json: every problem with file, line and column, "
                             "for editors and CI")
    parser.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace, *, env: Mapping[str, str] | None = None,
                 out: Output, stdin: TextIO | None = None, **_: Any) -> int:
    with _stdin_as_file(args.specs, stdin, out) as (paths, names):
        try:
            states = load_specs(paths)
        except SpecError as error:
            problems = [_renamed(problem, names) for problem in error.problems]
            return _report_problems(problems, args.format, env or {}, out)
    _report_valid(states, names, args.format, out)
    return EXIT_OK


def _report_problems(problems: list[SpecProblem], fmt: str, env: Mapping[str, str],
                     out: Output) -> int:
    if env.get("GITHUB_ACTIONS") == "true":
        write_workflow_commands(out, annotations(problems, env.get("GITHUB_WORKSPACE")))
    if fmt != "json":
        raise SpecError(problems)  # printed by the CLI's error boundary, as for every command
    out.document(json_text(json.dumps(json_report(problems, []), indent=2, ensure_ascii=False)))
    out.error(f"{_count(len(problems), 'problem')} in the spec; nothing was sent to Toggl.")
    return EXIT_ERROR


def _report_valid(states: Sequence[DesiredState], names: Mapping[str, str], fmt: str,
                  out: Output) -> None:
    if fmt == "json":
        out.document(json_text(json.dumps(json_report([], states, names), indent=2, ensure_ascii=False)))
        return
    for desired in states:
        files = ", ".join(shown(names.get(file, file)) for file in desired.files)
        workspace = quoted(desired.workspace) if isinstance(desired.workspace, str) else \
            desired.workspace
        out.out(f"OK: workspace {workspace}: {_counts(desired)} ({files})")


def _counts(desired: DesiredState) -> str:
    """`2 clients, 2 projects, 2 tags`, then the workspace kinds the spec mentions."""
    parts = [_count(len(desired.clients), "client"), _count(len(desired.projects), "project"),
             _count(len(desired.tags), "tag")]
    if desired.settings is not None:
        parts.append(_count(len(desired.settings.fields), "setting"))
    if desired.groups is not None:
        parts.append(_count(len(desired.groups), "group"))
    if desired.mentions_members:
        parts.append(_count(sum(len(p.members or ()) for p in desired.projects), "member"))
    if desired.mentions_tasks:
        parts.append(_count(sum(len(p.tasks or ()) for p in desired.projects), "task"))
    return ", ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# ---------------------------------------------------------------------------- stdin


@contextmanager
def _stdin_as_file(specs: Sequence[str], stdin: TextIO | None, out: Output
                   ) -> Iterator[tuple[list[str], dict[str, str]]]:
    """The paths to load, with `-` replaced by a temporary file; and temporary name -> `<stdin>`."""
    if STDIN not in specs:
        yield list(specs), {}
        return
    if specs.count(STDIN) > 1:
        raise UsageError("validate: `-` (standard input) can be given only once")
    if stdin is None:
        raise UsageError("validate: no standard input to read the spec from")
    if getattr(stdin, "isatty", lambda: False)():  # typed by hand: say why nothing happens
        out.info("Reading the spec from standard input; end it with Ctrl-D.")
    raw = _read_stdin(stdin)
    with tempfile.TemporaryDirectory(prefix="toggl-reconciler-stdin-") as folder:
        path = os.path.join(folder, "stdin.yaml")
        with open(path, "wb") as stream:
            stream.write(raw)
        yield [path if spec == STDIN else spec for spec in specs], {path: STDIN_NAME}


def _read_stdin(stdin: TextIO) -> bytes:
    # Bytes when there are any, so the loader judges the encoding as it does for a file; one
    # byte past the limit is enough for the loader to refuse an oversized input.
    buffer = getattr(stdin, "buffer", None)
    if buffer is not None:
        return bytes(buffer.read(MAX_FILE_BYTES + 1))
    return stdin.read(MAX_FILE_BYTES + 1).encode("utf-8", "surrogateescape")


def _renamed(problem: SpecProblem, names: Mapping[str, str]) -> SpecProblem:
    if not names:
        return problem
    message, breadcrumb, file = problem.message, problem.breadcrumb, problem.file
    for temporary, given in names.items():
        message = message.replace(temporary, given)
        breadcrumb = breadcrumb.replace(temporary, given)
        file = given if file == temporary else file
    return SpecProblem(file, problem.line, problem.column, breadcrumb, message)


# ---------------------------------------------------------------------------- JSON


def json_report(problems: Sequence[SpecProblem], states: Sequence[DesiredState],
                names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `validate --format json` document (format_version 1)."""
    names = names or {}
    workspaces = [{
        "workspace": desired.workspace,
        "files": [names.get(file, file) for file in desired.files],
        "clients": len(desired.clients),
        "projects": len(desired.projects),
        "tags": len(desired.tags),
    } for desired in states]
    return {
        "format_version": JSON_FORMAT_VERSION,
        "valid": not problems,
        "problems": [problem_json(problem) for problem in problems],
        "workspaces": workspaces,
        "summary": {
            "problems": len(problems),
            "files_with_problems": len({problem.file for problem in problems}),
            "workspaces": len(workspaces),
        },
    }


def problem_json(problem: SpecProblem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,  # 1-based; null when the problem has no place (a missing file)
        "column": problem.column,  # 1-based
        "severity": "error",
        "breadcrumb": problem.breadcrumb,  # where in the spec, e.g. "clients[0] (client 'A')"
        "message": problem.message,
        "text": str(problem),  # the line text output prints
    }


# ---------------------------------------------------------------------------- GitHub Actions


@dataclass(frozen=True)
class Annotation:
    """One `::error` workflow command."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def command(self) -> str:
        properties = [(key, value) for key, value in
                      (("file", self.file), ("line", self.line), ("col", self.column))
                      if value is not None]
        head = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
        return f"::error{' ' + head if head else ''}::{escape_data(self.message)}"


def annotations(problems: Iterable[SpecProblem], workspace: str | None = None) -> list[Annotation]:
    """One annotation per problem, with paths relative to the checkout as GitHub wants them."""
    result = []
    for problem in problems:
        message = ": ".join(part for part in (problem.breadcrumb, problem.message) if part)
        if problem.file in ("", STDIN_NAME):  # nothing on the diff to attach it to
            place = _place(problem)
            result.append(Annotation(f"{place}: {message}" if place else message))
            continue
        result.append(Annotation(message, _relative(problem.file, workspace),
                                 problem.line, problem.column if problem.line else None))
    return result


def write_workflow_commands(out: Output, items: Iterable[Annotation]) -> None:
    """Write annotations to stderr, each one a workflow command the runner must see.

    Kept apart from Output's ordinary lines on purpose: these must never be inside a
    `::stop-commands::` block. stderr, so that `--format json` keeps stdout pure JSON; the
    runner reads workflow commands from both streams.
    """
    out.resume_commands()  # close any stop-commands block first: these must reach the runner
    for item in items:
        out.stderr.write(out.scrub(item.command()) + "\n")
    out.stderr.flush()


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped, so no text can start a command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, and `:` and `,` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _place(problem: SpecProblem) -> str:
    place = problem.file
    if place and problem.line is not None:
        place += f":{problem.line}" + (f":{problem.column}" if problem.column is not None else "")
    return place


def _relative(file: str, workspace: str | None) -> str:
    if not workspace:
        return file
    try:
        relative = Path(os.path.abspath(file)).relative_to(os.path.abspath(workspace))
    except ValueError:  # outside the checkout: the path as given
        return file
    return relative.as_posix()
