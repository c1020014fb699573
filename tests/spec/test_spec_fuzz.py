"""Fuzzing load_specs: random YAML-ish text and random bytes give a DesiredState or a
SpecError, never another exception, and always quickly."""

from __future__ import annotations

import os
from pathlib import Path
import tempfile
import time

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.spec import SpecError, load_specs
from spec_factory import EXAMPLE

_YAML_ALPHABET = "ab01 -:,[]{}&*!|>'\"#%@?\n\t\\.~\u00e9\ufeff"
_FRAGMENTS = ["version: 1\n", "workspace: W\n", "clients:\n", "  - name: A\n", "tags: [x, y]\n",
              "projects:\n  - {name: P, client: A}\n", "&a ", "*a", "<<: ", "---\n", "no",
              "!!binary ", "    ", "\t", "- ", ": ", "[", "]", "{", "}", "'", '"', "\n"]


def _load_text(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fuzz.yaml")
        with open(path, "wb") as stream:
            stream.write(content)
        started = time.perf_counter()
        try:
            load_specs([path])
        except SpecError as error:
            assert error.problems
            assert all(problem.file == path for problem in error.problems)
        assert time.perf_counter() - started < 2.0


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=_YAML_ALPHABET, max_size=200))
def test_random_yaml_characters(text):
    _load_text(text.encode("utf-8"))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=30))
def test_random_yaml_fragments(fragments):
    _load_text("".join(fragments).encode("utf-8"))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_random_bytes(content):
    _load_text(content)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(position=st.integers(0, len(EXAMPLE) - 1), garbage=st.text(_YAML_ALPHABET, max_size=4))
def test_the_example_with_a_random_edit(position, garbage):
    _load_text((EXAMPLE[:position] + garbage + EXAMPLE[position + len(garbage):]).encode())


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(["version", "workspace", "clients", "projects", "tags",
                                        "protected", "safety", "unmanaged", "defaults"]),
                       _JSON_VALUES, max_size=6))
def test_random_documents_dumped_as_yaml(document):
    _load_text(yaml.safe_dump(document, allow_unicode=True).encode("utf-8"))


_FULL_EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "workspace-full.yaml"
                 ).read_text(encoding="utf-8")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(position=st.integers(0, len(_FULL_EXAMPLE) - 1),
       garbage=st.text(_YAML_ALPHABET, max_size=4))
def test_the_full_example_with_a_random_edit(position, garbage):
    _load_text((_FULL_EXAMPLE[:position] + garbage
                + _FULL_EXAMPLE[position + len(garbage):]).encode())


_PROJECT_WITH_KINDS = st.fixed_dictionaries({"name": st.sampled_from(["P", "p", "Q"])}, optional={
    "members": _JSON_VALUES | st.lists(st.dictionaries(
        st.sampled_from(["user", "group", "manager", "rate"]),
        st.sampled_from(["a@b", "A@B", "G", "g", True, 1, None]), max_size=3), max_size=4),
    "tasks": _JSON_VALUES | st.lists(st.sampled_from(["T", "t", {"name": "T"},
                                                      {"name": "U", "previous_names": ["T"]},
                                                      {"name": "V", "assignee": "a@b"}]),
                                     max_size=4),
    "delete": st.booleans(),
})


@settings(max_examples=200, deadline=None, derandomize=True)
@given(document=st.fixed_dictionaries({"version": st.just(1), "workspace": st.just("W")},
                                      optional={
    "organization": _JSON_VALUES, "settings": _JSON_VALUES,
    "groups": _JSON_VALUES | st.lists(st.fixed_dictionaries(
        {"name": st.sampled_from(["G", "g", "H"])},
        optional={"members": st.lists(st.sampled_from(["a@b", "A@b", "x"])),
                  "previous_names": st.lists(st.sampled_from(["G", "H", "I"])),
                  "delete": st.booleans()}), max_size=3),
    "projects": st.lists(_PROJECT_WITH_KINDS, max_size=3),
    "unmanaged": _JSON_VALUES, "protected": _JSON_VALUES,
}))
def test_random_documents_with_the_workspace_kinds(document):
    _load_text(yaml.safe_dump(document, allow_unicode=True).encode("utf-8"))
