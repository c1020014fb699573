"""All output goes through one Output, so that tests capture it in one place and no line can
be steered by the data it shows.

Two kinds of output:
- messages (`out`, `err`, `info`, `debug`): the text plan, progress, warnings and errors. Every
  line is scrubbed of the credentials the process was given, then made safe for a terminal and
  a CI log (`reconciler.untrusted.safe_line`: no escape sequence but the tool's own colours, no
  CR, no control or bidi character, no `##[` or leading `::`). Untrusted names are escaped with
  `reconciler.untrusted.shown` before they are formatted into a message, so a line break inside
  a message is always the tool's own.
- reports (`report`): the Markdown plan, meant for a comment. Scrubbed and made safe like a
  message, but never wrapped in CI markers (below).
- documents (`document`): the JSON plan, the exported spec. Their producers escape every
  untrusted string inside them (JSON `\\uXXXX`, YAML double-quoted escapes), and they are
  written exactly: scrubbing a credential that is also an ordinary word out of data would
  change its meaning.

Under GitHub Actions (`GITHUB_ACTIONS` set), messages written to the log are wrapped in
`::stop-commands::<random token>` ... `::<token>::`, so that the runner acts on no workflow
command a name might still spell; the tool's own annotations (`annotate`) are written outside it.
Each stream opens its block before its first message and all blocks end at exit: the runner
reads stdout and stderr separately, so a marker is only sure to precede the lines of its own
stream. Output redirected to a file is not the log and gets no markers; a pipe cannot be told
apart from the log, so `plan | tee plan.txt` keeps them (reports and documents never get any).
"""

from __future__ import annotations

import os
import secrets as random_tokens
import stat
import sys
from dataclasses import dataclass, field
from typing import Mapping, TextIO

from reconciler.redaction import REDACTED, redact  # noqa: F401 - REDACTED is part of this module's interface
from reconciler.untrusted import safe_lines

SECRET_VARIABLES = ("TOGGL_API_TOKEN", "MATON_API_KEY")
# One or two characters cannot meaningfully leak, and scrubbing them (even as whole words)
# would blank out parts of messages; longer word-like values are scrubbed as whole words.
_MIN_SECRET_CHARS = 3
_RED, _YELLOW = "31", "33"  # the plan's own colours for deletes and warnings


def secrets_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    values = (env.get(name, "") for name in SECRET_VARIABLES)
    return tuple(v for v in values if len(v) >= _MIN_SECRET_CHARS)


def wants_color(stream: TextIO, env: Mapping[str, str], flag: bool | None) -> bool:
    """Colour on a terminal; never with NO_COLOR (https://no-color.org), on a terminal that
    says it has none (`TERM=dumb`: Emacs shells, some CI logs), or when piped."""
    if flag is not None:
        return flag
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def in_github_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS", "").lower() == "true"


def _is_regular_file(stream: TextIO) -> bool:
    """Output redirected to a file (`plan --format markdown > plan.md`) is not the CI log."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):  # io.StringIO and friends: no descriptor
        return False


def annotation_data(text: str) -> str:
    """A workflow command's message, escaped as the runner reads it back (one line)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@dataclass
class Output:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: tuple[str, ...] = ()
    color: bool = False  # on stdout
    err_color: bool = False  # on stderr, decided for that stream (`plan > file` on a terminal)
    verbose: bool = False
    # The stop-commands token under GitHub Actions, None elsewhere.
    ci_token: str | None = None
    _stopped: list[TextIO] = field(default_factory=list, repr=False)

    @classmethod
    def for_env(cls, env: Mapping[str, str], stdout: TextIO, stderr: TextIO) -> "Output":
        token = random_tokens.token_hex(16) if in_github_actions(env) else None
        return cls(stdout=stdout, stderr=stderr, secrets=secrets_from_env(env), ci_token=token)

    def add_secret(self, secret: str | None) -> None:
        if secret and len(secret) >= _MIN_SECRET_CHARS and secret not in self.secrets:
            self.secrets = self.secrets + (secret,)

    # ------------------------------------------------------------------ messages

    def out(self, text: str = "") -> None:
        self._message(self.stdout, text)

    def err(self, text: str) -> None:
        self._message(self.stderr, text)

    def error(self, text: str) -> None:
        """`Error: text` on stderr, the label red on a colour terminal."""
        self.err(self._label("Error:", _RED, self.err_color) + " " + text)

    def warning(self, text: str) -> None:
        """`Warning: text` on stderr, the label yellow as in the plan's own warnings."""
        self.err(self._label("Warning:", _YELLOW, self.err_color) + " " + text)

    @staticmethod
    def _label(label: str, colour: str, on: bool) -> str:
        return f"\x1b[{colour}m{label}\x1b[0m" if on else label

    def info(self, text: str) -> None:
        """Progress and diagnostics: stderr, so stdout stays the plan (pipeable JSON)."""
        self.err(text)

    def debug(self, text: str) -> None:
        if self.verbose:
            self.err(text)

    def prompt(self, text: str) -> None:
        """A question on stdout, without a line break (the answer follows on the same line)."""
        self._stop_commands(self.stdout)
        self.stdout.write(self.message_text(text))
        self.stdout.flush()

    def message_text(self, text: str) -> str:
        """`text` as a message line shows it: scrubbed, then safe for a terminal and a CI log."""
        return safe_lines(redact(text, self.secrets), keep_colour=self.color)

    def scrub(self, text: str) -> str:
        return redact(text, self.secrets)

    def report(self, text: str) -> None:
        """A rendered report meant for a file or a comment (the Markdown plan): scrubbed and made
        safe like a message, but never wrapped in stop-commands markers, which would end up in
        the comment when it is piped (`| tee plan.md`). Its renderer escapes every name so
        that no line of it is a workflow command."""
        self.stdout.write(self.message_text(text) + "\n")
        self.stdout.flush()

    # ------------------------------------------------------------------ documents

    def document(self, text: str) -> None:
        """A data document on stdout (JSON plan, exported spec), written exactly as given."""
        self.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        self.stdout.flush()

    # ------------------------------------------------------------------ CI log

    def annotate(self, level: str, text: str) -> None:
        """The tool's own workflow annotation (`::error::...`), outside the stop-commands block."""
        if self.ci_token is None:
            return
        self.resume_commands()
        self.stderr.write(f"::{level}::{annotation_data(self.message_text(text))}\n")
        self.stderr.flush()

    def resume_commands(self) -> None:
        """End the stop-commands blocks opened so far (at exit, and before an annotation)."""
        for stream in self._stopped:
            stream.write(f"::{self.ci_token}::\n")
            stream.flush()
        self._stopped.clear()

    def _message(self, stream: TextIO, text: str) -> None:
        self._stop_commands(stream)
        colour = self.err_color if stream is self.stderr else self.color
        stream.write(safe_lines(redact(text, self.secrets), keep_colour=colour) + "\n")
        stream.flush()

    def _stop_commands(self, stream: TextIO) -> None:
        # Each stream opens its own block before its first line: the runner reads stdout and
        # stderr separately, so only a marker on the same stream is sure to come first.
        if self.ci_token is None or any(s is stream for s in self._stopped):
            return
        if _is_regular_file(stream):
            return
        stream.write(f"::stop-commands::{self.ci_token}\n")
        self._stopped.append(stream)


def default_output(env: Mapping[str, str] | None = None) -> Output:
    env = os.environ if env is None else env
    return Output(secrets=secrets_from_env(env))
