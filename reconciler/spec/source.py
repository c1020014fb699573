"""Parsed spec files, and how a problem found in their data is traced back to line and column.

Validation works on plain data (fast); positions are looked up in the YAML node tree only for
the few paths that have a problem, so a valid spec never pays for them.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Union

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from reconciler.model import name_key
from reconciler.spec.errors import SpecProblem

PathSegment = Union[str, int]
DataPath = tuple[PathSegment, ...]

STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
# Spec sections whose list entries are named objects, and the word for one entry.
ENTRY_KINDS = {"clients": "client", "projects": "project", "tags": "tag", "groups": "group"}
# The lists inside a project entry, labelled like entries in breadcrumbs
# (`projects[0] (project 'P'): tasks[1] (task 'Wireframes')`).
_PROJECT_LISTS = {"tasks": "task", "members": "member"}
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_RESOLVER = Resolver()  # YAML 1.1's implicit types, to tell a tag written on a value apart
_TAG_WORDS = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
}


@dataclass(frozen=True, eq=False)
class SpecFile:
    """One parsed spec file: its plain data and the node tree it came from (for positions)."""

    path: str
    content: bytes  # the file's bytes, for the spec hash
    data: dict[str, Any]
    root: MappingNode

    def workspace_key(self) -> tuple[str, str | int] | None:
        """Files with equal keys describe the same workspace; None when `workspace` is unusable."""
        workspace = self.data.get("workspace")
        if is_integer(workspace):
            return ("id", int(workspace))
        if isinstance(workspace, str) and workspace.strip():
            return ("name", name_key(workspace))
        return None


@dataclass(frozen=True)
class Issue:
    """A problem at a data path of one file, before its position is looked up."""

    file: SpecFile
    path: DataPath
    message: str
    at_key: bool = False  # point at the key itself (unknown or duplicate keys)
    quote_hint: bool = False  # a string was expected: explain YAML 1.1 surprises such as `no`
    number_hint: bool = False  # a number was expected: explain `1e+300` read as text


def is_integer(value: Any) -> bool:
    """An integer as JSON Schema sees it: not a boolean, and 5.0 counts."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def describe(value: Any) -> str:
    """A value as a message shows it: strings quoted, YAML spellings for the rest."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def node_at(root: Node, path: DataPath) -> tuple[Node, Node | None]:
    """The deepest node along `path` (value node, and its key node when reached by a key)."""
    node: Node = root
    key_node: Node | None = None
    for segment in path:
        child = _child(node, segment)
        if child is None:
            break
        node, key_node = child
    return node, key_node


def _child(node: Node, segment: PathSegment) -> tuple[Node, Node | None] | None:
    if isinstance(node, SequenceNode) and isinstance(segment, int):
        return (node.value[segment], None) if 0 <= segment < len(node.value) else None
    if not isinstance(node, MappingNode):
        return None
    merged: list[Node] = []
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == segment:
            if key_node.tag == STR_TAG:
                return value_node, key_node
        if key_node.tag == MERGE_TAG:
            merged.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
    for source in merged:  # a key that came from a `<<` merge lives in the merged mapping
        found = _child(source, segment)
        if found is not None:
            return found
    return None


def path_to_node(root: Node, target: Node) -> DataPath:
    """The data path of the first occurrence of `target` in the tree (empty when not found)."""
    stack: list[tuple[Node, DataPath]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(reversed(list(_children(node, path))))
    return ()


def _children(node: Node, path: DataPath) -> Iterator[tuple[Node, DataPath]]:
    if isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield item, path + (index,)
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            yield value_node, path + (str(key_node.value),)


def breadcrumb(data: Any, path: DataPath) -> str:
    """`projects[3] (project 'Globex/Website'): color` for ("projects", 3, "color")."""
    parts: list[str] = []
    for depth, segment in enumerate(path):
        if isinstance(segment, int):
            label = (parts.pop() if parts else "") + f"[{segment}]"
            if depth == 1 and path[0] in ENTRY_KINDS:
                label += _entry_label(data, str(path[0]), segment)
            elif depth == 3 and path[0] == "projects" and path[2] in _PROJECT_LISTS:
                label += _inner_label(data, path[:3], segment)
            parts.append(label)
        else:
            parts.append(segment)
    return ": ".join(parts)


def _entry_label(data: Any, section: str, index: int) -> str:
    entries = data.get(section) if isinstance(data, dict) else None
    if not isinstance(entries, list) or not 0 <= index < len(entries):
        return ""
    entry = entries[index]
    name = entry.get("name") if isinstance(entry, dict) else entry
    if not isinstance(name, str):
        return ""
    client = entry.get("client") if isinstance(entry, dict) else None
    address = f"{client}/{name}" if isinstance(client, str) else name
    return _label(ENTRY_KINDS[section], address)


def _inner_label(data: Any, path: DataPath, index: int) -> str:
    """` (task 'Wireframes')`, ` (user 'ana@acme.test')`, ` (group 'Designers')`."""
    holder: Any = data
    for segment in path:
        if isinstance(segment, int):
            holder = holder[segment] if isinstance(holder, list) and 0 <= segment < len(holder) else None
        else:
            holder = holder.get(segment) if isinstance(holder, dict) else None
    if not isinstance(holder, list) or not 0 <= index < len(holder):
        return ""
    item = holder[index]
    if path[-1] == "tasks":
        name = item.get("name") if isinstance(item, dict) else item
        return _label("task", name) if isinstance(name, str) else ""
    for key in ("user", "group"):
        if isinstance(item, dict) and isinstance(item.get(key), str):
            return _label(key, item[key])
    return ""


def _label(kind: str, address: str) -> str:
    if len(address) > 60:  # a 5 MB name must not make a 5 MB message
        address = address[:57] + "..."
    return f" ({kind} {address!r})"


def position(node: Node) -> tuple[int, int]:
    """1-based line and column where a node starts."""
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def where(file: SpecFile, path: DataPath) -> str:
    """`file:line:column` of a data path, for messages that name a second place."""
    line, column = position(node_at(file.root, path)[0])
    return f"{file.path}:{line}:{column}"


def resolve(issue: Issue) -> SpecProblem:
    node, key_node = node_at(issue.file.root, issue.path)
    line, column = position(key_node if issue.at_key and key_node is not None else node)
    message = issue.message
    if issue.quote_hint:
        message += _quote_hint(node) or _comment_hint(issue.file, node)
    if issue.number_hint:
        message += _number_text_hint(node)
    return SpecProblem(issue.file.path, line, column, breadcrumb(issue.file.data, issue.path),
                       message)


def _quote_hint(node: Node) -> str:
    word = _TAG_WORDS.get(node.tag)
    plain = isinstance(node, ScalarNode) and not node.style  # None (Python parser) or '' (C)
    if not plain or not word or not node.value:
        return ""
    if _explicit_tag(node):  # `!!int 5`: quotes would not help, the tag decides
        return _tag_hint(node, word)
    return f" (YAML reads the unquoted {node.value} as {word}: write \"{node.value}\" in quotes)"


def _explicit_tag(node: ScalarNode) -> bool:
    """Whether a plain scalar's type came from a tag written on it (`!!str 1`), not its text."""
    return _RESOLVER.resolve(ScalarNode, node.value, (True, False)) != node.tag


def _tag_hint(node: ScalarNode, word: str) -> str:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
    return f" (the {tag} tag makes YAML read {node.value} as {word}: remove the tag)"


def _comment_hint(file: SpecFile, node: Node) -> str:
    """`color: #0b83d9` unquoted: YAML reads `#` as a comment, so the value is empty (null)."""
    if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:null" or node.value:
        return ""
    lines = file.content.split(b"\n", node.start_mark.line + 1)
    if node.start_mark.line >= len(lines):
        return ""
    rest = lines[node.start_mark.line].decode("utf-8", "replace")[node.start_mark.column:]
    if not rest.lstrip().startswith("#"):
        return ""
    comment = rest.lstrip().split()[0]
    return (f" (YAML reads the unquoted {comment} as a comment, so the value is empty: write "
            f"\"{comment}\" in quotes)")


def _number_text_hint(node: Node) -> str:
    """`rate: 1e+300` unquoted is text to YAML 1.1, which wants a dot in a float: say so."""
    if not isinstance(node, ScalarNode) or node.tag != STR_TAG or node.style:
        return ""
    try:
        number = float(node.value)
    except ValueError:
        return ""
    if _explicit_tag(node):  # `!!str 1`: text because of its tag, not because of YAML 1.1
        return _tag_hint(node, "text")
    if _LEADING_ZERO.fullmatch(node.value):  # `08`: an octal number with a digit octal lacks
        return (f" (YAML 1.1 reads the unquoted {node.value} as text: a leading 0 makes an "
                f"octal number, which has no digit 8 or 9; write {int(number)} without the "
                "leading zero)")
    if not math.isfinite(number):  # `1e309`: text to YAML 1.1, and infinite as a number
        return (f" (YAML 1.1 reads the unquoted {node.value} as text, and as a number it "
                "would be infinite: write a number within the range this key takes)")
    return (f" (YAML 1.1 reads the unquoted {node.value} as text, not a number: write it "
            f"with a dot and a signed exponent, such as {number:.1e}, or in full digits)")
