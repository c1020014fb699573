from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.render.markdown import md_escape, render_markdown

from .fixtures import (
    HOSTILE_NAMES,
    UNMANAGED,
    archive_client,
    create_project,
    delete_project,
    delete_tag,
    full_plan,
    hostile_plan,
    many_changes_plan,
    plan_json,
    rename_tag,
    update_project,
)

FENCE_BLOCK = re.compile(r"^ *(`{3,})[a-z]*\n.*?^ *\1$", re.MULTILINE | re.DOTALL)
NOTE = re.compile(
    r"\.\.\. (\d+) of (\d+) changes not shown \(the comment is limited to ([\d,]+) characters\); "
    r"see (.+) for the full plan\.\n$"
)


def outside_code_blocks(markdown: str) -> str:
    return FENCE_BLOCK.sub("", markdown)


def code_blocks(markdown: str, info: str) -> list[str]:
    pattern = re.compile(rf"^( *)(`{{3,}}){info}\n(.*?)^ *\2$", re.MULTILINE | re.DOTALL)
    return [re.sub(rf"^{indent}", "", body, flags=re.MULTILINE)
            for indent, _fence, body in pattern.findall(markdown)]


def detail_items(markdown: str) -> int:
    """Change items inside the collapsed sections (removals in the summary are quoted)."""
    return len(re.findall(r"^- `.` ", markdown, re.MULTILINE))


def test_summary_comes_first_then_removals_warnings_and_details() -> None:
    markdown = render_markdown(full_plan())
    assert markdown.startswith("## Toggl plan for workspace **Acme Corp** (id 1234)\n\n")
    positions = [markdown.index(marker) for marker in (
        "| 1 | 1 | 1 | 1 | 1 | 2 | 7 |",
        "Requests: 4 reads made, 7 writes to apply",
        "> [!CAUTION]",
        "> [!WARNING]",
        "**Warnings**",
        "<details><summary>Clients: 2 changes</summary>",
        "<details><summary>Projects: 3 changes</summary>",
        "<details><summary>Tags: 2 changes</summary>",
        "<details><summary>Unmanaged: 4 live objects not in the spec</summary>",
    )]
    assert positions == sorted(positions)


def test_workspace_without_a_name_is_named_by_id() -> None:
    assert render_markdown(plan_json(workspace_name=None)).startswith(
        "## Toggl plan for workspace 1234\n\n")


def test_removals_block_lists_every_archive_and_delete_with_blast_radius() -> None:
    markdown = render_markdown(plan_json(
        create_project(), archive_client(), delete_tag(), delete_project("unassign")))
    block = markdown.split("> [!WARNING]\n")[1].split("\n\n")[0].splitlines()
    assert block == [
        "> 3 objects will be archived or deleted:",
        "> - `v` archive client **Initech** (takes 4 projects along, 312.5 h tracked)",
        "> - `-` delete tag **legacy**",
        "> - `-` delete project **Globex\\/Old Site** "
        "(12.0 h tracked; its time entries are kept, without a project)",
    ]
    assert "[!CAUTION]" not in markdown


def test_caution_when_time_entries_would_be_destroyed() -> None:
    markdown = render_markdown(plan_json(delete_project("delete"), delete_project("delete", "B")))
    assert ("> [!CAUTION]\n> Time entries will be DESTROYED: deleting 2 projects destroys "
            "24.0 h of tracked time.") in markdown
    assert markdown.count("its time entries will be **DESTROYED**") == 4  # summary + details


def test_no_removals_no_alerts() -> None:
    markdown = render_markdown(plan_json(create_project(), update_project()))
    assert "[!WARNING]" not in markdown and "[!CAUTION]" not in markdown


def test_details_show_field_diffs() -> None:
    markdown = render_markdown(plan_json(create_project(), update_project()))
    diffs = code_blocks(markdown, "diff")
    assert diffs[0] == ('+ client: "Globex"\n+ active: true\n+ color: "#9e5bd9"\n')
    assert diffs[1].startswith('- color: "#0b83d9"\n+ color: "#9e5bd9"\n- estimated_hours: null\n')


def test_rename_item_names_old_and_new_and_gives_its_reason() -> None:
    markdown = render_markdown(plan_json(rename_tag()))
    assert ("- `>` rename tag **code\\-review** from **review** to **code\\-review** "
            "— renamed from \\'review\\'\n") in markdown
    assert "```diff" not in markdown  # nothing else changes: no empty diff


def test_empty_plan() -> None:
    markdown = render_markdown(plan_json())
    assert "No changes. The workspace matches the spec.\n" in markdown
    assert "Requests: 4 reads made" in markdown
    assert "<details>" not in markdown and "|---" not in markdown


def test_bill_without_quota() -> None:
    markdown = render_markdown(plan_json(quota=False))
    # Toggl reported nothing, and the bill says so rather than leaving the quota out.
    assert "(a per-object tool: 57 reads, 12 writes). Quota: Toggl reported none.\n" in markdown
    assert "left" not in markdown


def test_unmanaged_yaml_block_parses_back_to_the_entries() -> None:
    (snippet,) = code_blocks(render_markdown(plan_json(unmanaged=UNMANAGED)), "yaml")
    assert yaml.safe_load(snippet) == {
        "clients": [UNMANAGED[0].spec_entry],
        "projects": [UNMANAGED[1].spec_entry, UNMANAGED[2].spec_entry],
        "tags": ["billable-later"],
    }


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("<script>", "&lt;script&gt;"),
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("</details>", "&lt;\\/details&gt;"),
        ("**b** _i_", "\\*\\*b\\*\\* \\_i\\_"),
        ("[l](u)", "\\[l\\]\\(u\\)"),
        ("R&D", "R&amp;D"),
        ("@team", "@\u200bteam"),
        ("a\nb", "a\\\\u000ab"),
        ("plain words 42", "plain words 42"),
    ],
)
def test_md_escape(name: str, escaped: str) -> None:
    assert md_escape(name) == escaped


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_stay_inert(name: str) -> None:
    markdown = render_markdown(hostile_plan(name))
    prose = outside_code_blocks(markdown)
    assert "<script" not in prose
    assert prose.count("</details>") == prose.count("<details>") == 4
    assert "\x1b" not in markdown and "\u202e" not in markdown
    assert not re.search(r"@(?!\u200b)\w", prose)  # no one gets mentioned
    for line in prose.splitlines():
        if not line.startswith("|"):  # the counts table is ours
            assert not re.search(r"(?<!\\)\|", line), line


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_survive_inside_code_blocks(name: str) -> None:
    markdown = render_markdown(hostile_plan(name))
    (snippet,) = code_blocks(markdown, "yaml")
    assert yaml.safe_load(snippet) == {"clients": [{"name": name, "notes": name}], "tags": [name]}
    (move_diff,) = [diff for diff in code_blocks(markdown, "diff") if '- client: "Globex"' in diff]
    assert move_diff.splitlines()[1] == "+ client: " + _json_quoted(name)


def _json_quoted(name: str) -> str:
    import json

    from reconciler.render.common import escape_unsafe

    return escape_unsafe(json.dumps(name, ensure_ascii=False))


@pytest.mark.parametrize("count", [5_000, 50_000])
def test_huge_plans_are_cut_to_the_limit_and_say_what_is_missing(count: int) -> None:
    plan = many_changes_plan(count)
    markdown = render_markdown(plan)
    assert len(markdown) <= 60_000
    left_out, total, limit, hint = NOTE.search(markdown).groups()
    assert (int(total), limit, hint) == (count, "60,000", "the JSON plan")
    assert int(left_out) == count - detail_items(markdown)
    removals = 3 * count // 5
    listed = len(re.findall(r"^> - `[v-]` ", markdown, re.MULTILINE))
    more = int(re.search(r"^> - \.\.\. and (\d+) more not listed", markdown, re.MULTILINE)[1])
    assert listed + more == removals
    assert markdown.index("> [!WARNING]") < markdown.index("... and")


@pytest.mark.parametrize("max_chars", [4_000, 12_000, 30_000])
def test_details_fill_the_room_left_by_the_summary(max_chars: int) -> None:
    plan = plan_json(*(create_project(f"P{i}") for i in range(400)))
    markdown = render_markdown(plan, max_chars=max_chars, plan_file_hint="`plan.json`")
    assert len(markdown) <= max_chars
    assert len(markdown) > max_chars - 600  # nearly full: no room wasted
    left_out, total, limit, hint = NOTE.search(markdown).groups()
    assert (int(total), limit, hint) == (400, f"{max_chars:,}", "`plan.json`")
    assert int(left_out) == 400 - detail_items(markdown) > 0
    assert markdown.count("<details>") == markdown.count("</details>")


def test_plan_that_fits_is_not_cut() -> None:
    markdown = render_markdown(full_plan())
    assert "not shown" not in markdown and "not listed" not in markdown
    assert detail_items(markdown) == 7


def test_unmanaged_section_gives_way_to_a_count_when_room_runs_out() -> None:
    plan = plan_json(*(create_project(f"P{i}") for i in range(200)), unmanaged=UNMANAGED)
    markdown = render_markdown(plan, max_chars=5_000)
    assert "_4 unmanaged objects not shown (the comment has a size limit)._" in markdown
    assert len(markdown) <= 5_000


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(
    creates=st.integers(0, 120),
    removals=st.integers(0, 120),
    warnings=st.lists(st.text(max_size=300), max_size=30),
    max_chars=st.integers(1_500, 20_000),
)
def test_never_longer_than_max_chars(
    creates: int, removals: int, warnings: list[str], max_chars: int
) -> None:
    changes: list[Any] = [create_project(f"P{i}") for i in range(creates)]
    changes += [archive_client(f"C{i}") for i in range(removals)]
    plan = plan_json(*changes, warnings=tuple(warnings), unmanaged=UNMANAGED)
    markdown = render_markdown(plan, max_chars=max_chars)
    assert len(markdown) <= max_chars
    assert markdown.startswith("## Toggl plan")
    if detail_items(markdown) < creates + removals:
        assert NOTE.search(markdown)


def test_billing_changes_come_after_the_removals_and_before_the_details() -> None:
    plan = full_plan()
    plan["changes"][1]["billing"] = True  # the update; the engine flags what invoices read
    markdown = render_markdown(plan)
    billing_at = markdown.index("> **Billing changes** (2): these move money.")  # + a TE delete
    assert markdown.index("> [!WARNING]") < billing_at < markdown.index("<details>")
    unflagged = full_plan()
    for change in unflagged["changes"]:
        change["billing"] = False
    assert "Billing changes" not in render_markdown(unflagged)


def test_compact_markdown_lists_kinds_and_actions_instead_of_details() -> None:
    markdown = render_markdown(full_plan(), compact=True)
    assert "<details><summary>Projects" not in markdown
    assert "**Changes**\n" in markdown and "- `+` create 1 project: **Globex\\/Website Redesign**" \
        in markdown
    assert markdown.index("> [!WARNING]") < markdown.index("**Changes**")
