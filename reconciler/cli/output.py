"""All terminal output goes through one Output, so that tests capture it in one place and no
secret can reach the screen: every line is scrubbed of the credentials the process was given."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Iterable, Mapping, TextIO

SECRET_VARIABLES = ("TOGGL_API_TOKEN", "MATON_API_KEY")
REDACTED = "[redacted]"
# Shorter values could be ordinary words; a real token or key is 32+ characters.
_MIN_SECRET_CHARS = 6


def secrets_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    values = (env.get(name, "") for name in SECRET_VARIABLES)
    return tuple(v for v in values if len(v) >= _MIN_SECRET_CHARS)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def wants_color(stream: TextIO, env: Mapping[str, str], flag: bool | None) -> bool:
    """Colour on a terminal; never with NO_COLOR (https://no-color.org) or when piped."""
    if flag is not None:
        return flag
    if env.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


@dataclass
class Output:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    secrets: tuple[str, ...] = ()
    color: bool = False
    verbose: bool = False

    def add_secret(self, secret: str | None) -> None:
        if secret and len(secret) >= _MIN_SECRET_CHARS and secret not in self.secrets:
            self.secrets = self.secrets + (secret,)

    def out(self, text: str = "") -> None:
        self.stdout.write(redact(text, self.secrets) + "\n")
        self.stdout.flush()

    def err(self, text: str) -> None:
        self.stderr.write(redact(text, self.secrets) + "\n")
        self.stderr.flush()

    def info(self, text: str) -> None:
        """Progress and diagnostics: stderr, so stdout stays the plan (pipeable JSON)."""
        self.err(text)

    def debug(self, text: str) -> None:
        if self.verbose:
            self.err(text)

    def scrub(self, text: str) -> str:
        return redact(text, self.secrets)


def default_output(env: Mapping[str, str] | None = None) -> Output:
    env = os.environ if env is None else env
    return Output(secrets=secrets_from_env(env))
