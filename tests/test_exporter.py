from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.exporter import export, export_document, export_spec
from reconciler.model import (
    PAID_WORKSPACE_KEYS,
    SETTINGS_FIELDS,
    LiveClient,
    LiveGroup,
    LiveMember,
    LiveProject,
    LiveState,
    LiveTag,
    LiveTask,
    LiveUser,
)
from reconciler.spec import load_specs
from reconciler.spec.schema import load_schema


def live_state(tier: str | None = "premium") -> LiveState:
    return LiveState(
        workspace_id=7,
        workspace_name="Acme",
        tier=tier,  # type: ignore[arg-type]
        clients=(LiveClient(2, "initech", archived=True), LiveClient(1, "Globex", notes="Key")),
        projects=(
            LiveProject(10, "Web", client_id=1, fields={"color": "#0b83d9", "is_private": False,
                                                        "billable": False, "rate": 90.0}),
            LiveProject(11, "Old", client_id=2, active=False, fields={"color": "#9e5bd9"}),
            LiveProject(12, "admin", fields={"color": "#d94182", "is_private": True,
                                             "billable": None, "template": True}),
        ),
        tags=(LiveTag(1, "urgent"), LiveTag(2, "Design")),
    )


def test_export_writes_managed_fields_in_a_stable_order() -> None:
    document = export_document(live_state(), include_archived=False)
    assert document == {
        "version": 1,
        "workspace": "Acme",
        "clients": [{"name": "Globex", "notes": "Key"}],
        "projects": [
            {"name": "admin", "color": "#d94182", "is_private": True, "template": True},
            {"name": "Web", "client": "Globex", "color": "#0b83d9", "is_private": False,
             "billable": False, "rate": 90.0},
        ],
        "tags": ["Design", "urgent"],
    }


def test_archived_objects_are_exported_on_request() -> None:
    document = export_document(live_state(), include_archived=True)
    assert {"name": "initech", "archived": True} in document["clients"]
    assert {"name": "Old", "client": "initech", "color": "#9e5bd9", "active": False} in document["projects"]


@pytest.mark.parametrize(("tier", "exported"), [("free", False), ("premium", True), (None, True)])
def test_billable_false_is_left_out_on_the_free_plan(tier: str | None, exported: bool) -> None:
    web = export_document(live_state(tier), include_archived=False)["projects"][1]
    assert ("billable" in web) is exported


def test_the_exported_file_is_a_valid_spec_with_a_header(tmp_path: Path) -> None:
    text = export_spec(live_state(), include_archived=True, source="https://api.track.toggl.com",
                       now="2026-11-28T00:00:00Z")
    assert text.startswith("# Schema:")
    assert "from workspace 'Acme' (id 7) at https://api.track.toggl.com" in text
    path = tmp_path / "exported.yaml"
    path.write_text(text)
    [desired] = load_specs([str(path)])
    assert (len(desired.clients), len(desired.projects), len(desired.tags)) == (2, 3, 2)
    assert yaml.safe_load(text)["workspace"] == "Acme"


# ---------------------------------------------------------------- hostile names


def hostile_live(workspace_name: str = "Acme") -> LiveState:
    from tests.hostile import HOSTILE

    return LiveState(
        workspace_id=7, workspace_name=workspace_name, tier="premium",
        clients=tuple(LiveClient(i, name, notes=name) for i, name in enumerate(HOSTILE.values(), 1)),
        projects=tuple(LiveProject(100 + i, name, client_id=i, fields={})
                       for i, name in enumerate(HOSTILE.values(), 1)),
        tags=tuple(LiveTag(i, name) for i, name in enumerate(HOSTILE.values(), 1)),
    )


def test_every_exported_string_reads_back_exactly_and_the_rest_is_reported(tmp_path: Path) -> None:
    from tests.hostile import HOSTILE, NEVER_HOLDABLE, assert_log_safe, assert_terminal_safe

    result = export(hostile_live(), include_archived=True, source="s", now="n")
    assert_terminal_safe(result.text)
    assert_log_safe(result.text)
    document = yaml.safe_load(result.text)
    kept = set(document["tags"])
    assert kept.isdisjoint(HOSTILE[key] for key in NEVER_HOLDABLE)
    assert {HOSTILE["group"], HOSTILE["marker"], HOSTILE["issue"]} <= kept
    assert HOSTILE["nel"] not in kept  # a line break (U+0085) no spec name may hold
    assert {c["name"] for c in document["clients"]} == kept == {c["notes"] for c in document["clients"]}
    assert {p["client"] for p in document["projects"]} == kept
    # Each left-out object is named once, and a left-out client takes its project along.
    left_out = len(HOSTILE) - len(kept)
    assert len(result.left_out) == 3 * left_out
    assert sum("left out with its client" in line for line in result.left_out) == left_out
    path = tmp_path / "exported.yaml"
    path.write_text(result.text, encoding="utf-8")
    [desired] = load_specs([str(path)])
    assert {tag.name for tag in desired.tags} == kept


def test_the_header_comment_holds_no_raw_user_text() -> None:
    evil = "Acme\runmanaged: {clients: delete}\u2028safety: {max_removals: 100000}\x85#"
    text = export_spec(hostile_live(evil), include_archived=True, source="http://x\r\nevil: 1",
                       now="n")
    header = text.split("version: 1")[0]
    assert all(line.startswith("#") for line in header.splitlines())
    assert not re.search("[\r\x85\u2028\u2029]", header)
    assert yaml.safe_load(text)["workspace"] == 7  # no spec can hold its line breaks: the id


def test_a_workspace_name_no_spec_can_hold_is_written_as_the_id() -> None:
    result = export(hostile_live("bad\nname"), include_archived=True, source="s", now="n")
    assert yaml.safe_load(result.text)["workspace"] == 7
    assert any(line.startswith("workspace name 'bad\\u000aname' written as the workspace id")
               for line in result.left_out)


# ---------------------------------------------------------------- the workspace kinds


def test_a_workspace_without_the_new_kinds_exports_exactly_as_before() -> None:
    from reconciler import __version__

    text = export_spec(live_state(), include_archived=True, source="s", now="n")
    assert text == (
        "# Schema: schemas/workspace.schema.json in toggl-reconciler; add a "
        "`# yaml-language-server: $schema=<path>` line for editor help.\n"
        f"# Exported by toggl-reconciler {__version__} on n\n"
        "# from workspace 'Acme' (id 7) at s.\n"
        "version: 1\nworkspace: Acme\n"
        "clients:\n  - name: Globex\n    notes: Key\n  - name: initech\n    archived: true\n"
        "projects:\n"
        "  - name: admin\n    color: '#d94182'\n    is_private: true\n    template: true\n"
        "  - name: Web\n    client: Globex\n    color: '#0b83d9'\n    is_private: false\n"
        "    billable: false\n    rate: 90.0\n"
        "  - name: Old\n    client: initech\n    color: '#9e5bd9'\n    active: false\n"
        "tags:\n  - Design\n  - urgent\n"
    )
    result = export(live_state(), include_archived=False, source="s", now="n")
    assert result.written == {"clients": 1, "projects": 2, "tags": 2}
    assert result.archived_left_out == {"clients": 1, "projects": 1}
    assert result.left_out == ()


def test_kinds_read_but_empty_add_nothing() -> None:
    empty = replace(live_state(), settings={}, users=(), groups=(), members=(), tasks=())
    assert export_document(empty, include_archived=True) == \
        export_document(live_state(), include_archived=True)


USERS = (LiveUser(1, "ana@acme.test", "Ana"), LiveUser(2, "Bo@Acme.test"),
         LiveUser(3, "cy@acme.test"))
SETTINGS = {"default_currency": "EUR", "default_hourly_rate": 90, "rounding": 1,
            "rounding_minutes": 15, "only_admins_may_create_projects": True,
            "only_admins_may_create_tags": False, "only_admins_see_team_dashboard": True,
            "projects_billable_by_default": False, "projects_private_by_default": True,
            "projects_enforce_billable": False, "limit_public_project_data": False,
            "reports_collapse": True, "not_a_setting": 1}


def workspace_live(tier: str = "premium", **changes: Any) -> LiveState:
    """live_state() with every workspace kind: settings, groups, members and tasks."""
    state = replace(
        live_state(tier), organization_id=3, settings=SETTINGS, users=USERS,
        groups=(LiveGroup(5, "Designers", user_ids=(2, 9, 1), workspace_ids=(7, 8)),
                LiveGroup(6, "Elsewhere", user_ids=(1,), workspace_ids=(8,)),
                LiveGroup(4, "admins", user_ids=(), workspace_ids=(7,))),
        members=(LiveMember(100, 10, user_id=1, manager=True, rate=120.0),
                 LiveMember(101, 10, group_id=5), LiveMember(102, 10, user_id=3),
                 LiveMember(103, 12, user_id=2, rate=None)),
        tasks=(LiveTask(1, "Wireframes", 10, estimated_seconds=36_000, user_id=1),
               LiveTask(2, "Design review", 10),
               LiveTask(3, "Kickoff", 10, active=False, tracked_seconds=900),
               LiveTask(4, "audit", 12, estimated_seconds=7_200)),
    )
    return replace(state, **changes)


def test_every_workspace_kind_is_written_as_the_spec_writes_it() -> None:
    document = export_document(workspace_live(), include_archived=False)
    assert list(document) == ["version", "workspace", "settings", "groups", "clients",
                              "projects", "tags"]
    assert document["settings"] == {key: value for key, value in SETTINGS.items()
                                    if key != "not_a_setting"}
    assert list(document["settings"]) == [key for key in SETTINGS_FIELDS]
    # Only the groups attached to this workspace; members by e-mail, sorted ignoring case.
    assert document["groups"] == [
        {"name": "admins", "members": []},
        {"name": "Designers", "members": ["ana@acme.test", "Bo@Acme.test"]},
    ]
    admin, web = document["projects"]
    assert admin["members"] == [{"user": "Bo@Acme.test"}]
    assert admin["tasks"] == [{"name": "audit", "estimated_hours": 2}]
    assert web["members"] == [{"user": "ana@acme.test", "manager": True, "rate": 120.0},
                              {"user": "cy@acme.test"}, {"group": "Designers"}]
    # A name alone is the shorthand; a done task needs --include-archived.
    assert web["tasks"] == ["Design review", {"name": "Wireframes", "estimated_hours": 10,
                                              "assignee": "ana@acme.test"}]
    assert list(web)[-2:] == ["members", "tasks"]


def test_a_user_without_an_e_mail_is_never_written_as_an_empty_one() -> None:
    nameless = LiveUser(1, "", "Ana")  # ana, as a server listing her with no e-mail
    result = export(workspace_live(users=(nameless, *USERS[1:])), include_archived=False,
                    source="s", now="n")
    document = yaml.safe_load(result.text)
    designers = next(group for group in document["groups"] if group["name"] == "Designers")
    assert designers["members"] == ["Bo@Acme.test"]
    web = next(project for project in document["projects"] if project["name"] == "Web")
    assert all(member.get("user") != "" for member in web["members"])
    assert "- ''" not in result.text and "user: ''" not in result.text
    assert any("user id 1" in line for line in result.left_out)


def test_done_tasks_are_exported_with_the_archived_objects() -> None:
    result = export(workspace_live(), include_archived=False, source="s", now="n")
    assert result.archived_left_out["tasks"] == 1
    assert result.written == {"clients": 1, "projects": 2, "tags": 2, "groups": 2,
                              "members": 4, "tasks": 3}
    web = export_document(workspace_live(), include_archived=True)["projects"][1]
    assert {"name": "Kickoff", "active": False} in web["tasks"]


def test_a_free_workspace_exports_no_paid_only_key() -> None:
    result = export(workspace_live("free"), include_archived=True, source="s", now="n")
    document = yaml.safe_load(result.text)
    paid_settings = {key.split(".", 1)[1] for key in PAID_WORKSPACE_KEYS
                     if key.startswith("settings.")}
    assert paid_settings and paid_settings.isdisjoint(document["settings"])
    assert "groups" not in document
    assert all("tasks" not in project for project in document["projects"])
    web = next(project for project in document["projects"] if project["name"] == "Web")
    assert {"user": "ana@acme.test", "manager": True} in web["members"]  # no rate
    assert "2 groups left out: groups need a paid plan" in result.left_out
    assert "4 tasks left out: tasks need a paid plan" in result.left_out


def test_what_has_no_e_mail_or_name_here_is_left_unmanaged_and_said() -> None:
    live = workspace_live(
        users=USERS[:2],  # cy is no longer a user of the workspace
        groups=(LiveGroup(5, "Designers", user_ids=(1, 3), workspace_ids=(7,)),),
        members=(LiveMember(102, 10, user_id=3), LiveMember(104, 10, group_id=99),
                 LiveMember(100, 10, user_id=1, manager=True, rate=120.0)),
        tasks=(LiveTask(1, "Wireframes", 10, estimated_seconds=5_400, user_id=3),),
    )
    result = export(live, include_archived=True, source="s", now="n")
    document = yaml.safe_load(result.text)
    # cy is in the group through another workspace: the plan keeps them, unnamed here.
    assert document["groups"] == [{"name": "Designers", "members": ["ana@acme.test"]}]
    web = document["projects"][1]
    assert web["members"] == [{"user": "ana@acme.test", "manager": True, "rate": 120.0}]
    assert web["tasks"] == ["Wireframes"]  # neither the 1.5 h estimate nor the assignee
    assert result.left_out == (
        "member (user id 3) of project 'Globex/Web' left out: not a user of this workspace",
        "member group (id 99) of project 'Globex/Web' left out: no such group in the "
        "organization",
        "task 'Globex/Web/Wireframes': its estimate of 5400 s is not written (the spec holds "
        "whole hours), so the spec leaves it as it is",
        "task 'Globex/Web/Wireframes': its assignee (user id 3) is not written (not a user of "
        "this workspace), so the spec leaves it as it is",
    )


def test_the_workspace_kinds_export_loads_as_a_valid_spec(tmp_path: Path) -> None:
    if "settings" not in load_schema()["properties"]:
        pytest.skip("the schema has no workspace kinds yet")
    path = tmp_path / "exported.yaml"
    path.write_text(export_spec(workspace_live(), include_archived=True, source="s", now="n"))
    [desired] = load_specs([str(path)])
    assert desired.settings is not None and desired.settings.fields["rounding_minutes"] == 15
    assert [group.name for group in desired.groups or ()] == ["admins", "Designers"]
    web = next(project for project in desired.projects if project.name == "Web")
    assert [task.name for task in web.tasks or ()] == ["Design review", "Kickoff", "Wireframes"]
    assert [member.user or member.group for member in web.members or ()] == \
        ["ana@acme.test", "cy@acme.test", "Designers"]


def test_the_workspace_kinds_round_trip_plans_no_change(tmp_path: Path) -> None:
    """The acceptance: export, validate, plan against the same workspace: nothing to do."""
    if "settings" not in load_schema()["properties"]:
        pytest.skip("the schema has no workspace kinds yet")
    from reconciler.engine.planner import build_plan

    for tier in ("premium", "free"):
        live = workspace_live(tier)
        path = tmp_path / f"{tier}.yaml"
        path.write_text(export_spec(live, include_archived=True, source="s", now="n"))
        [desired] = load_specs([str(path)])
        plan = build_plan(desired, live)
        assert plan.changes == (), [change.address for change in plan.changes]


# ---------------------------------------------------------------- hostile names, new kinds


def hostile_workspace_live() -> LiveState:
    from tests.hostile import HOSTILE

    names = list(HOSTILE.values())
    users = tuple(LiveUser(i, f"user{i}@acme.test") for i in range(1, 4))
    return LiveState(
        workspace_id=7, workspace_name="Acme", tier="premium",
        clients=(LiveClient(1, "Globex"),),
        projects=(LiveProject(10, "Web", client_id=1, fields={}),),
        users=users,
        groups=tuple(LiveGroup(100 + i, name, user_ids=(1,), workspace_ids=(7,))
                     for i, name in enumerate(names)),
        members=tuple(LiveMember(200 + i, 10, group_id=100 + i) for i in range(len(names))),
        tasks=tuple(LiveTask(300 + i, name, 10, user_id=2) for i, name in enumerate(names)),
    )


def test_hostile_group_and_task_names_read_back_exactly_or_are_reported(tmp_path: Path) -> None:
    from tests.hostile import HOSTILE, NEVER_HOLDABLE, assert_log_safe, assert_terminal_safe

    result = export(hostile_workspace_live(), include_archived=True, source="s", now="n")
    assert_terminal_safe(result.text)
    assert_log_safe(result.text)
    document = yaml.safe_load(result.text)
    groups = {group["name"] for group in document["groups"]}
    tasks = {task["name"] for task in document["projects"][0]["tasks"]}
    members = {member["group"] for member in document["projects"][0]["members"]}
    # A reference to a group may be longer than a name the plan could create.
    assert groups == tasks and groups <= members
    assert members.isdisjoint(HOSTILE[key] for key in NEVER_HOLDABLE)
    assert {HOSTILE["group"], HOSTILE["marker"], HOSTILE["issue"], HOSTILE["slash"]} <= groups
    # Each object left out is named once.
    assert len(result.left_out) == sum(len(HOSTILE) - len(kept)
                                       for kept in (groups, tasks, members))
    assert_terminal_safe("\n".join(result.left_out))
    if "settings" in load_schema()["properties"]:
        path = tmp_path / "exported.yaml"
        path.write_text(result.text, encoding="utf-8")
        [desired] = load_specs([str(path)])
        assert {group.name for group in desired.groups or ()} == groups


def test_a_hostile_e_mail_is_never_written_raw() -> None:
    from tests.hostile import assert_log_safe, assert_terminal_safe

    evil = "ana\u202e@acme.test\n::error::x"
    live = replace(workspace_live(), users=(LiveUser(1, evil), *USERS[1:]))
    result = export(live, include_archived=True, source="s", now="n")
    assert_terminal_safe(result.text)
    assert_log_safe(result.text)
    assert evil not in yaml.safe_load(result.text).get("groups", [{}])[0].get("members", [])


def test_without_the_users_no_e_mail_is_written_and_that_is_said_once() -> None:
    result = export(workspace_live(users=None), include_archived=True, source="s", now="n")
    document = yaml.safe_load(result.text)
    assert result.left_out == ("members, group members and assignees are not written: the "
                               "workspace's users were not read, so their e-mails are unknown",)
    assert document["groups"] == [{"name": "admins", "members": []}, {"name": "Designers"}]
    web = document["projects"][1]
    assert web["members"] == [{"group": "Designers"}]
    assert {"name": "Wireframes", "estimated_hours": 10} in web["tasks"]


def test_the_export_message_counts_the_workspace_kinds_it_wrote() -> None:
    from reconciler.cli.commands import _object_counts

    assert _object_counts(export(live_state(), include_archived=True, source="s",
                                 now="n").written) == "2 clients, 3 projects, 2 tags"
    assert _object_counts(export(workspace_live(), include_archived=True, source="s",
                                 now="n").written) == \
        "2 clients, 3 projects, 2 tags, 2 groups, 4 members, 4 tasks"


def test_names_equal_up_to_case_are_written_once_and_the_rest_said() -> None:
    live = workspace_live(
        groups=(LiveGroup(5, "Designers", workspace_ids=(7,)),
                LiveGroup(6, "designers", workspace_ids=(7,))),
        members=(LiveMember(100, 10, user_id=1), LiveMember(101, 10, user_id=1, manager=True)),
        tasks=(LiveTask(1, "Review", 10), LiveTask(2, "REVIEW", 10)),
    )
    result = export(live, include_archived=True, source="s", now="n")
    document = yaml.safe_load(result.text)
    assert [group["name"] for group in document["groups"]] == ["Designers"]
    web = document["projects"][1]
    assert web["members"] == [{"user": "ana@acme.test"}]
    assert web["tasks"] == ["Review"]
    assert result.left_out == (
        "group 'designers' left out: another group of the organization has the same name up "
        "to letter case",
        "task 'Globex/Web/REVIEW' left out: another task of the project has the same name up "
        "to letter case",
    )


def test_a_setting_the_spec_cannot_hold_is_left_out_and_said() -> None:
    from tests.hostile import assert_log_safe, assert_terminal_safe

    if "settings" not in load_schema()["properties"]:
        pytest.skip("the schema has no workspace kinds yet")
    live = workspace_live(settings={"default_currency": "\x1b[2J::error::x", "rounding": 7,
                                    "reports_collapse": True})
    result = export(live, include_archived=True, source="s", now="n")
    assert yaml.safe_load(result.text)["settings"] == {"reports_collapse": True}
    assert result.left_out[:2] == (
        "setting default_currency left out: the spec cannot hold its default_currency",
        "setting rounding left out: the spec cannot hold its rounding",
    )
    assert_terminal_safe(result.text)
    assert_log_safe(result.text)
