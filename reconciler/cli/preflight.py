"""Checks that run before a command spends any request: can its output files be written?

A plan that reads twenty pages and then cannot save itself wastes the user's hourly quota and
used to end in "internal error ... This is a bug". Each file a command will write is tried
here first, and a problem is reported naming the flag or variable that chose the file.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Mapping

from reconciler.errors import UsageError

# command -> (argparse attribute, the flag as the user typed it) of every file it writes
OUTPUT_FLAGS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "plan": (("out", "--out"),),
    "export": (("output", "--output"),),
}
# command -> environment variables naming a file it appends to
OUTPUT_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "plan": ("GITHUB_STEP_SUMMARY",),
}


def check_output_paths(args: argparse.Namespace, env: Mapping[str, str]) -> None:
    command = getattr(args, "command", None) or ""
    for attribute, flag in OUTPUT_FLAGS.get(command, ()):
        value = getattr(args, attribute, None)
        if value:
            check_writable(str(value), flag)
    for variable in OUTPUT_VARIABLES.get(command, ()):
        value = env.get(variable)
        if value:
            check_writable(value, f"${variable}")


def check_writable(path: str, source: str) -> None:
    """Raise UsageError unless `path` can be written, without changing an existing file: it is
    opened for appending and closed; a file that did not exist is created and removed again.
    (os.access is not enough: it says yes to root on a read-only file system.)"""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{source} {path}: is a folder, not a file.")
    if not target.parent.is_dir():
        raise UsageError(f"{source} {path}: the folder {target.parent} does not exist.")
    existed = target.exists()
    try:
        with open(target, "ab"):
            pass
    except OSError as error:
        raise UsageError(f"{source} {path}: cannot be written ({error.strerror or error}).") from None
    if not existed:
        try:
            os.unlink(target)
        except OSError:
            pass
