"""Bad input: exit 1, one message per problem with file:line:column, no traceback, no request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Harness

BAD_SPECS = {
    "syntax": "version: 1\nworkspace: x\nclients: [\n",
    "wrong-type": "version: 1\nworkspace: x\nclients: {name: a}\n",
    "unknown-key": "version: 1\nworkspace: x\nclientz: []\n",
    "bad-colour": "version: 1\nworkspace: x\nprojects: [{name: a, color: red}]\n",
    "tab": "version: 1\nworkspace: x\nclients:\n\t- name: a\n",
    "two-documents": "version: 1\nworkspace: x\n---\nversion: 1\n",
    "empty": "",
}


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_bad_specs_fail_cleanly_before_any_request(harness: Harness, tmp_path: Path,
                                                   command: str, case: str) -> None:
    spec = tmp_path / f"{case}.yaml"
    spec.write_text(BAD_SPECS[case], encoding="utf-8")
    args = [command, str(spec)] + (["--auto-approve"] if command == "apply" else [])
    result = harness.cli(*args)
    assert result.code == 1, result.output
    assert str(spec) in result.stderr
    assert "Traceback" not in result.output
    assert harness.sandbox.requests == []


def test_every_problem_is_reported_at_once_with_line_and_column(harness: Harness,
                                                                tmp_path: Path) -> None:
    spec = tmp_path / "many.yaml"
    spec.write_text(
        "version: 1\n"
        "workspace: x\n"
        "projects:\n"
        "  - name: a\n"
        "    color: red\n"
        "  - name: b\n"
        "    client: Nobody\n",
        encoding="utf-8",
    )
    result = harness.cli("validate", str(spec))
    assert result.code == 1
    assert f"{spec}:5:" in result.stderr
    assert f"{spec}:7:" in result.stderr


def test_a_missing_path_and_a_folder_without_yaml(harness: Harness, tmp_path: Path) -> None:
    missing = harness.cli("validate", str(tmp_path / "nope.yaml"))
    assert missing.code == 1 and "nope.yaml" in missing.stderr
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    folder = harness.cli("validate", str(empty_dir))
    assert folder.code == 1 and "empty" in folder.stderr


def test_bad_flags_exit_1_not_2(harness: Harness) -> None:
    result = harness.cli("plan", "--no-such-flag")
    assert result.code == 1
    assert "Traceback" not in result.output
