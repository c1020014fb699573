from __future__ import annotations

from typing import Any

import pytest
import yaml

from reconciler.engine.plan import Change
from reconciler.render.text import change_headline, render_text, summary_line

from .fixtures import (
    HOSTILE_NAMES,
    UNMANAGED,
    archive_client,
    create_project,
    delete_client,
    delete_project,
    delete_tag,
    full_plan,
    hostile_plan,
    plan_json,
    rename_tag,
    restore_client,
    update_project,
)


def only_change(change: Change) -> dict[str, Any]:
    return plan_json(change)["changes"][0]


@pytest.mark.parametrize(
    ("change", "headline"),
    [
        (create_project(), '+ project "Globex/Website Redesign" will be created'),
        (create_project("Solo", client=None), '+ project "Solo" will be created'),
        (update_project(), '~ project "Globex/Website Redesign" will be updated in place'),
        (rename_tag(), '> tag "code-review" will be renamed from "review" to "code-review"'),
        (archive_client(), 'v client "Initech" will be archived '
                           "(takes 4 projects along, 312.5 h tracked)"),
        (archive_client(projects=1, seconds=0), 'v client "Initech" will be archived '
                                                "(takes 1 project along, 0.0 h tracked)"),
        (restore_client(), '^ client "Acme" will be restored (3 projects come back with it)'),
        (restore_client((7,)), '^ client "Acme" will be restored (1 project comes back with it)'),
        (restore_client(()), '^ client "Acme" will be restored '
                             "(its archived projects stay archived)"),
        (delete_project("unassign"),
         '- project "Globex/Old Site" will be deleted '
         "(12.0 h tracked; its time entries are kept, without a project)"),
        (delete_project("delete"), '- project "Globex/Old Site" will be deleted '
                                   "(12.0 h tracked; its time entries will be DESTROYED)"),
        (delete_client(), '- client "Umbrella" will be deleted '
                          "(2 projects kept without a client, 2.0 h tracked)"),
        (delete_tag(), '- tag "legacy" will be deleted'),
    ],
)
def test_headline_of_every_action(change: Change, headline: str) -> None:
    assert change_headline(only_change(change)) == headline


def test_full_text_indents_headlines_and_fields() -> None:
    text = render_text(plan_json(update_project(), create_project()))
    assert '  ~ project "Globex/Website Redesign" will be updated in place\n' in text
    assert '      ~ color: "#0b83d9" -> "#9e5bd9"\n' in text
    assert "      ~ estimated_hours: null -> 12.5\n" in text
    assert '      ~ tags: ["a"] -> ["a", "b"]\n' in text
    assert '      + color: "#9e5bd9"\n' in text  # a create shows only the new value
    assert "      + active: true\n" in text


def test_rename_does_not_repeat_the_name_field_and_shows_its_reason() -> None:
    text = render_text(plan_json(rename_tag()))
    assert "name:" not in text
    assert "      # renamed from 'review'\n" in text


def test_plan_reads_from_the_top_summary_removals_warnings_then_details() -> None:
    text = render_text(full_plan())
    positions = [text.index(line) for line in (
        "Plan: 1 to create",
        "Requests: 4 reads made",
        "3 objects will be archived or deleted:\n",
        "Warning: project 'Globex/Site' is protected",
        "Actions are shown with these symbols:",
        'project "Globex/Website Redesign" will be created',
        'tag "code-review" will be renamed',
        "Unmanaged: 4 live objects",
    )]
    assert positions == sorted(positions)
    # The removals are listed at the top and again in plan order among the details.
    assert text.count('client "Initech" will be archived') == 2


def test_billing_changes_follow_the_removals() -> None:
    plan = full_plan()
    plan["changes"][1]["billing"] = True  # the update: the engine flags changes invoices read
    text = render_text(plan)
    removals_at = text.index("3 objects will be archived or deleted:")
    billing_at = text.index("Billing changes (2): these move money.")  # + a TE delete
    assert removals_at < billing_at < text.index("Actions are shown")
    unflagged = full_plan()
    for change in unflagged["changes"]:
        change["billing"] = False
    assert "Billing changes" not in render_text(unflagged)  # no flag, no section


def test_compact_plan_has_one_line_per_kind_and_action() -> None:
    changes = [create_project(f"P{number}", "Globex") for number in range(5)]
    text = render_text(plan_json(*changes, delete_tag(), archive_client()), compact=True)
    assert ('  + create 5 projects: "Globex/P0", "Globex/P1", "Globex/P2" and 2 more\n'
            in text)
    assert '  - delete 1 tag: "legacy"' in text
    assert '  v archive 1 client: "Initech"' in text
    assert "      + color" not in text and "Actions are shown" not in text
    assert text.startswith("Plan: 5 to create")


def test_compact_names_are_escaped_like_headlines() -> None:
    text = render_text(plan_json(create_project("evil\x1b[31m\u202e", "Globex")), compact=True)
    assert "\x1b" not in text and "\u202e" not in text
    assert '"Globex/evil\\u001b[31m\\u202e"' in text


def test_long_plan_repeats_its_summary_after_the_details() -> None:
    changes = [create_project(f"P{number}", "Globex") for number in range(11)]
    lines = render_text(plan_json(*changes)).splitlines()
    assert lines[0] == lines[-1] == "Plan: 11 to create, 0 to update, 0 to rename, " \
        "0 to archive, 0 to restore, 0 to delete."


@pytest.mark.parametrize(
    ("changes", "legend"),
    [
        ((create_project(),), ["+ create"]),
        ((delete_tag(), create_project()), ["+ create", "- delete"]),
        ((rename_tag(), archive_client(), restore_client()),
         ["> rename", "v archive", "^ restore"]),
        ((update_project(), update_project()), ["~ update in place"]),
    ],
)
def test_legend_lists_only_symbols_present(changes: tuple[Change, ...], legend: list[str]) -> None:
    text = render_text(plan_json(*changes))
    legend_block = text[text.index("Actions are shown"):]
    lines = legend_block.split("\n\n")[0].splitlines()
    assert lines == ["Actions are shown with these symbols:"] + [f"  {entry}" for entry in legend]


@pytest.mark.parametrize(
    ("change", "ansi"),
    [
        (create_project(), "\x1b[32m+\x1b[0m"),
        (update_project(), "\x1b[33m~\x1b[0m"),
        (rename_tag(), "\x1b[36m>\x1b[0m"),
        (archive_client(), "\x1b[35mv\x1b[0m"),
        (restore_client(), "\x1b[34m^\x1b[0m"),
        (delete_tag(), "\x1b[31m-\x1b[0m"),
    ],
)
def test_colour_marks_each_symbol(change: Change, ansi: str) -> None:
    assert change_headline(only_change(change), color=True).startswith(ansi + " ")
    assert f"  {ansi} " in render_text(plan_json(change), color=True)  # legend too


def test_colour_marks_destroyed_time_entries_red() -> None:
    headline = change_headline(only_change(delete_project("delete")), color=True)
    assert "\x1b[31mDESTROYED\x1b[0m" in headline


def test_no_escape_codes_without_colour() -> None:
    assert "\x1b" not in render_text(full_plan())
    assert "\x1b" in render_text(full_plan(), color=True)


def test_empty_plan() -> None:
    assert render_text(plan_json()) == (
        "No changes. The workspace matches the spec.\n"
        "Requests: 4 reads made, 7 writes to apply (a per-object tool: 57 reads, 12 writes). "
        "Quota: 583 left, resets in 20m 0s.\n"
    )


def test_empty_plan_still_lists_warnings_and_unmanaged_objects() -> None:
    text = render_text(plan_json(warnings=("careful",), unmanaged=UNMANAGED))
    assert "Actions are shown" not in text
    assert "Warning: careful\n" in text
    assert "Unmanaged: 4 live objects" in text


def test_summary_line_counts_from_the_summary() -> None:
    assert summary_line(full_plan()) == (
        "Plan: 1 to create, 1 to update, 1 to rename, 1 to archive, 1 to restore, 2 to delete."
    )


def test_summary_line_trusts_the_summary_over_the_change_list() -> None:
    plan = plan_json(create_project())
    plan["summary"] = {"create": 3, "update": 1, "rename": 1, "archive": 2, "restore": 0,
                       "delete": 1, "total": 8}
    assert summary_line(plan) == (
        "Plan: 3 to create, 1 to update, 1 to rename, 2 to archive, 0 to restore, 1 to delete."
    )


@pytest.mark.parametrize(
    ("quota", "bill"),
    [
        ({"remaining": 583, "resets_in": 1200}, "Quota: 583 left, resets in 20m 0s."),
        ({"remaining": 0, "resets_in": 59}, "Quota: 0 left, resets in 59s."),
        ({"remaining": 12, "resets_in": 3725}, "Quota: 12 left, resets in 1h 2m 5s."),
        ({"remaining": 30, "resets_in": None}, "Quota: 30 left."),
        ({"remaining": None, "resets_in": 61}, "Quota: resets in 1m 1s."),
    ],
)
def test_bill_line_with_quota(quota: dict[str, Any], bill: str) -> None:
    plan = plan_json()
    plan["bill"]["quota"] = quota
    last_line = render_text(plan).splitlines()[1]
    assert last_line == (
        "Requests: 4 reads made, 7 writes to apply (a per-object tool: 57 reads, 12 writes). "
        + bill
    )


def test_bill_line_without_quota_and_with_singulars() -> None:
    plan = plan_json(quota=False)
    plan["bill"].update(reads=1, writes=1, per_object_reads=1, per_object_writes=0)
    assert render_text(plan).splitlines()[1] == (
        "Requests: 1 read made, 1 write to apply (a per-object tool: 1 read, 0 writes). "
        "Quota: Toggl reported none."
    )


def test_multi_line_warning_lines_up_under_its_first_line() -> None:
    text = render_text(plan_json(create_project(), warnings=("first\nsecond",)))
    assert "Warning: first\n         second\n" in text


def test_unmanaged_section_lists_objects_and_a_snippet_that_parses_back() -> None:
    text = render_text(plan_json(unmanaged=UNMANAGED))
    assert '  project "Hooli/Nucleus" (id 82)\n' in text
    snippet = text.split("add these entries to the spec:\n\n")[1].split("\n\nNo changes.")[0]
    assert yaml.safe_load(snippet) == {
        "clients": [UNMANAGED[0].spec_entry],
        "projects": [UNMANAGED[1].spec_entry, UNMANAGED[2].spec_entry],
        "tags": ["billable-later"],
    }
    assert list(yaml.safe_load(snippet)["projects"][0]) == ["name", "client", "color", "is_private"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_cannot_drive_the_terminal(name: str) -> None:
    text = render_text(hostile_plan(name))
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    for line in text.splitlines():
        # A newline in a name must not start a line of its own.
        assert not line.startswith(("break", "red")), line


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_in_unmanaged_snippet_parse_back(name: str) -> None:
    text = render_text(hostile_plan(name))
    snippet = text.split("add these entries to the spec:\n\n")[1].split("\n\nPlan: ")[0]
    assert yaml.safe_load(snippet) == {"clients": [{"name": name, "notes": name}], "tags": [name]}


def test_done_headlines_read_in_the_past_for_apply_progress() -> None:
    from reconciler.engine.plan import Action, Change, FieldChange
    from reconciler.render.text import change_headline

    rename = Change(Action.RENAME, "tag", "new", "new", live_id=1,
                    fields=(FieldChange("name", "old", "new"),)).to_json()
    assert change_headline(rename) == '> tag "new" will be renamed from "old" to "new"'
    assert change_headline(rename, done=True) == '> tag "new" renamed from "old" to "new"'


def test_one_unmanaged_object_is_left_as_it_is() -> None:
    assert "Unmanaged: 1 live object is not in the spec and left as it is.\n" in \
        render_text(plan_json(unmanaged=UNMANAGED[:1]))
    assert "Unmanaged: 4 live objects are not in the spec and left as they are.\n" in \
        render_text(plan_json(unmanaged=UNMANAGED))
