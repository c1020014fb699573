"""`validate` for machines: `--format json`, GitHub Actions annotations, and `validate -`.

Through the real CLI (`main`, and one real process for a real standard input)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli import main
from reconciler.cli.validate import Annotation, escape_data, escape_property

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "examples" / "minimal.yaml"
BAD = """version: 1
workspace: W
clients:
  - name: Globex
    colour: red
  - name: "evil\\n::warning::injected"
    notes: 5
"""
GITHUB = {"GITHUB_ACTIONS": "true"}


def run(argv: list[str], env: dict[str, str] | None = None, stdin: str = "") -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdin=io.StringIO(stdin), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- --format json


def test_json_lists_every_problem_with_file_line_and_column_and_exits_1(bad: Path) -> None:
    code, stdout, stderr = run(["validate", str(bad), "--format", "json"])
    assert code == 1
    report = json.loads(stdout)  # stdout is the JSON document and nothing else
    assert report["valid"] is False and report["format_version"] == 1
    places = [(p["file"], p["line"], p["column"]) for p in report["problems"]]
    assert places == [(str(bad), 5, 5), (str(bad), 6, 11), (str(bad), 7, 12)]
    first = report["problems"][0]
    assert first["severity"] == "error"
    assert first["breadcrumb"] == "clients[0] (client 'Globex'): colour"
    assert first["message"].startswith("unknown key 'colour'")
    assert first["text"] == f"{bad}:5:5: {first['breadcrumb']}: {first['message']}"
    assert report["summary"] == {"problems": 3, "files_with_problems": 1, "workspaces": 0}
    assert "3 problems" in stderr and "Traceback" not in stderr


def test_json_of_a_valid_spec_says_what_it_holds_and_exits_0() -> None:
    code, stdout, _ = run(["validate", str(MINIMAL), "-f", "json"])
    assert code == 0
    report = json.loads(stdout)
    assert report["valid"] is True and report["problems"] == []
    assert report["workspaces"] == [{"workspace": "My Workspace", "files": [str(MINIMAL)],
                                     "clients": 1, "projects": 1, "tags": 1}]


def test_json_reports_problems_without_a_place_with_null_line(tmp_path: Path) -> None:
    code, stdout, _ = run(["validate", str(tmp_path / "missing.yaml"), "--format", "json"])
    assert code == 1
    [problem] = json.loads(stdout)["problems"]
    assert problem["line"] is None and problem["column"] is None
    assert problem["message"] == "no such file or directory"


def test_text_output_is_unchanged_by_the_new_flags(bad: Path) -> None:
    code, stdout, stderr = run(["validate", str(bad)])
    assert code == 1 and stdout == ""
    assert stderr.splitlines()[0].startswith(f"{bad}:5:5: clients[0]")
    assert "::error" not in stderr  # not in GitHub Actions: no workflow commands


# ---------------------------------------------------------------------------- GitHub Actions


def test_github_actions_gets_one_error_annotation_per_problem(bad: Path, tmp_path: Path) -> None:
    env = {**GITHUB, "GITHUB_WORKSPACE": str(tmp_path)}
    code, stdout, stderr = run(["validate", str(bad)], env=env)
    assert code == 1
    lines = stderr.splitlines()
    commands = [line for line in lines if line.startswith("::error file=")]
    assert commands[0] == ("::error file=bad.yaml,line=5,col=5::clients[0] (client 'Globex'): "
                           "colour: unknown key 'colour'; allowed keys: archived, delete, name, "
                           "notes, previous_names")
    assert len(commands) == 3
    # The name with a newline cannot start a command of its own: besides the annotations, only
    # the stop-commands markers and the tool's one closing annotation begin with ::
    markers = [line for line in lines if line.startswith("::") and line not in commands]
    token = next(line.split("::")[2] for line in markers if line.startswith("::stop-commands::"))
    assert set(markers) <= {f"::stop-commands::{token}", f"::{token}::",
                            "::error::Error: 3 problems in the spec; nothing was sent to Toggl."}
    # and no annotation stands inside a block, where the runner would ignore it
    for command in commands:
        before = lines[:lines.index(command)]
        assert before.count(f"::stop-commands::{token}") == before.count(f"::{token}::")
    assert not any(line.startswith("::warning") for line in stderr.splitlines())
    # and the people reading the log still get the ordinary lines.
    assert f"{bad}:5:5: clients[0]" in stderr


def test_github_annotations_keep_json_stdout_pure(bad: Path) -> None:
    code, stdout, stderr = run(["validate", str(bad), "--format", "json"], env=GITHUB)
    assert code == 1
    assert len(json.loads(stdout)["problems"]) == 3
    assert stderr.count("::error file=") == 3


def test_a_file_name_with_workflow_command_characters_is_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "100%,odd:dir"
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text("version: 1\nworkspace: W\ntags: [[]]\n", encoding="utf-8")
    _, _, stderr = run(["validate", str(spec)], env={**GITHUB, "GITHUB_WORKSPACE": str(tmp_path)})
    [command] = [line for line in stderr.splitlines() if line.startswith("::error file=")]
    assert command.startswith("::error file=100%25%2Codd%3Adir/spec.yaml,line=3,col=")


def test_no_annotations_for_a_valid_spec_or_outside_github(bad: Path) -> None:
    assert "::error" not in run(["validate", str(MINIMAL)], env=GITHUB)[2]
    stderr = run(["validate", str(bad)], env={"GITHUB_ACTIONS": "false"})[2]
    assert not any(line.startswith("::") for line in stderr.splitlines())


def test_a_secret_never_reaches_an_annotation(tmp_path: Path) -> None:
    secret = "annotation-secret-0123456789abcdef"
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"version: 1\nworkspace: W\ntags: [{secret!r}, 3]\ncolour: x\n",
                    encoding="utf-8")
    _, stdout, stderr = run(["validate", str(spec), "-f", "json"],
                            env={**GITHUB, "TOGGL_API_TOKEN": secret})
    assert "::error" in stderr
    assert secret not in stdout + stderr


@pytest.mark.parametrize("text, data, prop", [
    ("50% done", "50%25 done", "50%25 done"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("x:y,z", "x:y,z", "x%3Ay%2Cz"),
    ("%0A", "%250A", "%250A"),  # an already-escaped look-alike stays literal
])
def test_workflow_command_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


@given(st.text(), st.text(), st.one_of(st.none(), st.integers(1, 10**6)))
def test_an_annotation_is_one_line_whatever_it_holds(message: str, file: str, line: int | None) -> None:
    command = Annotation(message, file or None, line).command()
    assert "\n" not in command and "\r" not in command
    head, _, data = command.partition("::")[2].partition("::")
    assert head.startswith("error")
    assert data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%") == message


# ---------------------------------------------------------------------------- validate -


def test_validate_reads_standard_input_as_stdin() -> None:
    code, stdout, _ = run(["validate", "-"], stdin=MINIMAL.read_text(encoding="utf-8"))
    assert code == 0
    assert stdout == "OK: workspace 'My Workspace': 1 client, 1 project, 1 tag (<stdin>)\n"


def test_problems_from_standard_input_are_named_stdin(bad: Path) -> None:
    code, stdout, stderr = run(["validate", "-", "--format", "json"], stdin=BAD, env=GITHUB)
    assert code == 1
    files = {problem["file"] for problem in json.loads(stdout)["problems"]}
    assert files == {"<stdin>"}
    assert "stdin.yaml" not in stdout + stderr and "toggl-reconciler-stdin" not in stdout + stderr
    # Nothing on a diff to attach it to: the place goes in the message.
    assert "::error::<stdin>:5:5: clients[0]" in stderr


def test_standard_input_can_join_files_of_the_same_workspace(tmp_path: Path) -> None:
    other = tmp_path / "tags.yaml"
    other.write_text("version: 1\nworkspace: W\ntags: [a]\n", encoding="utf-8")
    code, _, stderr = run(["validate", str(other), "-"],
                          stdin="version: 1\nworkspace: W\ntags: [a]\n")
    assert code == 1, stderr  # the tag is defined twice, once in each
    assert stderr.startswith("<stdin>:3:8: tags[0] (tag 'a'): tag 'a' is defined twice")
    assert "stdin.yaml" not in stderr


def test_dash_twice_and_an_empty_standard_input_are_clear_errors() -> None:
    code, _, stderr = run(["validate", "-", "-"], stdin="version: 1\n")
    assert code == 1 and "only once" in stderr
    code, _, stderr = run(["validate", "-"], stdin="")
    assert code == 1 and stderr.startswith("<stdin>: ") and "Traceback" not in stderr


def test_a_real_pipe_into_validate_dash() -> None:
    """Bytes from a real process's stdin, including a non-UTF-8 one judged as a file's."""
    command = [sys.executable, "-m", "reconciler", "validate", "-"]
    good = subprocess.run(command, input=MINIMAL.read_bytes(), capture_output=True, cwd=REPO,
                          timeout=60)
    assert good.returncode == 0 and b"(<stdin>)" in good.stdout
    latin = subprocess.run(command, input=b"version: 1\nworkspace: Caf\xe9\n", capture_output=True,
                           cwd=REPO, timeout=60)
    assert latin.returncode == 1 and latin.stderr.startswith(b"<stdin>")
    assert b"Traceback" not in latin.stderr


def test_an_oversized_standard_input_is_refused_like_a_file() -> None:
    huge = "version: 1\nworkspace: W\n# " + "x" * (16 * 1024 * 1024) + "\n"
    code, _, stderr = run(["validate", "-"], stdin=huge)
    assert code == 1 and stderr.startswith("<stdin>: ") and "Traceback" not in stderr
    assert len(stderr) < 1000


def test_a_terminal_on_standard_input_is_told_how_to_end_it() -> None:
    class Keyboard(io.StringIO):
        def isatty(self) -> bool:
            return True

    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(["validate", "-"], env={}, stdin=Keyboard(MINIMAL.read_text(encoding="utf-8")),
                stdout=stdout, stderr=stderr)
    assert code == 0
    assert stderr.getvalue() == "Reading the spec from standard input; end it with Ctrl-D.\n"
