"""The schema file: valid 2020-12, documented, reachable from the package, and the compiled
checker agrees with jsonschema on random documents."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.spec import schema as spec_schema
from reconciler.spec.fastcheck import UnsupportedSchema, compile_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "workspace.schema.json"
PACKAGE_LINK = ROOT / "reconciler" / "spec" / "workspace.schema.json"


def _load() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_schema_is_valid_draft_2020_12_with_an_id():
    schema = _load()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]


def test_package_copy_is_a_relative_symlink_to_the_schema():
    assert PACKAGE_LINK.is_symlink()
    assert os.readlink(PACKAGE_LINK) == "../../schemas/workspace.schema.json"
    assert PACKAGE_LINK.resolve() == SCHEMA_FILE.resolve()
    assert spec_schema.load_schema() == _load()


def _properties(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}/properties/{name}", sub
        for key, sub in node.items():
            yield from _properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from _properties(sub, f"{path}/{index}")


def _documented(schema: dict[str, Any], sub: dict[str, Any]) -> bool:
    while "title" not in sub and "$ref" in sub:
        sub = schema["$defs"][sub["$ref"].rsplit("/", 1)[1]]
    return bool(sub.get("title")) and bool(sub.get("description"))


def test_every_property_has_a_title_and_description_for_editors():
    schema = _load()
    undocumented = [path for path, sub in _properties(schema) if not _documented(schema, sub)]
    assert undocumented == []


def test_the_compiled_checker_refuses_keywords_it_does_not_implement():
    with pytest.raises(UnsupportedSchema):
        compile_schema({"type": "object", "patternProperties": {"x": {}}})


# ------------------------------------------------------------ agreement with jsonschema

def _schema_words() -> list[str]:
    found: set[str] = set()
    for _, sub in _properties(_load()):
        found.update(str(value) for value in sub.get("enum", []))
    found.update(path.rsplit("/", 1)[1] for path, _ in _properties(_load()))
    return sorted(found)


_WORDS = _schema_words()
_SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-3, max_value=130), st.sampled_from([1.0, 0.5, -0.1, 100.5, math.nan,
                                                               math.inf]),
    st.sampled_from(["", " ", "x", "#0b83d9", "#0B83D9", "#0b83d", "EUR", "eur", "Globex",
                     "#0b83d9\n"] + _WORDS),
    st.text(max_size=5),
)


_NAMES = ["Globex", "a", " x ", "\u00e9t\u00e9", "*", "", "  ", "a\nb", "a\n", "x" * 255,
          "x" * 256, "\u00e9" * 200, "\u00e9" * 256]
_STRINGS_BY_PATTERN = {
    "^\\S([\\s\\S]*\\S)?$": _NAMES,
    "^#[0-9a-fA-F]{6}$": ["#0b83d9", "#ABCDEF", "#0b83d9\n", "red", "#0b83d"],
    "^[^@\\s]+@[^@\\s]+$": ["ana@acme.test", "Bo@Acme.Test", "ana", "a@b@c", "a b@c", "@x",
                             "x@", "a@b\n", "x" * 250 + "@a.b", "x" * 251 + "@a.b"],
}
# Each side of every bound the schema states (rate, estimated_hours, ids, percentages).
_BOUNDS = [-1, 240, 241, 100, 101, 500_000, 500_001, 10_000_000, 10_000_001, 10**13, 10**20, 2**63 - 1, 2**63]


def _mutated(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly values the schema accepts; one in 25 is an arbitrary scalar instead."""
    return st.integers(0, 24).flatmap(lambda roll: _SCALARS if roll == 0 else valid)


def _from_schema(node: Any, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    while "$ref" in node:
        target = node["$ref"]
        node = schema
        for part in target[2:].split("/"):
            node = node[part]
    if "anyOf" in node and "type" not in node:  # a member's anyOf only says which keys go together
        return st.one_of([_from_schema(branch, schema) for branch in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"] + ["other", "eur", 1])
    if "const" in node:
        return st.sampled_from([node["const"], 1.0, 2])
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    return st.one_of([_of_type(name, node, schema) for name in types])


def _of_type(name: str, node: dict[str, Any], schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if name == "object":
        properties = {key: _mutated(_from_schema(sub, schema))
                      for key, sub in node.get("properties", {}).items()}
        required = {key: properties.pop(key) for key in node.get("required", [])}
        return st.fixed_dictionaries(required, optional={**properties, "unknown": _SCALARS})
    if name == "array":
        return st.lists(_mutated(_from_schema(node["items"], schema)), max_size=3)
    if name == "string":
        return st.sampled_from(_STRINGS_BY_PATTERN.get(node.get("pattern"),
                                                       ["text", "", "x" * 3000, "x" * 3001]))
    return {
        "integer": st.one_of(st.integers(-2, 130), st.just(5.0), st.sampled_from(_BOUNDS)),
        "number": st.one_of(st.integers(-2, 130), st.floats(-1, 101), st.just(math.nan),
                            st.sampled_from(_BOUNDS + [1e13, 10_000_000.5])),
        "boolean": st.booleans(),
        "null": st.none(),
    }[name]


def _documents() -> st.SearchStrategy[Any]:
    schema = _load()
    return _mutated(_from_schema(schema, schema))


@settings(max_examples=600, deadline=None, derandomize=True)
@given(_documents())
def test_compiled_checker_agrees_with_jsonschema(document):
    validator = jsonschema.Draft202012Validator(_load())
    assert spec_schema.checker()(document) == validator.is_valid(document)


@pytest.mark.parametrize("pointer", ["#/$defs/client", "#/$defs/project", "#/$defs/tag",
                                     "#/$defs/rule", "#/properties/tags/items", "#/$defs/group",
                                     "#/$defs/member", "#/$defs/task", "#/$defs/settings",
                                     "#/$defs/email"])
@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data())
def test_entry_checkers_agree_with_jsonschema(pointer, data):
    schema = _load()
    entry = data.draw(_mutated(_from_schema({"$ref": pointer}, schema)))
    root = jsonschema.Draft202012Validator(schema)
    validator = root.evolve(schema={"$ref": schema["$id"] + pointer})
    assert spec_schema.checker(pointer)(entry) == validator.is_valid(entry)


def test_the_compiled_checker_implements_not():
    check = compile_schema({"type": "object", "not": {"required": ["group"]}})
    assert check({"user": "a@b"}) and not check({"group": "G"})
