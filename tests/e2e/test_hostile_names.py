"""Hostile live names through the real CLI, every output channel, as its consumer would see it.

The names are written into the sandbox's store directly (the API would trim or refuse some), so
the tool reads them over HTTP as any workspace member could have set them. A lone surrogate
cannot be stored (SQLite refuses it) and is added to what the client reads instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from reconciler.model import name_key
from reconciler.spec import validate_paths
from reconciler.toggl.client import TogglClient
from reconciler.toggl.types import Tag
from tests.e2e.conftest import WORKSPACE, CliResult, Harness
from tests.hostile import (
    HOSTILE,
    NEVER_HOLDABLE,
    assert_log_safe,
    assert_markdown_inert,
    assert_no_raw_commands,
    assert_terminal_safe,
    runner_commands,
)

STORABLE = {key: name for key, name in HOSTILE.items() if key != "surrogate"}
CLIENT = "Globex"
DELETE_ALL = """\
unmanaged: {clients: delete, projects: delete, tags: delete}
safety: {max_removals: 100000, max_removal_percent: 100}
clients:
  - name: Globex
"""


def rename_row(harness: Harness, table: str, row_id: int, name: str) -> None:
    with harness.store.transaction():
        harness.store.db.execute(f"UPDATE {table} SET name = ?, name_key = ? WHERE id = ?",
                                 (name, name_key(name), row_id))


def add_hostile_objects(harness: Harness, wid: int | None = None) -> None:
    """A client, a project (under Globex) and a tag named by every storable hostile name."""
    wid = harness.wid if wid is None else wid
    globex = harness.store.add_client(wid, CLIENT)
    for index, name in enumerate(STORABLE.values()):
        rename_row(harness, "clients", harness.store.add_client(wid, f"c{index}"), name)
        rename_row(harness, "projects",
                   harness.store.add_project(wid, f"p{index}", client_id=globex), name)
        rename_row(harness, "tags", harness.store.add_tag(wid, f"t{index}"), name)


@pytest.fixture
def hostile(harness: Harness) -> Harness:
    add_hostile_objects(harness)
    return harness


@pytest.fixture
def surrogate_tag(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A live tag whose name holds a lone surrogate, as a JSON answer `"\\ud800"` gives it."""
    name = HOSTILE["surrogate"]
    original = TogglClient.list_tags

    def list_tags(self: TogglClient, wid: int) -> list[Tag]:
        return [*original(self, wid), Tag(id=999_999, workspace_id=wid, name=name, at=None)]

    monkeypatch.setattr(TogglClient, "list_tags", list_tags)
    yield name


def assert_channel_safe(result: CliResult) -> None:
    for text in (result.stdout, result.stderr):
        assert_terminal_safe(text)
        assert_log_safe(text)


def count_lines(text: str, pattern: str) -> int:
    return len(re.findall(pattern, text, re.MULTILINE))


# ---------------------------------------------------------------- plan: text, JSON, Markdown


def test_text_plan_shows_every_hostile_name_on_its_own_line(hostile: Harness) -> None:
    spec = hostile.spec(DELETE_ALL)
    result = hostile.cli("plan", spec)
    assert result.code == 0, result.output
    assert_channel_safe(result)
    # One headline per change, each a line of its own: 3 objects per name (minus none), each
    # shown twice: in the removals at the top, and again among the details.
    assert count_lines(result.stdout, r"^  - (client|project|tag) ") == 2 * 3 * len(STORABLE)


def test_json_plan_on_stdout_is_the_exact_data_and_inert(hostile: Harness) -> None:
    result = hostile.cli("plan", hostile.spec(DELETE_ALL), "--format", "json")
    assert result.code == 0, result.output
    assert_channel_safe(result)
    plan = json.loads(result.stdout)
    deleted = {change["name"] for change in plan["changes"] if change["kind"] == "tag"}
    assert deleted == set(STORABLE.values())


def test_markdown_and_step_summary_link_and_mention_nothing(hostile: Harness,
                                                            tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {**hostile.env, "GITHUB_STEP_SUMMARY": str(summary)}
    result = hostile.cli("plan", hostile.spec(DELETE_ALL), "--format", "markdown", env=env)
    assert result.code == 0, result.output
    for markdown in (result.stdout, summary.read_text(encoding="utf-8")):
        assert_markdown_inert(markdown)
        assert_log_safe(markdown)  # the workflow may `cat plan.md`
        assert len(markdown) <= 60_000


def test_under_github_actions_no_name_becomes_a_workflow_command(hostile: Harness) -> None:
    env = {**hostile.env, "GITHUB_ACTIONS": "true"}
    for args in (("plan", hostile.spec(DELETE_ALL)),
                 ("plan", hostile.spec(DELETE_ALL), "--format", "markdown"),
                 ("plan", hostile.spec(DELETE_ALL), "--format", "json"),
                 ("export", "--workspace", WORKSPACE)):
        result = hostile.cli(*args, env=env)
        assert result.code == 0, result.output
        for text in (result.stdout, result.stderr):
            assert runner_commands(text) == []
            assert_no_raw_commands(text)
            assert "##[" not in text
        if "--format" in args or args[0] == "export":  # a document or report: no markers
            assert not re.search(r"^::(stop-commands::[0-9a-f]{32}|[0-9a-f]{32}::)$",
                                 result.stdout, re.MULTILINE)


def test_two_workspaces_make_one_comment_within_one_budget(harness: Harness) -> None:
    body = "".join(f"  - name: Client {i:04d} with a fairly long name to fill\n"
                   for i in range(1200))
    first = harness.spec("clients:\n" + body, name="a.yaml")
    second = harness.spec("clients:\n" + body, name="b.yaml", workspace="Second")
    harness.store.ensure_workspace("Second")
    result = harness.cli("plan", first, second, "--format", "markdown")
    assert result.code == 0, result.output
    assert len(result.stdout) <= 60_000
    assert result.stdout.count("## Toggl plan for workspace") == 2


# ---------------------------------------------------------------- apply, warnings, errors


def test_apply_progress_lines_are_one_per_change(hostile: Harness) -> None:
    result = hostile.cli("apply", hostile.spec(DELETE_ALL), "--auto-approve")
    assert result.code == 0, result.output
    assert_channel_safe(result)
    total = 3 * len(STORABLE)
    assert count_lines(result.stdout, rf"^\[\d+/{total}\] - ") == total
    assert hostile.names("tag") == []


def test_apply_stopped_names_the_hostile_object_on_one_line(
    hostile: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.toggl.errors import BadRequestError

    def refuse(self: TogglClient, wid: int, tid: int) -> None:
        raise BadRequestError("refused by the test", status=400, method="DELETE", path="/tags")

    monkeypatch.setattr(TogglClient, "delete_tag", refuse)
    tags_only = DELETE_ALL.replace("clients: delete, projects: delete", "clients: ignore, projects: ignore")
    result = hostile.cli("apply", hostile.spec(tags_only), "--auto-approve")
    assert result.code == 1, result.output
    assert_channel_safe(result)
    error = result.stderr[result.stderr.index("Error: apply stopped at"):]
    assert error.count("\n") == 2  # the stop, then what was and was not applied
    assert count_lines(result.output, "^Apply complete") == 0


def test_warnings_about_hostile_names_are_one_line_each(hostile: Harness) -> None:
    spec = hostile.spec(DELETE_ALL + "protected:\n  tags: ['*']\n")
    result = hostile.cli("plan", spec)
    assert result.code == 0, result.output
    assert_channel_safe(result)
    assert count_lines(result.stdout, r"^Warning: tag '.*' is protected by '\*': not deleted$") \
        == len(STORABLE)


def test_stale_plan_refusal_cannot_be_hidden_by_a_name(hostile: Harness, tmp_path: Path) -> None:
    plan_file = str(tmp_path / "plan.json")
    assert hostile.cli("plan", hostile.spec(DELETE_ALL), "--out", plan_file).code == 0
    for row in hostile.store.tags(hostile.wid):  # every tag edited since the plan
        rename_row(hostile, "tags", row["id"], row["name"] + " edited")
        with hostile.store.transaction():
            hostile.store.db.execute("UPDATE tags SET at_ts = at_ts + 5 WHERE id = ?", (row["id"],))
    result = hostile.cli("apply", "--plan", plan_file)
    assert result.code == 3, result.output
    assert_channel_safe(result)
    assert result.stderr.startswith("Error: the saved plan is stale")
    assert count_lines(result.stderr, r"^tag '.*' \(id \d+\) changed since the plan") \
        == len(STORABLE)
    assert count_lines(result.output, "^Apply complete") == 0


def test_workspace_not_found_lists_hostile_workspaces_on_one_line(harness: Harness) -> None:
    for name in STORABLE.values():
        harness.store.ensure_workspace(name)
    result = harness.cli("plan", harness.spec("", workspace="Nowhere"))
    assert result.code == 1
    assert_channel_safe(result)
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: workspace 'Nowhere' was not found")


def test_a_failing_run_under_github_actions_annotates_outside_the_stopped_block(
    harness: Harness
) -> None:
    harness.store.ensure_workspace(HOSTILE["lf"])
    env = {**harness.env, "GITHUB_ACTIONS": "true"}
    result = harness.cli("plan", harness.spec("", workspace="Nowhere"), env=env)
    assert result.code == 1
    [annotation] = runner_commands(result.stderr)
    assert annotation.startswith("::error::Error: workspace 'Nowhere' was not found")
    assert_no_raw_commands(result.stderr.replace(annotation, ""))


def test_doctor_shows_each_workspace_on_one_line(harness: Harness) -> None:
    for name in STORABLE.values():
        harness.store.ensure_workspace(name)
    result = harness.cli("doctor")
    assert result.code == 0, result.output
    assert_channel_safe(result)
    assert count_lines(result.stdout, r"^  - '.*' \(id \d+, \w+ plan\)$") == len(STORABLE) + 1


def test_validate_shows_spec_text_and_file_names_escaped(tmp_path: Path, harness: Harness) -> None:
    bad = tmp_path / "bad\rname\n.yaml"
    bad.write_text("version: 1\nworkspace: x\nclients:\n  - name: !x%0A%0D%1B[2J a\n",
                   encoding="utf-8")
    result = harness.cli("validate", str(bad))
    assert result.code == 1
    assert_channel_safe(result)
    assert result.stderr.count("\n") == 2  # the problem, then the summary
    good = tmp_path / "good\x1b[2J\n.yaml"
    good.write_text("version: 1\nworkspace: x\n", encoding="utf-8")
    result = harness.cli("validate", str(good))
    assert result.code == 0, result.output
    assert_channel_safe(result)
    assert result.stdout.count("\n") == 1


# ---------------------------------------------------------------- lone surrogates


def test_a_lone_surrogate_in_a_live_name_breaks_no_plan_format(harness: Harness,
                                                               surrogate_tag: str) -> None:
    spec = harness.spec(DELETE_ALL)
    for fmt in ("text", "markdown", "json"):
        result = harness.cli("plan", spec, "--format", fmt)
        assert result.code == 0, result.output
        assert "internal error" not in result.output
        assert_channel_safe(result)
    plan = json.loads(harness.cli("plan", spec, "--format", "json").stdout)
    assert [change["name"] for change in plan["changes"] if change["kind"] == "tag"] == \
        [surrogate_tag]


# ---------------------------------------------------------------- export


def holdable(name: str, tmp_path: Path) -> bool:
    """Whether a spec can hold `name`, as the spec's own validator answers it."""
    path = tmp_path / "probe.yaml"
    path.write_text(f"version: 1\nworkspace: probe\ntags: [{json.dumps(name)}]\n",
                    encoding="utf-8", errors="surrogatepass")
    try:
        return not validate_paths([str(path)])
    finally:
        path.unlink()


def exported_names(document: dict[str, Any]) -> dict[str, set[str]]:
    return {
        "client": {entry["name"] for entry in document["clients"]},
        "project": {entry["name"] for entry in document["projects"]},
        "tag": set(document["tags"]),
    }


def test_export_round_trips_every_name_a_spec_can_hold_and_reports_the_rest(
    hostile: Harness, tmp_path: Path, surrogate_tag: str
) -> None:
    can_hold = {name for name in HOSTILE.values() if holdable(name, tmp_path)}
    assert not can_hold & {HOSTILE[key] for key in NEVER_HOLDABLE}
    exported = tmp_path / "exported.yaml"
    result = hostile.cli("export", "--workspace", WORKSPACE, "-o", str(exported))
    assert result.code == 0, result.output
    assert_channel_safe(result)
    text = exported.read_text(encoding="utf-8")
    assert_terminal_safe(text)
    assert_log_safe(text)
    names = exported_names(yaml.safe_load(text))
    assert names["tag"] == can_hold
    assert names["client"] == can_hold | {CLIENT}
    assert names["project"] == can_hold & set(STORABLE.values())
    # Every name left out is named in a warning of its own.
    left_out = {name for name in HOSTILE.values() if name not in can_hold}
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert len(warnings) == 3 * len(left_out) - 2  # the surrogate is a tag only

    assert hostile.cli("validate", str(exported)).code == 0
    replan = hostile.cli("plan", str(exported), "--detailed-exitcode")
    assert replan.code == 0, replan.output  # "No changes": the same objects, read back


def test_export_to_stdout_is_the_same_document_unscrubbed(hostile: Harness,
                                                          tmp_path: Path) -> None:
    to_file = tmp_path / "exported.yaml"
    assert hostile.cli("export", "--workspace", WORKSPACE, "-o", str(to_file)).code == 0
    result = hostile.cli("export", "--workspace", WORKSPACE)
    assert result.code == 0, result.output
    assert_channel_safe(result)
    strip_date = re.compile(r"^# Exported by .*$", re.MULTILINE)
    assert strip_date.sub("", result.stdout) == strip_date.sub("", to_file.read_text("utf-8"))


def test_a_workspace_name_that_rewrites_the_spec_stays_a_name(harness: Harness,
                                                              tmp_path: Path) -> None:
    evil = ("Acme\runmanaged: {clients: delete, projects: delete, tags: delete}\rsafety:"
            " {max_removals: 100000, max_removal_percent: 100}\r#")
    rename_workspace = "UPDATE workspaces SET name = ? WHERE id = ?"
    with harness.store.transaction():
        harness.store.db.execute(rename_workspace, (evil, harness.wid))
    harness.store.add_client(harness.wid, "Kept")
    exported = tmp_path / "exported.yaml"
    result = harness.cli("export", "--workspace", str(harness.wid), "-o", str(exported))
    assert result.code == 0, result.output
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    # The export's own sections only (settings and groups come with the workspace kinds):
    # none of the keys the name tried to write.
    assert {"version", "workspace", "clients", "projects", "tags"} <= set(document) <= {
        "version", "workspace", "settings", "groups", "clients", "projects", "tags"}
    # No spec can hold a name with line breaks, so the workspace is written by its id: still
    # the same workspace, and nothing of the name's text reaches the document as YAML.
    assert document["workspace"] == harness.wid
    assert not [line for line in exported.read_text().splitlines()
                if line.startswith(("unmanaged", "safety"))]
