"""Spec files -> plain data plus the YAML node tree: limits, encoding, YAML syntax, duplicates.

One C-parser compose per file, then a small tree builder that does what PyYAML's
SafeConstructor does for the types a spec uses, faster, and stricter: duplicate keys, unknown
tags, non-finite numbers and alias bombs are problems instead of silent surprises.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from typing import Any, Iterable

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import CollectionEndEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.spec.errors import SpecProblem
from reconciler.spec.source import (
    MERGE_TAG,
    STR_TAG,
    SpecFile,
    breadcrumb,
    describe,
    path_to_node,
    position,
)

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_ALIASES = 100
MAX_ALIAS_NODES = 100_000
MAX_DEPTH = 64  # a spec needs 5 levels; the C composer recurses (and crashes) on deep input
MAX_TAB_PROBLEMS = 20

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SAFE = SafeConstructor()  # only its stateless scalar converters are used
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_TAB_INDENT = re.compile(r"^ *\t", re.MULTILINE)
# An anchor (`&name`) starts a token; without one there can be no alias, so no tracking.
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&")
# Cheap bounds on nesting: block nesting needs a long prefix of spaces and `- ? :` indicators;
# flow nesting needs brackets, minus those of simple leaf lists such as `[a, b]`.
_DEEP_BLOCK_LINE = re.compile("[\n\r\x85\u2028\u2029][ ?:-]{200}")
_FLOW_LEAF = re.compile(r"[\[{][^\[\]{}'\"#!\n\r]*[\]}]")
_MAX_CHEAP_FLOW = 500
_FLOW_PASSES = 3


class _Refused(Exception):
    """A file that cannot be read any further; carries its one problem."""

    def __init__(self, problem: SpecProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# ---------------------------------------------------------------------------- paths


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[str], list[SpecProblem]]:
    """Files to load, in order: files as given, then each folder's spec files (`_spec_files_in`)."""
    files: list[str] = []
    problems: list[SpecProblem] = []
    seen: set[str] = set()
    for given in paths:
        path = os.fsdecode(os.fspath(given))
        if os.path.isdir(path):
            found = _spec_files_in(path, problems)
        elif os.path.exists(path):
            found = [path]
        else:
            problems.append(SpecProblem(path, None, None, "", "no such file or directory"))
            found = []
        for file in found:
            real = os.path.realpath(file)
            if real not in seen:  # a file named twice (itself and its folder) loads once
                seen.add(real)
                files.append(file)
    if not files and not problems:
        problems.append(SpecProblem("", None, None, "", "no spec files given"))
    return files, problems


def is_spec_file_name(name: str) -> bool:
    """`*.yaml` or `*.yml` in any letter case (`Clients.YAML` too), not hidden."""
    return not name.startswith(".") and name.lower().endswith((".yaml", ".yml"))


def _spec_files_in(folder: str, problems: list[SpecProblem]) -> list[str]:
    """Every spec file under `folder`, sub-folders included, sorted by path below the folder.

    Skipped, as README and `--help` say: hidden files and folders (a leading dot: .git,
    .github, editor files) and files of other types. A folder reached again through a
    symbolic link (a loop, or a second link to it) is read once.
    """
    found: list[tuple[tuple[str, ...], str]] = []
    visited: set[str] = set()
    pending: list[tuple[str, tuple[str, ...]]] = [(folder, ())]
    while pending:
        directory, parts = pending.pop()
        real = os.path.realpath(directory)
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            problems.append(SpecProblem(directory, None, None, "",
                                        f"cannot list: {error.strerror or error}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if _is_folder(entry):
                pending.append((entry.path, parts + (entry.name,)))
            elif is_spec_file_name(entry.name):
                found.append((parts + (entry.name,), entry.path))
    if not found:
        problems.append(SpecProblem(folder, None, None, "", "folder holds no spec files "
                                    "(*.yaml or *.yml, in sub-folders too; hidden ones are "
                                    "skipped)"))
    return [path for _, path in sorted(found)]


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symbolic links; a dangling one is not a folder
    except OSError:
        return False


# ---------------------------------------------------------------------------- one file


def load_file(path: str) -> tuple[SpecFile | None, list[SpecProblem]]:
    """Parse one file; the SpecFile is None when nothing usable could be read."""
    try:
        raw = _read(path)
        text = _decode(path, raw)
        _refuse_deep_nesting(path, raw, text)
        root = _compose(path, raw, text)
    except _Refused as refused:
        return None, [refused.problem]
    builder = _TreeBuilder(track_aliases=_ANCHOR.search(text) is not None)
    try:
        data = builder.build(root, 0)
    except _Refused as refused:
        problem = dataclasses.replace(refused.problem, file=path)
        return None, builder.located_problems(path, root, None) + [problem]
    problems = builder.located_problems(path, root, data)
    if not isinstance(data, dict):
        return None, problems
    return SpecFile(path, raw, data, root), problems


def _problem(path: str, line: int | None, column: int | None, message: str) -> _Refused:
    return _Refused(SpecProblem(path, line, column, "", message))


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            if os.fstat(stream.fileno()).st_size > MAX_FILE_BYTES:
                raise _oversized(path)
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _problem(path, None, None, f"cannot read: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _oversized(path)
    return raw


def _oversized(path: str) -> _Refused:
    return _problem(path, None, None,
                    f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB (the limit); "
                    "split the spec into several files")


def _decode(path: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")  # a BOM survives as U+FEFF, which YAML itself accepts
    except UnicodeDecodeError as error:
        line, column = _byte_position(raw, error.start)
        raise _problem(
            path, line, column,
            f"not valid UTF-8: byte 0x{raw[error.start]:02x} at byte offset {error.start} "
            "cannot be decoded; save the file as UTF-8",
        ) from None


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    offset = max(0, min(offset, len(raw)))
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", "replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _refuse_deep_nesting(path: str, raw: bytes, text: str) -> None:
    if not _may_nest_deeply(text):
        return
    depth = 0
    try:
        for event in yaml.parse(raw, Loader=_LOADER):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise _problem(path, mark.line + 1, mark.column + 1, _too_deep_message())
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as error:
        # Newer libyaml builds stop deep flow nesting themselves, in the scanner, before the
        # parser has yielded the events counted above: report it as our limit all the same.
        if "nesting depth" in str(error):
            mark = getattr(error, "problem_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
            raise _problem(path, line, column, _too_deep_message()) from None
        return  # the compose that follows reports it, at no greater depth than seen here


def _may_nest_deeply(text: str) -> bool:
    if _DEEP_BLOCK_LINE.search(text) or _DEEP_BLOCK_LINE.match("\n" + text[:256]):
        return True
    # Each pass removes the innermost flow collections (`[a, b]`, then `{name: P, x: }`...):
    # nesting is at most the passes made plus the openers left.
    for passes in range(_FLOW_PASSES + 1):
        if passes + text.count("[") + text.count("{") <= _MAX_CHEAP_FLOW:
            return False
        if passes < _FLOW_PASSES:
            text = _FLOW_LEAF.sub("", text)
    return True


def _too_deep_message() -> str:
    return f"YAML nested more than {MAX_DEPTH} levels deep (the limit); a spec needs 5"


def _compose(path: str, raw: bytes, text: str) -> MappingNode:
    loader = _LOADER(raw)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise _Refused(_syntax_problem(path, text, error)) from None
    except yaml.reader.ReaderError as error:
        line, column = _byte_position(raw, error.position)
        raise _problem(path, line, column,
                       f"character #x{error.character:04x} is not allowed in YAML "
                       f"({error.reason})") from None
    except RecursionError:  # only the pure-Python fallback loader recurses in Python
        raise _problem(path, None, None, _too_deep_message()) from None
    finally:
        loader.dispose()
    if root is None:
        raise _problem(path, None, None, "the file is empty (or only comments); expected a "
                       "mapping with at least version and workspace")
    if not isinstance(root, MappingNode):
        line, column = position(root)
        found = describe(root.value) if isinstance(root, ScalarNode) else "a list"
        raise _problem(path, line, column, "the top level must be a mapping with version and "
                       f"workspace, got {found}")
    return root


def _syntax_problem(path: str, text: str, error: yaml.MarkedYAMLError) -> SpecProblem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
    tab_lines = _tab_indented_lines(text)
    if tab_lines and (line is None or tab_lines[0][0] <= line):
        return _tab_problem(path, tab_lines)
    if error.context == "expected a single document in the stream":
        return SpecProblem(path, line, column, "", "a second YAML document starts here; a spec "
                           "file holds exactly one (put each in a file of its own)")
    if error.context in ("while scanning an alias", "while scanning an anchor") \
            and error.context_mark is not None:
        return _indicator_problem(path, text, error.context_mark)
    if error.problem == "found undefined alias" and error.problem_mark is not None:
        return _indicator_problem(path, text, error.problem_mark)
    message = f"YAML syntax error: {error.problem}"
    if error.context and error.context_mark:
        message += (f" ({error.context} at line {error.context_mark.line + 1}, "
                    f"column {error.context_mark.column + 1})")
    return SpecProblem(path, line, column, "", message + _syntax_hint(text, error))


def _syntax_hint(text: str, error: yaml.MarkedYAMLError) -> str:
    """What to do about the two syntax errors the nested lists of a spec make common."""
    if error.problem == "did not find expected '-' indicator" and error.context_mark \
            and error.context == "while parsing a block collection":
        # `members:` then `- user: a@b` then `manager: true` at the dash's column.
        return (f"; this line starts at the column of the `- ` items of the list at line "
                f"{error.context_mark.line + 1}, but is no item: indent it 2 more spaces if it "
                "belongs to the item above, or start it with `- `")
    if (error.problem or "").startswith("mapping values are not allowed") and error.problem_mark:
        # `- name: Review: phase 1`: the second `: ` makes YAML expect a mapping.
        lines = text.splitlines()
        line_text = lines[error.problem_mark.line] if error.problem_mark.line < len(lines) else ""
        key, separator, value = line_text.strip().removeprefix("- ").partition(": ")
        value = value.split(" #", 1)[0]  # a comment after the value is no part of it
        if separator and value.strip():
            quoted = json.dumps(value.strip(), ensure_ascii=not value.isprintable())
            return f"; a value with `: ` in it must be in quotes: write {key}: {quoted}"
        return "; a value with `: ` in it must be in quotes"
    return ""


def _indicator_problem(path: str, text: str, mark: yaml.Mark) -> SpecProblem:
    """`- */Review` or `[*/user:owner@acme.test]`: a glob starting with `*` (or a name with
    `&`) is an alias (anchor) to YAML, so the scanner stops with words about aliases."""
    line_text = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
    value = re.split(r"[\s,\]}]", line_text[mark.column:], maxsplit=1)[0] or line_text[
        mark.column:mark.column + 1]
    quoted = json.dumps(value, ensure_ascii=not value.isprintable())
    what = "an alias" if value[:1] == "*" else "an anchor"
    return SpecProblem(path, mark.line + 1, mark.column + 1, "",
                       f"YAML reads the unquoted {value} as {what} (a leading {value[:1]}), "
                       f"not as text: write it in quotes, {quoted}")


def _tab_indented_lines(text: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    line, scanned = 1, 0
    for match in _TAB_INDENT.finditer(text):
        line += text.count("\n", scanned, match.start())
        scanned = match.start()
        found.append((line, match.end() - match.start()))
    return found


def _tab_problem(path: str, tab_lines: list[tuple[int, int]]) -> SpecProblem:
    # Tabs on many lines are one mistake: name the first place and count the others.
    line, column = tab_lines[0]
    others = len(tab_lines) - 1
    more = f" (and on {others} more line{'s' if others > 1 else ''})" if others else ""
    return SpecProblem(path, line, column, "", "a tab character is used for indentation"
                       f"{more}; YAML indents with spaces only")


# ---------------------------------------------------------------------------- nodes -> data


class _Surprising(ValueError):
    """A number YAML 1.1 reads other than its reader would: the message says how to write it."""


def _build_int(node: ScalarNode) -> int:
    text = node.value
    if text.isascii() and text.isdigit() and (text[0] != "0" or text == "0"):
        return int(text)  # the common case; YAML 1.1 forms (0x1f, 1_000, 010) go the long way
    number = _SAFE.construct_yaml_int(node)
    _refuse_surprising(text, number)
    return number


def _build_float(node: ScalarNode) -> float:
    number = _SAFE.construct_yaml_float(node)
    if not math.isfinite(number):
        raise ValueError("not finite")
    _refuse_surprising(node.value, number)
    return number


_OCTAL = re.compile(r"[-+]?0[0-7_]+")


def _refuse_surprising(text: str, number: float) -> None:
    """`estimated_hours: 1:30` is 90 to YAML 1.1 (base 60, as in a time) and `rate: 010` is 8
    (octal): accepted, they would reach Toggl as numbers nobody reviewing the spec sees."""
    shown = _number(number)
    if ":" in text:
        raise _Surprising(f"YAML 1.1 reads the unquoted {text} as the base-60 number {shown} (as "
                          f"in a time of day): write \"{text}\" in quotes for text, or {shown} "
                          "for that number")
    decimal = text.replace("_", "")
    if _OCTAL.fullmatch(text) and int(decimal, 10) != number:
        raise _Surprising(f"YAML 1.1 reads the unquoted {text} as the octal number {shown} "
                          f"(a leading 0): write {int(decimal, 10)} without the leading zero, "
                          f"or \"{text}\" in quotes for text")


def _number(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


_SCALAR_BUILDERS = {
    "tag:yaml.org,2002:null": lambda node: None,
    "tag:yaml.org,2002:bool": lambda node: SafeConstructor.bool_values[node.value.lower()],
    "tag:yaml.org,2002:int": _build_int,
    "tag:yaml.org,2002:float": _build_float,
    "tag:yaml.org,2002:timestamp": _SAFE.construct_yaml_timestamp,
}
_SCALAR_WORDS = {
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a finite number",
    "tag:yaml.org,2002:timestamp": "a date",
}


class _TreeBuilder:
    """Builds dicts, lists and scalars from composed nodes, collecting problems on the way."""

    def __init__(self, track_aliases: bool) -> None:
        # Without anchors in the text every node is reached once, so the bookkeeping for
        # aliases (and the cost of it) is skipped.
        self.track_aliases = track_aliases
        self.problems: list[tuple[Node, str | None, Node, str]] = []
        self.built: dict[int, Any] = {}
        self.in_progress: set[int] = set()
        self.sizes: dict[int, int] = {}
        self.alias_count = 0
        self.alias_nodes = 0

    def build(self, node: Node, depth: int) -> Any:
        if depth >= MAX_DEPTH:  # the root is depth 0 here, level 1 to the event scan
            raise self._refusal(node, _too_deep_message())
        if not self.track_aliases:
            return self._build_node(node, depth)
        key = id(node)
        if key in self.built:
            self._count_alias(node)
            return self.built[key]
        if key in self.in_progress:
            raise self._refusal(node, "a YAML alias refers to a node that contains it; a spec "
                                "cannot be recursive")
        self.in_progress.add(key)
        value = self._build_node(node, depth)
        self.in_progress.discard(key)
        self.built[key] = value
        return value

    def _build_node(self, node: Node, depth: int) -> Any:
        kind = type(node)
        if kind is ScalarNode:
            return self._scalar(node)
        if node.tag != (_MAP_TAG if kind is MappingNode else _SEQ_TAG):
            return self._unsupported_tag(node)
        if kind is MappingNode:
            return self._mapping(node, depth)
        return self._sequence(node, depth)

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == STR_TAG:
            return node.value
        builder = _SCALAR_BUILDERS.get(node.tag)
        if builder is None:
            return self._unsupported_tag(node)
        try:
            return builder(node)
        except _Surprising as surprising:
            self.problems.append((node, None, node, str(surprising)))
            return None
        except (ValueError, KeyError, OverflowError, yaml.YAMLError):
            word = _SCALAR_WORDS.get(node.tag, "a value")
            self.problems.append((node, None, node, f"{describe(node.value)} is not {word}"))
            return None

    def _unsupported_tag(self, node: Node) -> None:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
        self.problems.append((node, None, node, f"unsupported YAML tag {tag}: a spec holds "
                              "only strings, numbers, booleans, null, lists and mappings"))
        return None

    def _sequence(self, node: SequenceNode, depth: int) -> list[Any]:
        if self.track_aliases:
            return [self.build(item, depth + 1) for item in node.value]
        return [
            item.value if type(item) is ScalarNode and item.tag == STR_TAG
            else self.build(item, depth + 1)
            for item in node.value
        ]

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merges: list[Node] = []
        fast = not self.track_aliases
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag != STR_TAG:
                self._odd_key(node, key_node, value_node, merges)
                continue
            key = key_node.value
            if key in result:
                self._duplicate_key(node, key_node)
            elif fast and type(value_node) is ScalarNode and value_node.tag == STR_TAG:
                result[key] = value_node.value
            else:
                if not fast:
                    self.build(key_node, depth + 1)  # counts a key written as an alias
                result[key] = self.build(value_node, depth + 1)
        if merges:
            self._merge(result, merges, depth)
        return result

    def _odd_key(self, owner: MappingNode, key_node: Node, value_node: Node,
                 merges: list[Node]) -> None:
        if key_node.tag == MERGE_TAG:
            if merges:  # a second `<<` would be dropped silently: YAML holds each key once
                self._duplicate_key(owner, key_node, MERGE_TAG)
            merges.append(value_node)
            return
        if isinstance(key_node, ScalarNode):
            message = (f"key {key_node.value} is read as {_SCALAR_WORDS.get(key_node.tag, 'a value')}"
                       f", not text: write \"{key_node.value}\" in quotes")
        else:
            message = "a key must be plain text, not a list or mapping"
        self.problems.append((owner, None, key_node, message))

    def _duplicate_key(self, owner: MappingNode, key_node: Node, tag: str = STR_TAG) -> None:
        first = next(k for k, _ in owner.value if k.value == key_node.value and k.tag == tag)
        line, column = position(first)
        hint = " (merge several mappings with `<<: [*a, *b]`)" if tag == MERGE_TAG else ""
        self.problems.append((owner, key_node.value if tag == STR_TAG else None, key_node,
                              f"duplicate key {key_node.value!r}: already set at line {line}, "
                              f"column {column}; a mapping holds each key once{hint}"))

    def _merge(self, result: dict[str, Any], merges: list[Node], depth: int) -> None:
        # YAML merge keys: keys written in the mapping win, then earlier merged mappings.
        for value_node in merges:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                merged = self.build(source, depth + 1)
                if not isinstance(merged, dict):
                    self.problems.append((source, None, source, "a `<<` merge takes a mapping "
                                          "or a list of mappings"))
                    continue
                for key, value in merged.items():
                    result.setdefault(key, value)

    def _count_alias(self, node: Node) -> None:
        self.alias_count += 1
        if self.alias_count > MAX_ALIASES:
            raise self._refusal(node, f"more than {MAX_ALIASES} YAML aliases (the limit); "
                                "write the values out instead")
        self.alias_nodes += self._size(node)
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise self._refusal(node, f"aliases of this anchored value expand to more than "
                                f"{MAX_ALIAS_NODES:,} nodes (the limit, against alias bombs); "
                                "use fewer aliases")

    def _size(self, node: Node) -> int:
        """Nodes under `node` with every alias expanded, memoized (the tree is a DAG here)."""
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, MappingNode):
            size = 1 + sum(self._size(key) + self._size(value) for key, value in node.value)
        elif isinstance(node, SequenceNode):
            size = 1 + sum(self._size(item) for item in node.value)
        else:
            size = 1
        self.sizes[id(node)] = size
        return size

    def _refusal(self, node: Node, message: str) -> _Refused:
        line, column = position(node)
        return _Refused(SpecProblem("", line, column, "", message))

    def located_problems(self, path: str, root: MappingNode, data: Any) -> list[SpecProblem]:
        located = []
        for owner, key, point, message in self.problems:
            data_path = path_to_node(root, owner) + ((key,) if key is not None else ())
            line, column = position(point)
            located.append(SpecProblem(path, line, column, breadcrumb(data, data_path), message))
        return located
