"""The YAML spec: load, validate and normalize spec files into DesiredState objects.

Pure but for reading files. Every problem of every file is collected before anything is
returned: `load_specs` raises one SpecError listing them all, `validate_paths` returns them.
"""

from __future__ import annotations

import os
from typing import Hashable, Sequence

from reconciler.gc_pause import collector_paused
from reconciler.model import DesiredState
from reconciler.spec.errors import SpecError, SpecProblem
from reconciler.spec.loader import expand_paths, load_file
from reconciler.spec.names import check_names
from reconciler.spec.normalize import to_desired_state
from reconciler.spec.schema import schema_issues
from reconciler.spec.semantic import semantic_issues
from reconciler.spec.source import SpecFile, resolve

__all__ = ["SpecError", "SpecProblem", "load_specs", "validate_paths"]

SpecPaths = Sequence["str | os.PathLike[str]"]


def load_specs(paths: SpecPaths) -> list[DesiredState]:
    """One DesiredState per workspace named by the files, in first-seen order.

    Paths are files, or folders whose spec files load in path order (loader.expand_paths).
    Raises SpecError with every problem found.
    """
    states, problems = _load(paths)
    if problems:
        raise SpecError(problems)
    return states


def validate_paths(paths: SpecPaths) -> list[SpecProblem]:
    """Every problem of the spec at these paths; empty when it is valid."""
    return _load(paths)[1]


def _load(paths: SpecPaths) -> tuple[list[DesiredState], list[SpecProblem]]:
    with collector_paused():
        return _load_all(paths)


def _load_all(paths: SpecPaths) -> tuple[list[DesiredState], list[SpecProblem]]:
    file_paths, problems = expand_paths(paths)
    groups: dict[Hashable, list[tuple[SpecFile, bool]]] = {}
    for path in file_paths:
        spec_file, file_problems = _check_file(path)
        problems += file_problems
        workspace = spec_file.workspace_key() if spec_file else None
        if spec_file is not None and workspace is not None:
            groups.setdefault(workspace, []).append((spec_file, not file_problems))
    reported = {(problem.file, problem.line, problem.column) for problem in problems}
    for group in groups.values():
        files, trusted = [file for file, _ in group], [ok for _, ok in group]
        # A name refused in its file (invisible characters) is not also an unknown client.
        problems += [problem for problem in map(resolve, semantic_issues(files, trusted))
                     if (problem.file, problem.line, problem.column) not in reported]
    if problems:
        return [], _ordered(_distinct(problems), file_paths)
    return [to_desired_state([file for file, _ in group]) for group in groups.values()], []


def _check_file(path: str) -> tuple[SpecFile | None, list[SpecProblem]]:
    spec_file, problems = load_file(path)
    if spec_file is None:
        return None, problems
    # Names first: they are NFC-normalized in place for every check after this one.
    problems += [resolve(issue) for issue in check_names(spec_file)]
    # A value the YAML layer already refused (a bad tag, say) reads as null, and a name
    # refused above may break a schema rule too: do not report the same place twice.
    taken = {(problem.line, problem.column) for problem in problems}
    problems += [problem for problem in map(resolve, schema_issues(spec_file))
                 if (problem.line, problem.column) not in taken]
    return spec_file, problems


def _distinct(problems: list[SpecProblem]) -> list[SpecProblem]:
    """One message per mistake: a bad value written once under an anchor and reached again
    through an alias or a `<<` merge is found at each place it is used, with the same words
    at the same line and column (only the breadcrumb differs); the first one found is kept."""
    seen: set[tuple[str, int | None, int | None, str]] = set()
    kept: list[SpecProblem] = []
    for problem in problems:
        key = (problem.file, problem.line, problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def _ordered(problems: list[SpecProblem], file_paths: list[str]) -> list[SpecProblem]:
    order = {path: index for index, path in enumerate(file_paths)}
    return sorted(problems, key=lambda problem: (order.get(problem.file, -1),
                                                 problem.line or 0, problem.column or 0))
