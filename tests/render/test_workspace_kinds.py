"""The workspace kinds (settings, groups, members, tasks, workspaces) in every renderer."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reconciler.engine.plan import Change, UnmanagedObject
from reconciler.model import ALL_KINDS
from reconciler.render import render_markdown, render_text
from reconciler.render.common import adopt_snippet, compact_groups, parent_address
from reconciler.render.kinds import KIND_WORDS, kind_words, kinds_in_order
from reconciler.render.text import change_headline

from .fixtures import (
    PROJECT,
    add_group_member,
    add_member,
    archive_task,
    create_group,
    create_project,
    create_task,
    create_workspace,
    delete_tag,
    delete_task,
    plan_json,
    remove_group,
    remove_member,
    rename_group,
    rename_task,
    restore_task,
    update_group,
    update_member,
    update_settings,
    update_task,
    workspace_plan,
)

ON = f'"{PROJECT}"'


def only_change(change: Change) -> dict[str, Any]:
    return plan_json(change)["changes"][0]


@pytest.mark.parametrize(
    ("change", "headline"),
    [
        (create_workspace(), '+ workspace "Acme Corp" will be created (in organization 4567)'),
        (update_settings(), '~ settings of workspace "Acme Corp" will be updated in place'),
        (create_group(), '+ group "Designers" will be created'),
        (update_group(), '~ group "Designers" will be updated in place'),
        (rename_group(), '> group "Designers" will be renamed from "Design" to "Designers"'),
        (remove_group("delete"),
         '- group "Contractors" will be deleted from the organization '
         "(it is attached to no other workspace; 3 people lose access)"),
        (remove_group("detach", "Agency", people=1),
         '- group "Agency" will be detached from this workspace '
         "(it stays in the organization for its other workspaces; 1 person loses access)"),
        (add_member(), f'+ member "ana@acme.test" on {ON} will be added (manager, rate 120)'),
        (add_member(manager=False, rate=None), f'+ member "ana@acme.test" on {ON} will be added'),
        (add_member(manager=False, rate=90.5),
         f'+ member "ana@acme.test" on {ON} will be added (rate 90.5)'),
        (add_group_member(), f'+ member group "Designers" on {ON} will be added'),
        (update_member(), f'~ member "ana@acme.test" on {ON} will be updated in place'),
        (remove_member(), f'- member "cy@acme.test" on {ON} will be removed '
                          "(1 person loses access)"),
        (remove_member("Freelancers", people=4, group=True),
         f'- member group "Freelancers" on {ON} will be removed (4 people lose access)'),
        (create_task(), f'+ task "Wireframes" in {ON} will be created'),
        (rename_task(), f'> task "Wireframes" in {ON} will be renamed from "Mockups" to '
                        '"Wireframes"'),
        (update_task(), f'~ task "Wireframes" in {ON} will be updated in place'),
        (archive_task(), f'v task "Kickoff" in {ON} will be archived (2.5 h tracked)'),
        (restore_task(), f'^ task "Kickoff" in {ON} will be restored'),
        (delete_task(), f'- task "Legacy" in {ON} will be deleted (12.5 h tracked)'),
    ],
)
def test_headline_of_every_new_kind_and_action(change: Change, headline: str) -> None:
    assert change_headline(only_change(change)) == headline


@pytest.mark.parametrize(
    ("change", "done"),
    [
        (add_member(), f'+ member "ana@acme.test" on {ON} added (manager, rate 120)'),
        (remove_member(), f'- member "cy@acme.test" on {ON} removed (1 person loses access)'),
        (remove_group("detach", "Agency"), '- group "Agency" detached from this workspace '
         "(it stays in the organization for its other workspaces; 3 people lose access)"),
        (delete_task(), f'- task "Legacy" in {ON} deleted (12.5 h tracked)'),
    ],
)
def test_done_headlines_of_the_new_kinds(change: Change, done: str) -> None:
    assert change_headline(only_change(change), done=True) == done


def test_a_group_removal_that_does_not_say_which_is_a_plain_delete() -> None:
    change = only_change(remove_group())
    change["options"] = {}
    assert change_headline(change) == '- group "Contractors" will be deleted (3 people lose access)'


def test_a_group_of_the_organization_attached_here_says_so() -> None:
    change = only_change(update_group())
    change["fields"].append({"field": "attached", "before": False, "after": True})
    assert change_headline(change) == \
        '~ group "Designers" will be updated in place (attached to this workspace)'
    assert "(attached to this workspace)" in render_markdown(plan_json(update_group()) | {
        "changes": [change]})


def test_settings_show_each_key_before_and_after() -> None:
    text = render_text(plan_json(update_settings()))
    assert ('  ~ settings of workspace "Acme Corp" will be updated in place\n'
            '      ~ default_currency: "USD" -> "EUR"\n'
            "      ~ rounding_minutes: 0 -> 15\n") in text


def test_a_new_group_lists_its_members_and_a_changed_one_what_it_adds_and_removes() -> None:
    text = render_text(plan_json(create_group(), update_group()))
    assert ('  + group "Designers" will be created\n'
            '      + members: ["ana@acme.test", "bo@acme.test"]\n\n') in text  # not its name again
    assert ('      ~ members: ["ana@acme.test", "cy@acme.test"] -> ["ana@acme.test", '
            '"bo@acme.test"] (adds "bo@acme.test"; removes "cy@acme.test")\n') in text


def test_task_fields_are_listed_in_spec_terms() -> None:
    text = render_text(plan_json(create_task(), update_task()))
    assert ("      + active: true\n      + estimated_hours: 10\n"
            '      + assignee: "ana@acme.test"\n') in text
    assert '      ~ assignee: "ana@acme.test" -> null\n' in text


def test_removals_of_the_new_kinds_come_first_with_their_blast_radius() -> None:
    text = render_text(workspace_plan())
    top = text.split("\n\n")[1].splitlines()
    assert top == [
        "6 objects will be archived or deleted:",
        f'  v task "Kickoff" in {ON} will be archived (2.5 h tracked)',
        f'  - task "Legacy" in {ON} will be deleted (12.5 h tracked)',
        f'  - member "cy@acme.test" on {ON} will be removed (1 person loses access)',
        f'  - member group "Freelancers" on {ON} will be removed (4 people lose access)',
        '  - group "Agency" will be detached from this workspace (it stays in the organization '
        "for its other workspaces; 3 people lose access)",
        '  - group "Contractors" will be deleted from the organization (it is attached to no '
        "other workspace; 3 people lose access)",
    ]


def test_summary_counts_the_new_kinds() -> None:
    assert render_text(workspace_plan()).startswith(
        "Plan: 5 to create, 4 to update, 2 to rename, 1 to archive, 1 to restore, 5 to delete.\n")


def test_compact_lines_per_kind_and_action_in_phase_order_with_each_kinds_noun() -> None:
    plan = plan_json(delete_tag(), create_task(), create_task("Review"), update_settings(),
                     add_member(), create_project(), create_workspace(), remove_group())
    lines = render_text(plan, compact=True).split("(run without --compact for every field):\n")[1]
    assert lines.splitlines()[:7] == [
        '  + create 1 workspace: "Acme Corp"',
        '  ~ update 1 settings: "settings"',
        '  + create 1 project: "Globex/Website Redesign"',
        '  - delete 1 tag: "legacy"',
        '  - delete 1 group: "Contractors"',
        f'  + create 1 member: "{PROJECT}/user:ana@acme.test"',
        f'  + create 2 tasks: "{PROJECT}/Wireframes", "{PROJECT}/Review"',
    ]
    markdown = render_markdown(plan, compact=True)
    assert "- `~` update 1 settings: **settings**\n" in markdown
    assert "- `+` create 2 tasks: **Globex\\/Website Redesign\\/Wireframes**, " in markdown


def test_markdown_has_a_section_per_new_kind_in_phase_order() -> None:
    markdown = render_markdown(workspace_plan())
    titles = ["Workspace: 1 change", "Settings: 1 change", "Groups: 5 changes",
              "Members: 5 changes", "Tasks: 6 changes"]
    positions = [markdown.index(f"<details><summary>{title}</summary>") for title in titles]
    assert positions == sorted(positions)
    assert "not shown" not in markdown  # every change is in a section


def test_markdown_lines_of_the_new_kinds() -> None:
    markdown = render_markdown(workspace_plan())
    project = "**Globex\\/Website Redesign**"
    for line in (
        "- `+` create workspace **Acme Corp** (in organization 4567)",
        "- `~` update settings of workspace **Acme Corp**",
        f"- `+` add member **ana@\u200bacme\\.test** on {project} (manager, rate 120)",
        f"- `+` add member group **Designers** on {project}",
        f"- `-` remove member **cy@\u200bacme\\.test** on {project} (1 person loses access)",
        "- `-` detach group **Agency** (it stays in the organization for its other workspaces; "
        "3 people lose access)",
        "- `-` delete group **Contractors** (it is attached to no other workspace; 3 people "
        "lose access)",
        f"- `-` delete task **Legacy** in {project} (12.5 h tracked)",
        f"- `>` rename task **Wireframes** in {project} from **Mockups** to **Wireframes**",
    ):
        assert line in markdown, line
    assert "> - `-` remove member **cy@\u200bacme\\.test**" in markdown  # in the warning too
    assert '    members adds "bo@acme.test"; removes "cy@acme.test"\n' in markdown


def test_every_kind_of_the_model_has_its_words() -> None:
    assert set(KIND_WORDS) == set(ALL_KINDS)
    assert kinds_in_order(reversed(ALL_KINDS))[:2] == ["workspace", "settings"]
    assert kinds_in_order(["task", "later", "client", "earlier"]) == \
        ["client", "task", "later", "earlier"]


def test_a_kind_the_table_does_not_know_is_still_shown_everywhere() -> None:
    plan = plan_json(create_task())
    plan["changes"][0]["kind"] = "widget"
    plan["changes"][0]["address"] = "w1"
    assert '+ widget "w1" will be created' in render_text(plan)
    assert "  + create 1 widget: \"w1\"" in render_text(plan, compact=True)
    markdown = render_markdown(plan)
    assert "<details><summary>Widget: 1 change</summary>" in markdown
    assert "not shown" not in markdown
    assert kind_words("widget").plural == "widgets"


@pytest.mark.parametrize(
    ("address", "parent"),
    [("Globex/Web/Wireframes", "Globex/Web"), ("Solo/user:a@b.c", "Solo"),
     ("Globex/Ops\\/Pay/Task\\/1", "Globex/Ops\\/Pay"), ("Globex/Web/group:A\\/B", "Globex/Web")],
)
def test_a_plan_without_parent_takes_it_from_the_address(address: str, parent: str) -> None:
    assert parent_address({"address": address, "parent": None}) == parent


def test_compact_groups_put_unknown_kinds_last() -> None:
    plan = plan_json(create_task(), delete_tag())
    plan["changes"].insert(0, dict(plan["changes"][0], kind="widget"))
    assert [kind for kind, _, _ in compact_groups(plan)] == ["tag", "task", "widget"]


# ---------------------------------------------------------------- the bill by kind


def test_the_bill_shows_reads_and_writes_by_kind_when_the_plan_has_them() -> None:
    plan = plan_json(create_task())
    # Reads in the order the live read made them (as live.READ_KINDS), writes in kind order.
    plan["bill"]["reads_by_kind"] = {"clients": 1, "projects": 1, "users": 1, "tasks": 2}
    plan["bill"]["writes_by_kind"] = {"task": 3, "member": 1}
    lines = render_text(plan).splitlines()
    assert lines[1].startswith("Requests: 4 reads made, 7 writes to apply")
    assert lines[2] == ("By kind: reads: clients 1, projects 1, users 1, tasks 2; "
                        "writes: members 1, tasks 3.")
    assert "Quota: 583 left, resets in 20m 0s.  \nBy kind: reads: clients 1" in \
        render_markdown(plan)


def test_reads_billed_by_section_name_are_shown_in_the_order_they_were_made() -> None:
    plan = plan_json()
    plan["bill"]["reads_by_kind"] = {"workspaces": 1, "clients": 1, "tags": 1, "projects": 1,
                                     "settings": 1, "users": 1, "groups": 1, "members": 2,
                                     "tasks": 1}
    assert render_text(plan).splitlines()[2] == (
        "By kind: reads: workspaces 1, clients 1, tags 1, projects 1, settings 1, users 1, "
        "groups 1, members 2, tasks 1.")


@pytest.mark.parametrize("by_kind", [None, {}, "12", {"task": "3", "tag": True}, []])
def test_a_bill_without_counts_by_kind_reads_as_before(by_kind: Any) -> None:
    plan = plan_json(create_task())
    before = render_text(plan)
    plan["bill"]["reads_by_kind"] = by_kind
    plan["bill"]["writes_by_kind"] = by_kind
    assert render_text(plan) == before


def test_a_hostile_by_kind_key_is_escaped() -> None:
    plan = plan_json()
    plan["bill"]["writes_by_kind"] = {"\x1b[2J\n::error::x": 1, "@org/team #1": 2}
    text = render_text(plan)
    assert "\x1b" not in text and "\n::error" not in text
    assert "@org/team" not in render_markdown(plan)


# ---------------------------------------------------------------- adopting unmanaged objects


UNMANAGED_WORKSPACE = (
    UnmanagedObject("group", "Agency", 701, {"name": "Agency", "members": ["ana@acme.test"]}),
    UnmanagedObject("member", f"{PROJECT}/user:ana@acme.test", 702,
                    {"user": "ana@acme.test", "manager": True}),
    UnmanagedObject("task", f"{PROJECT}/Wireframes", 703, "Wireframes"),
    UnmanagedObject("task", "Hooli/Nucleus/Build", 704, {"name": "Build", "active": False}),
    UnmanagedObject("project", "Hooli/Nucleus", 705, {"name": "Nucleus", "client": "Hooli"}),
    UnmanagedObject("member", "Solo/group:Ops\\/Team", 706, {"group": "Ops/Team"}),
    UnmanagedObject("tag", "later", 707, "later"),
)


def test_members_and_tasks_are_adopted_under_their_projects_entry() -> None:
    entries = plan_json(unmanaged=UNMANAGED_WORKSPACE)["unmanaged"]
    snippet = yaml.safe_load(adopt_snippet(entries))
    assert list(snippet) == ["projects", "tags", "groups"]
    assert snippet["projects"] == [
        {"name": "Nucleus", "client": "Hooli", "tasks": [{"name": "Build", "active": False}]},
        {"name": "Website Redesign", "client": "Globex",
         "members": [{"user": "ana@acme.test", "manager": True}], "tasks": ["Wireframes"]},
        {"name": "Solo", "members": [{"group": "Ops/Team"}]},
    ]
    assert snippet["groups"] == [{"name": "Agency", "members": ["ana@acme.test"]}]
    assert entries[4]["spec"] == {"name": "Nucleus", "client": "Hooli"}  # the plan is untouched
    text = render_text(plan_json(unmanaged=UNMANAGED_WORKSPACE))
    assert f'  member "{PROJECT}/user:ana@acme.test" (id 702)\n' in text


def test_a_huge_plan_of_tasks_and_members_stays_within_the_comment_limit() -> None:
    from reconciler.render.markdown import MAX_COMMENT_CHARS

    changes = [create_task(f"Task {i:05d}") for i in range(3_000)]
    changes += [remove_member(f"user{i:05d}@acme.test") for i in range(2_000)]
    markdown = render_markdown(plan_json(*changes))
    assert len(markdown) <= MAX_COMMENT_CHARS
    assert "> 2000 objects will be archived or deleted:" in markdown
    assert "more not listed (the comment has a size limit)" in markdown
    assert "5000 of 5000 changes not shown" in markdown  # the removals took the room
    assert markdown.count("<details>") == markdown.count("</details>")


def test_the_snippet_says_where_members_and_tasks_go() -> None:
    intro = "To manage them, add these entries to the spec (members and tasks into their " \
            "project's own entry):"
    assert intro in render_text(plan_json(unmanaged=UNMANAGED_WORKSPACE))
    assert intro in render_markdown(plan_json(unmanaged=UNMANAGED_WORKSPACE))
    only_group = plan_json(unmanaged=UNMANAGED_WORKSPACE[:1])
    assert "To manage them, add these entries to the spec:\n" in render_text(only_group)


def test_a_workspace_the_plan_creates_has_no_id_in_the_heading() -> None:
    plan = plan_json(create_workspace(), update_settings())
    plan["workspace"]["id"] = 0
    assert render_markdown(plan).startswith(
        "## Toggl plan for workspace **Acme Corp** (to be created)\n\n")
    assert render_markdown(plan_json(create_workspace())).startswith(
        "## Toggl plan for workspace **Acme Corp** (id 1234)\n\n")
