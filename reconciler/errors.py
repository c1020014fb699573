"""Errors the user is meant to see, each with the exit code the CLI gives it.

Anything else that escapes a command is a bug: the CLI shows it as one short line (exit 1)
and the traceback only with --debug.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2  # plan --detailed-exitcode: changes pending
EXIT_UNSAFE = 3  # refused for safety: thresholds, stale saved plan
EXIT_QUOTA = 4  # Toggl's hourly quota would be or was exhausted


class ReconcilerError(Exception):
    """An expected failure with a message fit for the terminal."""

    exit_code: int = EXIT_ERROR


class UsageError(ReconcilerError):
    """Bad flags, missing credentials, or anything else the user can fix on the command line."""


class PlanFileError(ReconcilerError):
    """A saved plan file that cannot be trusted: corrupt, edited, or of an unknown format."""


class PlanningError(ReconcilerError):
    """The spec cannot be reconciled with this workspace (e.g. a paid feature on the free plan)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class UnsafePlanError(ReconcilerError):
    """A plan over the safety thresholds, or a saved plan whose objects changed since."""

    exit_code = EXIT_UNSAFE


class QuotaError(ReconcilerError):
    """The hourly API quota is (or would be) exhausted."""

    exit_code = EXIT_QUOTA
