"""Fuzzing load_specs: random YAML-ish text and random bytes give a DesiredState or a
SpecError, never another exception, and always quickly."""

from __future__ import annotations

import os
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
