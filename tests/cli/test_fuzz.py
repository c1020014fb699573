"""Fuzzing `validate` through the CLI: random bytes and random YAML-ish text never produce a
traceback or an exit code other than 0 or 1."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import main

YAML_PIECES = ["version: 1\n", "workspace: W\n", "clients:\n", "  - name: a\n", "projects:\n",
               "  - {name: p, client: a, color: '#0b83d9'}\n", "tags: [x, y]\n", "- ", ": ", "&a ",
               "*a ", "[", "]", "{", "}", "\t", "'", '"', "\n", "---\n", "!!python/object ", "~"]


def validate(content: bytes) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_bytes(content)
        stderr = io.StringIO()
        code = main(["validate", str(path)], env={}, stdout=io.StringIO(), stderr=stderr)
    return code, stderr.getvalue()


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_exit_0_or_1_without_traceback(content: bytes) -> None:
    code, stderr = validate(content)
    assert code in (0, 1)
    assert "Traceback" not in stderr and "internal error" not in stderr


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=30))
def test_random_yaml_exit_0_or_1_without_traceback(pieces: list[str]) -> None:
    code, stderr = validate("".join(pieces).encode("utf-8"))
    assert code in (0, 1)
    assert "Traceback" not in stderr and "internal error" not in stderr
