"""Every renderer, fed the shared hostile corpus: what a terminal, a CI log and GitHub would see."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine.plan import Plan
from reconciler.render import render_json, render_markdown, render_markdown_plans, render_text
from reconciler.render.markdown import MAX_COMMENT_CHARS, md_escape
from tests.hostile import (
    HOSTILE,
    assert_log_safe,
    assert_markdown_inert,
    assert_terminal_safe,
    github_text,
)

from .fixtures import hostile_plan, hostile_workspace_plan, many_changes_plan

NAMES = pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))


@NAMES
def test_text_plan_is_safe_on_a_terminal_and_in_a_ci_log(name: str) -> None:
    plan = hostile_plan(name)
    for colour in (False, True):
        text = render_text(plan, color=colour)
        assert_terminal_safe(text, colour=colour)
        assert_log_safe(text)
    # Each name stays on its own line: the output has as many lines as with a plain name.
    assert render_text(plan).count("\n") == render_text(hostile_plan("plain")).count("\n")


@NAMES
def test_markdown_plan_links_nothing_mentions_no_one_and_keeps_its_sections(name: str) -> None:
    markdown = render_markdown(hostile_plan(name))
    assert_markdown_inert(markdown)
    assert_terminal_safe(markdown.replace("\u200b", ""))
    assert_log_safe(markdown)  # `cat plan.md` in the workflow puts it in the CI log
    if "not shown" not in markdown:  # not cut short by the size limit
        assert markdown.count("\n") == render_markdown(hostile_plan("plain")).count("\n")


KINDS_OF_PLAN = pytest.mark.parametrize("make", [hostile_plan, hostile_workspace_plan],
                                        ids=["objects", "workspace-kinds"])


@NAMES
def test_workspace_kinds_text_plan_is_safe_on_a_terminal_and_in_a_ci_log(name: str) -> None:
    plan = hostile_workspace_plan(name)
    for colour in (False, True):
        for compact in (False, True):
            text = render_text(plan, color=colour, compact=compact)
            assert_terminal_safe(text, colour=colour)
            assert_log_safe(text)
    plain = hostile_workspace_plan("plain")
    assert render_text(plan).count("\n") == render_text(plain).count("\n")


@NAMES
def test_workspace_kinds_markdown_links_nothing_and_keeps_its_sections(name: str) -> None:
    plan = hostile_workspace_plan(name)
    for compact in (False, True):
        markdown = render_markdown(plan, compact=compact)
        assert_markdown_inert(markdown)
        assert_terminal_safe(markdown.replace("\u200b", ""))
        assert_log_safe(markdown)
    markdown = render_markdown(plan)
    if "not shown" not in markdown:
        assert markdown.count("\n") == render_markdown(hostile_workspace_plan("plain")).count("\n")


@NAMES
def test_workspace_kinds_adopt_snippet_reads_back_exactly(name: str) -> None:
    from reconciler.render.common import adopt_snippet

    snippet = adopt_snippet(hostile_workspace_plan(name)["unmanaged"])
    assert_terminal_safe(snippet)
    assert_log_safe(snippet)
    if "\ud800" in name:
        return  # YAML cannot hold a lone surrogate: shown escaped, as for the other kinds
    adopted = yaml.safe_load(snippet)
    assert adopted["groups"] == [{"name": name, "members": [name]}]
    [project] = adopted["projects"]
    assert (project["tasks"], project["members"]) == ([name], [{"group": name}])


@KINDS_OF_PLAN
@NAMES
def test_json_plan_of_any_kind_reads_back(name: str, make: Any) -> None:
    plan = make(name)
    text = render_json(plan)
    assert json.loads(text) == plan
    assert Plan.from_json(json.loads(text)).to_json() == plan
    assert_terminal_safe(text)
    assert_log_safe(text)


@NAMES
def test_json_plan_reads_back_as_the_same_plan_and_is_inert_when_shown(name: str) -> None:
    plan = hostile_plan(name)
    text = render_json(plan)
    assert json.loads(text) == plan
    assert Plan.from_json(json.loads(text)).to_json() == plan
    assert_terminal_safe(text)
    assert_log_safe(text)
    text.encode("utf-8")  # a lone surrogate is escaped, so the document can be written


def test_a_lone_surrogate_does_not_break_any_renderer() -> None:
    plan = hostile_plan("lone \ud800 surrogate")
    for text in (render_text(plan), render_markdown(plan), render_json(plan)):
        text.encode("utf-8")
        assert "\\ud800" in text


@pytest.mark.parametrize(("name", "reference"), [
    ("#1", "#1"), ("acme/infra#12", "#12"), ("GH-7", "GH-7"), ("gh-7", "gh-7"),
    ("@org/team", "@org"), ("a5c3785ed8d6", "a5c3785ed8d6"),
])
def test_references_are_broken_by_a_zero_width_space_the_reader_does_not_see(
    name: str, reference: str
) -> None:
    escaped = md_escape(name)
    assert reference not in github_text(escaped)
    assert github_text(escaped).replace("\u200b", "") == name


@pytest.mark.parametrize("word", ["defaced", "2026001", "Q1 2026", "#tag", "C#"])
def test_words_and_numbers_that_are_no_references_are_left_alone(word: str) -> None:
    assert github_text(md_escape(word)) == word


def test_two_big_workspaces_share_one_comment_budget() -> None:
    plans = [many_changes_plan(2_000), many_changes_plan(2_000)]
    separate = sum(len(render_markdown(plan)) for plan in plans)
    combined = render_markdown_plans(plans)
    assert separate > 65_536  # what one comment per workspace added up to before
    assert len(combined) <= MAX_COMMENT_CHARS
    assert combined.count("## Toggl plan for workspace") == 2
    assert combined.count("changes not shown") == 2  # each plan says what it left out
    assert combined.count("the comment is limited to 60,000 characters") == 2


@pytest.mark.parametrize("count", [10, 100])
def test_many_workspaces_fit_one_comment_with_balanced_sections(count: int) -> None:
    combined = render_markdown_plans([many_changes_plan(300) for _ in range(count)])
    assert len(combined) <= MAX_COMMENT_CHARS
    assert combined.count("## Toggl plan for workspace") == count
    assert combined.count("<details>") == combined.count("</details>")


def test_a_small_plan_next_to_a_big_one_is_shown_whole() -> None:
    small, big = many_changes_plan(5), many_changes_plan(4_000)
    combined = render_markdown_plans([small, big])
    assert combined.startswith(render_markdown(small))
    assert len(combined) <= MAX_COMMENT_CHARS


def test_plans_that_fit_are_rendered_as_they_are_alone() -> None:
    plans = [hostile_plan("a"), hostile_plan("b")]
    assert render_markdown_plans(plans) == "\n".join(render_markdown(plan) for plan in plans)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("äé€漢")))
@settings(max_examples=300, deadline=None)
def test_any_visible_name_reads_the_same_on_github_and_references_nothing(name: str) -> None:
    escaped = md_escape(name)
    seen = github_text(escaped)
    assert seen.replace("\u200b", "") == name
    assert_markdown_inert(f"- **{escaped}**\n")
