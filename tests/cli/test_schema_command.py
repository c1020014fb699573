"""`toggl-reconciler schema` prints the packaged JSON Schema, byte for byte, also from a built
package (where the schema is a copied file, not the checkout's symlink)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from reconciler.cli import main

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schemas" / "workspace.schema.json"


def run(argv: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, env={}, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_schema_prints_the_schema_file_exactly() -> None:
    code, text, stderr = run(["schema"])
    assert code == 0 and stderr == ""
    assert text == SCHEMA_FILE.read_text(encoding="utf-8")
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "urn:toggl-reconciler:schema:workspace:1"


def test_the_printed_schema_accepts_the_examples_and_refuses_a_typo() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(run(["schema"])[1]))
    examples = sorted((REPO / "examples").rglob("*.yaml"))
    assert examples
    for example in examples:
        for document in yaml.safe_load_all(example.read_text(encoding="utf-8")):
            if isinstance(document, dict) and "version" in document:
                assert not list(validator.iter_errors(document)), example
    assert list(validator.iter_errors({"version": 1, "workspace": "W", "clinets": []}))


def test_schema_takes_no_operand() -> None:
    code, _, stderr = run(["schema", "extra"])
    assert code == 1 and "unrecognized arguments" in stderr


def test_schema_works_from_a_built_package(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    shutil.copy(REPO / "README.md", source)
    shutil.copytree(REPO / "reconciler", source / "reconciler", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "schemas", source / "schemas")
    built = tmp_path / "built"
    build = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                            "build_py", "--build-lib", str(built)],
                           cwd=source, capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    packaged = built / "reconciler" / "spec" / "workspace.schema.json"
    assert packaged.is_file() and not packaged.is_symlink()
    result = subprocess.run([sys.executable, "-m", "reconciler", "schema"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(built)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")
