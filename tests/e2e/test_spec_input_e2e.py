"""Spec folders and names through the real CLI against the sandbox (issue 9, items 3 and 7)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tests.e2e.conftest import WORKSPACE, Harness

HEAD = f"version: 1\nworkspace: {WORKSPACE!r}\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_folder_reads_every_spec_file_and_plans_no_deletion_of_theirs(harness: Harness,
                                                                        tmp_path: Path) -> None:
    """The issue's case: Clients.YAML and acme/clients.yaml were skipped, then deleted."""
    for name in ("Globex", "Acme", "Initech"):
        harness.store.add_client(harness.wid, name)
    folder = tmp_path / "specs"
    _write(folder / "main.yaml", HEAD + "unmanaged: {clients: delete}\n"
           "clients: [{name: Initech}]\n")
    _write(folder / "Clients.YAML", HEAD + "clients: [{name: Globex}]\n")
    _write(folder / "acme" / "clients.yaml", HEAD + "clients: [{name: Acme}]\n")
    _write(folder / ".hidden" / "x.yaml", "not: [a spec\n")
    validated = harness.cli("validate", str(folder))
    assert validated.code == 0, validated.output
    assert "3 clients" in validated.stdout
    assert "Clients.YAML" in validated.stdout and "clients.yaml" in validated.stdout
    planned = harness.cli("plan", str(folder), "--detailed-exitcode")
    assert planned.code == 0, planned.output  # nothing to delete: every client is managed
    assert harness.writes() == []


def test_help_says_how_folders_are_read(harness: Harness) -> None:
    for command in ("plan", "apply", "validate"):
        shown = harness.cli(command, "--help")
        assert "subfolders" in shown.stdout and "hidden" in shown.stdout, shown.stdout


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_invisible_characters_are_refused_before_any_request(harness: Harness,
                                                              command: str) -> None:
    spec = harness.spec('clients: [{name: "Acme\\u200bCorp"}]\ntags: ["\\u202eevil"]\n')
    args = [command, spec] + (["--auto-approve"] if command == "apply" else [])
    result = harness.cli(*args)
    assert result.code == 1, result.output
    assert f"{spec}:3:" in result.stderr and f"{spec}:4:" in result.stderr
    assert "U+200B (ZERO WIDTH SPACE)" in result.stderr
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in result.stderr
    assert "\u200b" not in result.output and "\u202e" not in result.output  # shown escaped
    assert harness.sandbox.requests == []


def test_an_nfd_spec_name_matches_the_live_nfc_name(harness: Harness) -> None:
    """The issue's case: the plan created 'Café' and deleted 'Café'."""
    nfc = unicodedata.normalize("NFC", "Café")
    harness.store.add_client(harness.wid, nfc)
    harness.store.add_tag(harness.wid, nfc)
    nfd = unicodedata.normalize("NFD", "Café")
    spec = harness.spec(f"unmanaged: {{clients: delete, tags: delete}}\n"
                        f"clients: [{{name: {nfd}}}]\ntags: [{nfd}]\n")
    planned = harness.cli("plan", spec, "--detailed-exitcode")
    assert planned.code == 0, planned.output
    assert harness.writes() == []


def test_a_new_nfd_name_is_created_in_nfc_and_converges(harness: Harness) -> None:
    nfd = unicodedata.normalize("NFD", "Zoë")
    spec = harness.spec(f"tags: [{nfd}]\nprojects: [{{name: {nfd}}}]\n")
    applied = harness.cli("apply", spec, "--auto-approve")
    assert applied.code == 0, applied.output
    assert harness.names("tag") == [unicodedata.normalize("NFC", "Zoë")]
    again = harness.cli("plan", spec, "--detailed-exitcode")
    assert again.code == 0, again.output


def test_look_alike_names_are_refused_with_both_places(harness: Harness) -> None:
    spec = harness.spec("clients: [{name: Acme}, {name: Ａｃｍｅ}]\n")
    result = harness.cli("plan", spec)
    assert result.code == 1, result.output
    assert f"{spec}:3:" in result.stderr and "looks like client 'Acme'" in result.stderr
    assert harness.sandbox.requests == []
