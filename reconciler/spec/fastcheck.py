"""A compiled yes/no checker for the subset of JSON Schema that the spec schema uses.

`jsonschema` takes longer to validate a 10,000-project spec than PyYAML takes to parse it, so the
schema file is compiled once into plain closures that only answer "valid?". When the answer is
no, `jsonschema` itself runs to explain why: the schema file stays the single definition, and the
two agree (a hypothesis test holds them to it). Keyword semantics follow draft 2020-12 as
`jsonschema` implements them (booleans are not numbers; 1.0 is an integer; NaN fails no bound).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from reconciler.spec.source import is_integer

Check = Callable[[Any], bool]

# Keywords that only annotate: they never change validity.
_ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly", "markdownDescription",
})


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this checker does not implement."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: Mapping[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "integer": is_integer,
    "number": _is_number,
}


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON Schema means it: true is not 1, but 1 equals 1.0."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    if _is_number(left) and _is_number(right):
        return left == right
    return type(left) is type(right) and left == right


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        unknown = set(schema) - _ANNOTATIONS - set(_KEYWORDS) - {"$defs", "properties",
                                                                  "additionalProperties", "required"}
        if unknown:
            raise UnsupportedSchema(f"unsupported schema keywords: {sorted(unknown)}")
        checks = [_KEYWORDS[keyword](self, schema[keyword]) for keyword in _KEYWORDS
                  if keyword in schema]
        if {"properties", "additionalProperties", "required"} & set(schema):
            checks.append(self._object(schema))
        return _all_of(checks)

    def _object(self, schema: Mapping[str, Any]) -> Check:
        properties = {name: self.compile(sub) for name, sub in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is False else self.compile(extra)

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name in required:
                if name not in value:
                    return False
            for name, item in value.items():
                property_check = properties.get(name, extra_check)
                if property_check is None or not property_check(item):
                    return False
            return True
        return check

    def ref(self, target: str) -> Check:
        if not target.startswith("#/"):
            raise UnsupportedSchema(f"only local $ref are supported, got {target!r}")
        if target not in self.refs:
            self.refs[target] = lambda value: self.refs[target](value)  # recursion placeholder
            node: Any = self.root
            for part in target[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            self.refs[target] = self.compile(node)
        return self.refs[target]


def _all_of(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> bool:
        for one in checks:
            if not one(value):
                return False
        return True
    return check


def _type(compiler: _Compiler, names: Any) -> Check:
    if isinstance(names, str):
        return _TYPES[names]
    checks = tuple(_TYPES[name] for name in names)
    return lambda value: any(one(value) for one in checks)


def _enum(compiler: _Compiler, options: list[Any]) -> Check:
    # Strings by set lookup (the currency list has 170 codes and every project may name one);
    # anything else (null, numbers) by JSON equality.
    strings = frozenset(option for option in options if isinstance(option, str))
    others = [option for option in options if not isinstance(option, str)]
    if not others:
        return lambda value: isinstance(value, str) and value in strings

    def check(value: Any) -> bool:
        if isinstance(value, str):
            return value in strings
        return any(json_equal(value, option) for option in others)
    return check


def _const(compiler: _Compiler, expected: Any) -> Check:
    return lambda value: json_equal(value, expected)


def _pattern(compiler: _Compiler, pattern: str) -> Check:
    search = re.compile(pattern).search
    return lambda value: not isinstance(value, str) or search(value) is not None


def _min_length(compiler: _Compiler, length: int) -> Check:
    return lambda value: not isinstance(value, str) or len(value) >= length


def _max_length(compiler: _Compiler, length: int) -> Check:
    return lambda value: not isinstance(value, str) or len(value) <= length


def _minimum(compiler: _Compiler, bound: float) -> Check:
    return lambda value: not _is_number(value) or not value < bound


def _maximum(compiler: _Compiler, bound: float) -> Check:
    return lambda value: not _is_number(value) or not value > bound


def _items(compiler: _Compiler, schema: Any) -> Check:
    item_check = compiler.compile(schema)
    return lambda value: not isinstance(value, list) or all(map(item_check, value))


def _any_of(compiler: _Compiler, schemas: list[Any]) -> Check:
    checks = [compiler.compile(schema) for schema in schemas]
    return lambda value: any(one(value) for one in checks)


def _one_of(compiler: _Compiler, schemas: list[Any]) -> Check:
    checks = [compiler.compile(schema) for schema in schemas]
    return lambda value: sum(1 for one in checks if one(value)) == 1


def _not(compiler: _Compiler, schema: Any) -> Check:
    check = compiler.compile(schema)
    return lambda value: not check(value)


def _ref(compiler: _Compiler, target: str) -> Check:
    return compiler.ref(target)


_KEYWORDS: Mapping[str, Callable[[_Compiler, Any], Check]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "items": _items,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
    "$ref": _ref,
}


def compile_schema(root: Mapping[str, Any], pointer: str = "#") -> Check:
    """A checker for the whole schema (`#`) or one of its parts (`#/$defs/project`)."""
    compiler = _Compiler(root)
    return compiler.compile(root) if pointer == "#" else compiler.ref(pointer)
