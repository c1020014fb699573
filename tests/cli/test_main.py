"""The error boundary: expected errors are one message with their exit code, bugs are one short
line (the traceback only with --debug), and no output ever carries a credential."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reconciler.cli import main, validate
from reconciler.cli.output import REDACTED, Output, redact, secrets_from_env, wants_color
from reconciler.errors import UnsafePlanError

SECRET = "secret-token-abcdef0123456789"


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def spec(tmp_path: Path) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\nworkspace: W\ntags: [a]\n")
    return str(path)


def test_a_bug_is_one_short_line_without_traceback(monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    def explode(*_: object, **__: object) -> int:
        raise RuntimeError(f"boom with {SECRET}")

    monkeypatch.setattr(validate, "load_specs", explode)
    code, _, stderr = run(["validate", spec], env={"TOGGL_API_TOKEN": SECRET})
    assert code == 1
    assert "internal error (RuntimeError: boom with [redacted])" in stderr
    assert "Traceback" not in stderr and SECRET not in stderr


def test_debug_shows_the_traceback_still_without_secrets(monkeypatch: pytest.MonkeyPatch,
                                                         spec: str) -> None:
    monkeypatch.setattr(validate, "load_specs", lambda *_: (_ for _ in ()).throw(KeyError(SECRET)))
    code, _, stderr = run(["validate", spec, "--debug"], env={"TOGGL_API_TOKEN": SECRET})
    assert code == 1
    assert "Traceback" in stderr and SECRET not in stderr


def test_expected_errors_keep_their_exit_code(monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    def refuse(*_: object, **__: object) -> int:
        raise UnsafePlanError("too many removals")

    monkeypatch.setattr(validate, "load_specs", refuse)
    assert run(["validate", spec])[0] == 3


@pytest.mark.parametrize("argv", [[], ["frobnicate"], ["plan"], ["plan", "x.yaml", "--format", "xml"]])
def test_bad_usage_exits_1(argv: list[str]) -> None:
    code, _, stderr = run(argv)
    assert code == 1
    assert stderr.startswith("Error: ")


def test_help_and_version_exit_0() -> None:
    assert run(["--help"])[0] == 0
    code, stdout, _ = run(["--version"])
    assert code == 0 and "toggl-reconciler" in stdout


def test_secrets_are_scrubbed_from_every_line() -> None:
    stream = io.StringIO()
    out = Output(stdout=stream, stderr=stream, secrets=secrets_from_env({"MATON_API_KEY": SECRET}))
    out.out(f"token={SECRET}")
    out.err(f"again {SECRET}")
    assert SECRET not in stream.getvalue()
    assert stream.getvalue().count(REDACTED) == 2
    assert redact("short", ["abc"]) == "short".replace("abc", REDACTED)


@pytest.mark.parametrize(
    ("env", "tty", "flag", "expected"),
    [({}, True, None, True), ({"NO_COLOR": "1"}, True, None, False), ({}, False, None, False),
     ({}, False, True, True), ({}, True, False, False)],
)
def test_colour_only_on_a_terminal_without_no_color(env: dict[str, str], tty: bool,
                                                    flag: bool | None, expected: bool) -> None:
    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert wants_color(Stream(), env, flag) is expected
