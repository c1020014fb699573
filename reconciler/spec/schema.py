"""JSON Schema validation of one file's data against schemas/workspace.schema.json.

The compiled checker answers valid specs quickly; only a file it rejects is run through
`jsonschema`, whose errors are turned into short messages with the path they concern.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any, Iterator, Mapping

import jsonschema
from yaml.nodes import MappingNode

from reconciler.spec.fastcheck import Check, compile_schema
from reconciler.spec.source import Issue, SpecFile, describe, node_at, position

SCHEMA_PATH = Path(__file__).with_name("workspace.schema.json")

# What a pattern means, for messages ("expected #rrggbb, got 'red'").
_PATTERN_MEANINGS = {
    # Toggl trims names, so one written with spaces around it would never match live.
    "^\\S([\\s\\S]*\\S)?$": "a name that is not empty and neither starts nor ends with spaces",
    "^#[0-9a-fA-F]{6}$": "#rrggbb",
    "^[^@\\s]+@[^@\\s]+$": "an e-mail address such as ana@acme.test (one @, no spaces)",
}
# A project member names exactly one of these; only a user member has the rest.
_MEMBER_REFERENCES = ("user", "group")
_USER_MEMBER_FIELDS = ("manager", "rate")
_MEMBER_TITLE = "Project member"
# Enums longer than this are not listed in full in a message (the currency codes).
_LISTED_ENUM = 10
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@functools.lru_cache(maxsize=1)
def load_schema() -> Mapping[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as stream:
        return json.load(stream)


@functools.lru_cache(maxsize=None)
def checker(pointer: str = "#") -> Check:
    """The compiled yes/no checker for the schema or one of its `$defs`."""
    return compile_schema(load_schema(), pointer)


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


def schema_issues(file: SpecFile) -> list[Issue]:
    """Every schema problem of one file's data; empty (and fast) when it is valid."""
    if checker()(file.data):
        return []
    issues: dict[Issue, None] = {}  # insertion-ordered and O(1) to test: a file of 20,000
    explained: set[tuple[Any, ...]] = set()  # bad entries must not take quadratic time
    for error in _validator().iter_errors(file.data):
        # One message per value: `version: "1"` breaks both `type` and `const`. Missing and
        # unknown keys are one message each, however many share a mapping.
        about_value = error.validator not in ("required", "additionalProperties")
        for issue in _explain(file, error):
            if about_value and issue.path in explained:
                continue
            if about_value:
                explained.add(issue.path)
            issues.setdefault(issue)
    return list(issues)


def _explain(file: SpecFile, error: jsonschema.ValidationError) -> Iterator[Issue]:
    path = tuple(error.absolute_path)
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for key in value:
            if key not in allowed:
                yield Issue(file, path + (key,), _unknown_key(key, allowed, path), at_key=True)
    elif keyword == "required":
        # `nme: T` is one typo: the unknown key's "did you mean 'name'?" says it all.
        guessed = _guessed_keys(value, sorted(error.schema.get("properties", {})))
        for key in expected:
            if key not in value and key not in guessed:
                yield Issue(file, path, f"missing required key {key!r}")
    elif keyword in ("anyOf", "oneOf") and error.schema.get("title") == _MEMBER_TITLE:
        yield from _explain_member(file, path, value)
    elif keyword in ("anyOf", "oneOf"):
        yield from _explain_alternatives(file, error)
    elif keyword == "type" and path == ("version",):
        yield Issue(file, path, _keyword_message("const", 1, value, path))
    elif keyword == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        yield Issue(file, path, f"expected {_words(types)}, got {describe(value)}"
                    f"{_entry_hint(path, types, value)}{_null_hint(path, value)}"
                    f"{_list_hint(path, types, value)}{_shape_hint(path, types, value)}",
                    quote_hint=_may_quote(path, types),
                    number_hint=bool({"number", "integer"} & set(types)))
    else:
        yield Issue(file, path, _keyword_message(keyword, expected, value, path))


# Values no quoted YAML word could fix (a currency code, an e-mail): no "write it in quotes".
_UNQUOTABLE = ("default_currency", "user", "assignee")


def _may_quote(path: tuple[Any, ...], types: list[str]) -> bool:
    """Whether quoting the value could help: not where the value must be a code or an e-mail."""
    if "string" not in types or (path and path[-1] in _UNQUOTABLE):
        return False
    return not _is_group_member(path)


def _is_group_member(path: tuple[Any, ...]) -> bool:
    return len(path) == 4 and path[0] == "groups" and path[2] == "members"


def _entry_hint(path: tuple[Any, ...], types: list[str], value: Any) -> str:
    """`clients: [Globex]`: an entry written as a bare name where a mapping is wanted; a
    group's member written the way a project's is (`- user: ana@acme.test`)."""
    if _is_group_member(path) and isinstance(value, dict) and len(value) == 1:
        [written] = value.values()
        if isinstance(written, str):
            return (f" (a group's members are e-mails, without user: or other keys: write "
                    f"`- {written}`)")
    if "object" not in types or not isinstance(value, str):
        return ""
    if len(path) == 4 and path[0] == "projects" and path[2] == "members":
        key = "user" if "@" in value else "group"
        return f" (a member is a mapping: write `- {key}: {value}`)"
    if len(path) != 2 or path[0] not in ("clients", "projects", "groups"):
        return ""
    return f" (an entry is a mapping: write `- name: {value}`)"


# Where a value needs quotes inside a YAML flow list (`[a, b]`): anywhere, or at its start.
_FLOW_SPECIALS = frozenset(":#,[]{}'\"\\")
_FLOW_STARTS = frozenset("*&!|>%@`-? ")


def _flow_scalar(value: str) -> str:
    """The value as it can be written inside `[...]`: plain when it may be, else quoted."""
    if value and not (_FLOW_SPECIALS & set(value)) and value[0] not in _FLOW_STARTS \
            and value.isprintable():
        return value
    # A JSON string is a YAML double-quoted one; an invisible character is shown escaped.
    return json.dumps(value, ensure_ascii=not value.isprintable())


def _list_hint(path: tuple[Any, ...], types: list[str], value: Any) -> str:
    """`previous_names: Old` or `tasks: Review`: one name where a list is wanted."""
    if types != ["array"] or not isinstance(value, str) or not path or len(value) > 60:
        return ""
    value = _flow_scalar(value)
    if path in (("groups",), ("clients",), ("projects",)):
        item = f"{{name: {value}}}"
    elif len(path) == 3 and path[0] == "projects" and path[2] == "members":
        item = f"{{{'user' if '@' in value else 'group'}: {value}}}"
    elif path[-1] in ("previous_names", "tasks", "tags") or path[0] == "protected" or (
            path[0] == "groups" and path[-1] == "members"):
        item = value
    else:
        return ""
    return f" (a list, even of one: write `{path[-1]}: [{item}]`)"


# Lists of entries, and the mappings that hold keys, where YAML's `- ` is easy to get wrong.
_ENTRY_LISTS = ("clients", "projects", "tags", "groups", "members", "tasks")
_KEYED_BLOCKS = ("settings", "unmanaged", "protected", "safety", "defaults")


def _shape_hint(path: tuple[Any, ...], types: list[str], value: Any) -> str:
    """`tasks:` followed by `name: T` (no dash), or `settings:` followed by `- rounding: 1`."""
    if types == ["array"] and isinstance(value, dict) and path and path[-1] in _ENTRY_LISTS:
        return " (start each entry with `- `)"
    if types == ["object"] and isinstance(value, list) and len(path) == 1 \
            and path[0] in _KEYED_BLOCKS:
        return " (write its keys without a leading `- `)"
    return ""


def _null_hint(path: tuple[Any, ...], value: Any) -> str:
    """`members:` or `rounding:` left empty: null is no value these keys take, and what
    leaving the key out means differs from what an empty list means."""
    if value is not None or not path:
        return ""
    if len(path) == 2 and path[0] == "settings":
        return f" (to keep the live value, leave {path[1]} out of settings)"
    if path[-1] in ("members", "tasks") and len(path) == 3 and path[0] in ("projects", "groups"):
        kind = "project" if path[0] == "projects" else "group"
        return (f" (write `{path[-1]}: []` for none, or leave {path[-1]} out to leave the "
                f"{kind}'s {path[-1]} as they are live)")
    return ""


def _explain_member(file: SpecFile, path: tuple[Any, ...], value: Any) -> Iterator[Issue]:
    """A project member that names both or neither of user/group, or a group with user fields."""
    if not isinstance(value, dict):
        return
    named = [key for key in _MEMBER_REFERENCES if key in value]
    if not named and set(_MEMBER_REFERENCES) & _guessed_keys(value, _member_keys()):
        return  # `usr: ana@acme.test`: the unknown key's "did you mean 'user'?" is the message
    if not named:
        yield Issue(file, path, "a member needs user (an e-mail) or group (a group name)")
    elif len(named) == 2:
        yield Issue(file, path + ("group",), "a member is one user or one group: give user or "
                    "group, not both (list them as two members)", at_key=True)
    else:
        for key in _USER_MEMBER_FIELDS:
            if named == ["group"] and key in value:
                yield Issue(file, path + (key,), f"{key} applies to a user member only: Toggl's "
                            "project groups have no manager or rate (set them on the users)",
                            at_key=True)


def _member_keys() -> list[str]:
    return sorted(load_schema()["$defs"]["member"]["properties"])


# Words people write for a key that spelling alone would not lead to.
_SYNONYMS = {
    "email": "user", "e-mail": "user", "mail": "user", "login": "user", "team": "group",
    "users": "members", "emails": "members", "people": "members",
    "assigned_to": "assignee", "owner": "assignee", "hours": "estimated_hours",
}


def _guess(key: str, allowed: list[str]) -> str | None:
    """The allowed key an unknown one is most likely a typo (or another word) of."""
    synonym = _SYNONYMS.get(key.lower())
    if synonym in allowed:
        return synonym
    guess = difflib.get_close_matches(key, allowed, n=1)
    return guess[0] if guess else None


def _guessed_keys(value: Any, allowed: list[str]) -> set[str]:
    """The allowed keys that the unknown keys of a mapping look like typos of."""
    if not isinstance(value, dict) or not allowed:
        return set()
    return {guess for key in value if key not in allowed
            and (guess := _guess(str(key), allowed)) is not None}


# Project keys that defaults.project leaves out on purpose, and why.
_PER_PROJECT_ONLY = {
    "members": "who may track is written per project, so that a file's defaults never hand "
               "the same people to every project by accident",
    "tasks": "tasks are written per project, so that a file's defaults never give every "
             "project the same tasks by accident",
}


def _unknown_key(key: str, allowed: list[str], path: tuple[Any, ...] = ()) -> str:
    if path == ("defaults", "project") and key in _PER_PROJECT_ONLY:
        return (f"{key} cannot be a default: {_PER_PROJECT_ONLY[key]}; move it to the "
                "project entries that need it")
    guess = _guess(key, allowed)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return f"unknown key {key!r}{hint}; allowed keys: {', '.join(allowed)}"


def _keyword_message(keyword: str, expected: Any, value: Any, path: tuple[Any, ...]) -> str:
    if keyword == "const" and path == ("version",):
        unquote = ": write `version: 1` without quotes" if value == "1" else ""
        return (f"expected 1, got {describe(value)} (this tool reads spec format version "
                f"1{unquote})")
    if keyword == "const":
        return f"expected {describe(expected)}, got {describe(value)}"
    if keyword == "enum" and len(expected) > _LISTED_ENUM:
        return _long_enum_message(expected, value, path)
    if keyword == "enum":
        return f"expected one of {', '.join(map(str, expected))}; got {describe(value)}"
    if keyword == "pattern":
        # `assignee: ""` means nobody to its writer; the spec spells that null.
        nobody = (" (for nobody, write `assignee: null`)"
                  if path[-1:] == ("assignee",) and isinstance(value, str) and not value.strip()
                  else "")
        return (f"expected {_PATTERN_MEANINGS.get(expected, expected)}, got "
                f"{describe(value)}{nobody}")
    if keyword == "minimum":
        return f"expected a number >= {expected}, got {describe(value)}"
    if keyword == "maximum":
        reason = " (a bound chosen to stay inside what Toggl stores)" if path and path[-1] in (
            "rate", "estimated_hours", "workspace", "organization", "default_hourly_rate") else ""
        return f"expected a number <= {_number(expected)}, got {_number(value)}{reason}"
    if keyword == "minLength":
        return f"expected at least {expected} characters, got {describe(value)}"
    if keyword == "maxLength":
        return (f"{describe(value)} is {len(value):,} characters long; Toggl takes at most "
                f"{expected}: shorten it")
    return f"{keyword}: {expected!r} not satisfied by {describe(value)}"


def _number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return describe(value)


def _long_enum_message(expected: list[Any], value: Any, path: tuple[Any, ...]) -> str:
    codes = [option for option in expected if isinstance(option, str)]
    currency = bool(path) and path[-1] in ("currency", "default_currency")
    what = "an ISO 4217 currency code" if currency else "a known value"
    hint = ""
    if isinstance(value, str):
        if value.strip().upper() in codes:
            hint = f" (write it as {value.strip().upper()!r}: codes are upper case)"
        else:
            guess = difflib.get_close_matches(value.upper(), codes, n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    examples = ", ".join(code for code in ("EUR", "USD", "GBP") if code in codes)
    # default_currency takes the project codes but not null (its schema adds type: string).
    nullable = " or null" if None in expected and path[-1:] != ("default_currency",) else ""
    return (f"{describe(value)} is not {what}{hint}; expected one such as {examples}{nullable}")


def _explain_alternatives(file: SpecFile, error: jsonschema.ValidationError) -> Iterator[Issue]:
    # The alternatives differ by type (a tag is a name or a mapping): explain the one whose
    # type fits; when none fits, say which types would.
    colon = _unquoted_colon(file, error)
    if colon:
        yield Issue(file, tuple(error.absolute_path), colon)
        return
    branches: dict[int, list[jsonschema.ValidationError]] = {}
    for sub_error in error.context or ():
        branches.setdefault(sub_error.relative_schema_path[0], []).append(sub_error)
    for sub_errors in branches.values():
        if not any(_is_type_mismatch(sub_error) for sub_error in sub_errors):
            for sub_error in sub_errors:
                yield from _explain(file, sub_error)
            return
    types = [name for branch in error.validator_value for name in _branch_types(branch)]
    yield Issue(file, tuple(error.absolute_path),
                f"expected {_words(types)}, got {describe(error.instance)}",
                quote_hint=_may_quote(tuple(error.absolute_path), types))


def _unquoted_colon(file: SpecFile, error: jsonschema.ValidationError) -> str | None:
    """`- Design: wireframes` where a name or a mapping is wanted: one pair whose key is no
    key of the mapping, so it was a name with `: ` in it, not an unknown key and a missing
    name (two messages that would not say to quote it). A mapping written in braces
    (`{due: x}`) was meant as one."""
    value = error.instance
    if not isinstance(value, dict) or len(value) != 1 or _in_braces(file, error):
        return None
    [(key, inner)] = value.items()
    if not isinstance(key, str) or isinstance(inner, (dict, list)):
        return None
    unknown = [sub_error for sub_error in error.context or ()
               if sub_error.validator == "additionalProperties" and not sub_error.path]
    allowed = sorted(unknown[0].schema.get("properties", {})) if unknown else []
    if not allowed or key in allowed or _guess(key, allowed):
        return None  # `- nme: T` is a misspelt key: its own message says so
    if inner is None:  # `- Review:`
        return (f"YAML reads the unquoted {key}: as a mapping, because of its trailing `:`: "
                f"write {_flow_scalar(key)} without the colon for a name")
    written = f"{key}: {inner if isinstance(inner, str) else describe(inner)}"
    quoted = json.dumps(written, ensure_ascii=not written.isprintable())
    return (f"YAML reads the unquoted {written} as a mapping, because of the `: ` in it: "
            f"write it in quotes, {quoted}, for a name")


def _in_braces(file: SpecFile, error: jsonschema.ValidationError) -> bool:
    node = node_at(file.root, tuple(error.absolute_path))[0]
    if not isinstance(node, MappingNode) or not node.value:
        return False
    return position(node) != position(node.value[0][0])  # `{` comes before the first key


def _is_type_mismatch(error: jsonschema.ValidationError) -> bool:
    return error.validator == "type" and not error.relative_path


def _branch_types(branch: Mapping[str, Any]) -> list[str]:
    while "$ref" in branch:
        node: Any = load_schema()
        for part in branch["$ref"][2:].split("/"):
            node = node[part]
        branch = node
    found = branch.get("type", [])
    return [found] if isinstance(found, str) else list(found)


def _words(types: list[str]) -> str:
    words = list(dict.fromkeys(_TYPE_WORDS.get(name, name) for name in types))
    return " or ".join(words)
