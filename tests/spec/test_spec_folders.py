"""Spec folders: nothing a user would take for a spec file is skipped silently (issue 9, item 7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.spec import load_specs, validate_paths

HEAD = "version: 1\nworkspace: W\n"


def _client_file(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + f"clients: [{{name: {name}}}]\n", encoding="utf-8")


def test_extensions_match_in_any_case_and_sub_folders_are_read(spec_dir):
    _client_file(spec_dir / "specs" / "Clients.YAML", "Upper")
    _client_file(spec_dir / "specs" / "base.Yml", "Mixed")
    _client_file(spec_dir / "specs" / "acme" / "clients.yaml", "Nested")
    _client_file(spec_dir / "specs" / "acme" / "deeper" / "more.yml", "Deeper")
    [state] = load_specs(["specs"])
    assert [client.name for client in state.clients] == ["Upper", "Nested", "Deeper", "Mixed"]
    assert state.files == (os.path.join("specs", "Clients.YAML"),
                           os.path.join("specs", "acme", "clients.yaml"),
                           os.path.join("specs", "acme", "deeper", "more.yml"),
                           os.path.join("specs", "base.Yml"))


def test_order_is_by_path_below_the_folder(spec_dir):
    written = ["b.yaml", "a/z.yaml", "a.yaml", "c/a.yaml", "B.yml", "a-b.yaml"]
    for index, name in enumerate(written):
        _client_file(spec_dir / "specs" / name, f"Client{index}")
    [state] = load_specs(["specs"])
    # Component by component, in code-point order: a folder's files sit where its name sorts.
    expected = ["B.yml", "a/z.yaml", "a-b.yaml", "a.yaml", "b.yaml", "c/a.yaml"]
    assert list(state.files) == [os.path.join("specs", *path.split("/")) for path in expected]


def test_hidden_files_and_folders_and_other_types_are_skipped(spec_dir):
    _client_file(spec_dir / "specs" / "real.yaml", "Real")
    _client_file(spec_dir / "specs" / ".hidden.yaml", "Hidden")
    _client_file(spec_dir / "specs" / ".github" / "workflow.yml", "Workflow")
    (spec_dir / "specs" / "README.md").write_text("# notes\n")
    (spec_dir / "specs" / "clients.yaml.bak").write_text("not: [valid\n")
    [state] = load_specs(["specs"])
    assert [client.name for client in state.clients] == ["Real"]


def test_a_folder_without_spec_files_is_an_error_even_with_hidden_ones(spec_dir):
    _client_file(spec_dir / "specs" / ".only-hidden.yaml", "Hidden")
    assert [str(problem) for problem in validate_paths(["specs"])] == [
        "specs: folder holds no spec files (*.yaml or *.yml, in sub-folders too; hidden ones "
        "are skipped)"]


def test_a_symlink_loop_is_read_once_and_ends(spec_dir):
    _client_file(spec_dir / "specs" / "a" / "one.yaml", "One")
    os.symlink("..", spec_dir / "specs" / "a" / "loop")
    os.symlink(spec_dir / "specs" / "a", spec_dir / "specs" / "again")
    [state] = load_specs(["specs"])
    assert [client.name for client in state.clients] == ["One"]


def test_a_dangling_symlink_named_like_a_spec_is_reported(spec_dir):
    _client_file(spec_dir / "specs" / "ok.yaml", "Ok")
    os.symlink("missing.yaml", spec_dir / "specs" / "gone.yaml")
    [problem] = validate_paths(["specs"])
    assert str(problem).startswith(os.path.join("specs", "gone.yaml") + ": cannot read: ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_sub_folder_is_an_error_not_a_skip(spec_dir):
    _client_file(spec_dir / "specs" / "ok.yaml", "Ok")
    locked = spec_dir / "specs" / "locked"
    _client_file(locked / "x.yaml", "X")
    locked.chmod(0)
    try:
        [problem] = validate_paths(["specs"])
    finally:
        locked.chmod(0o755)
    assert str(problem).startswith(os.path.join("specs", "locked") + ": cannot list: ")


def test_a_nested_file_counts_for_unmanaged_deletion_checks(spec_dir):
    """The case of the issue: a nested file's clients are managed, not planned for deletion."""
    (spec_dir / "specs").mkdir()
    (spec_dir / "specs" / "main.yaml").write_text(HEAD + "unmanaged: {clients: delete}\n")
    _client_file(spec_dir / "specs" / "acme" / "Clients.YAML", "Acme")
    [state] = load_specs(["specs"])
    assert [client.name for client in state.clients] == ["Acme"]
