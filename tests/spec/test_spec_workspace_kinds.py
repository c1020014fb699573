"""The workspace kinds of issue 12 in the spec: organization, settings, groups, project members
and tasks, their unmanaged policies and protection patterns. Valid specs normalize into the
model's records; every bad value and every cross-entry problem is one message at file:line."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import jsonschema
import pytest
import yaml

from reconciler.model import (
    SETTINGS_FIELDS,
    DesiredGroup,
    DesiredMember,
    DesiredSettings,
    DesiredTask,
    SourceLocation,
)
from reconciler.spec import SpecError, load_specs, validate_paths
from reconciler.spec.schema import load_schema

ROOT = Path(__file__).resolve().parents[2]
FULL_EXAMPLE = ROOT / "examples" / "workspace-full.yaml"
HEAD = "version: 1\nworkspace: W\n"


def _messages(write_spec, text: str, name: str = "x.yaml") -> list[str]:
    return [str(problem) for problem in validate_paths([write_spec(name, HEAD + text)])]


def _state(write_spec, text: str):
    [state] = load_specs([write_spec("x.yaml", HEAD + text)])
    return state


# ------------------------------------------------------------ without the new keys

def test_a_spec_without_the_new_keys_normalizes_as_before(write_spec):
    state = _state(write_spec, "unmanaged: {projects: archive}\nprotected: {tags: [x]}\n"
                   "clients: [{name: C}]\nprojects: [{name: P, client: C}]\ntags: [t]\n")
    assert (state.organization, state.organization_source) == (None, None)
    assert (state.settings, state.groups) == (None, None)
    assert [(p.members, p.tasks) for p in state.projects] == [(None, None)]
    assert state.unmanaged == {"client": "ignore", "project": "archive", "tag": "ignore"}
    assert state.protected == {"client": (), "project": (), "tag": ("x",)}
    assert not (state.mentions_members or state.mentions_tasks or state.mentioned_emails)


@pytest.mark.parametrize("text", [
    "organization: Acme\n", "settings: {}\n", "groups: []\n", "unmanaged: {tasks: ignore}\n",
    "protected: {groups: []}\n", "projects: [{name: P, members: []}]\n",
    "projects: [{name: P, tasks: []}]\n",
])
def test_any_workspace_kind_brings_all_six_policies_and_pattern_lists(write_spec, text):
    state = _state(write_spec, text)
    assert state.unmanaged == {"client": "ignore", "project": "ignore", "tag": "ignore",
                               "group": "ignore", "member": "ignore", "task": "ignore"}
    assert state.protected == {kind: () for kind in state.unmanaged}


# ------------------------------------------------------------ valid values

@pytest.mark.parametrize("text, expected", [
    ("organization: Acme Inc\n", "Acme Inc"),
    ("organization: 4242\n", 4242),
    ("organization: '4242'\n", "4242"),
])
def test_organization_by_name_or_id(write_spec, text, expected):
    state = _state(write_spec, text)
    assert state.organization == expected
    assert state.organization_source == SourceLocation("x.yaml", 3, 15)


def test_settings_hold_only_the_keys_written_each_located(write_spec):
    state = _state(write_spec, "settings:\n  rounding_minutes: 15\n  default_currency: EUR\n"
                   "  default_hourly_rate: null\n  rounding: -1\n")
    assert state.settings == DesiredSettings(
        fields={"default_currency": "EUR", "default_hourly_rate": None, "rounding": -1,
                "rounding_minutes": 15},
        sources={"default_currency": SourceLocation("x.yaml", 5, 21),
                 "default_hourly_rate": SourceLocation("x.yaml", 6, 24),
                 "rounding": SourceLocation("x.yaml", 7, 13),
                 "rounding_minutes": SourceLocation("x.yaml", 4, 21)})
    assert list(state.settings.fields) == ["default_currency", "default_hourly_rate",
                                           "rounding", "rounding_minutes"]


def test_every_settings_key_of_the_model_is_in_the_schema_and_nothing_else():
    properties = load_schema()["$defs"]["settings"]["properties"]
    assert sorted(properties) == sorted(SETTINGS_FIELDS)


def test_every_settings_key_is_accepted(write_spec):
    values = {"default_currency": "USD", "default_hourly_rate": 10_000_000, "rounding": 0,
              "rounding_minutes": 240}
    body = "".join(f"  {key}: {json.dumps(values.get(key, True))}\n" for key in SETTINGS_FIELDS)
    state = _state(write_spec, "settings:\n" + body)
    assert list(state.settings.fields) == list(SETTINGS_FIELDS)
    assert set(state.settings.sources) == set(SETTINGS_FIELDS)


@pytest.mark.parametrize("minutes", [0, 1, 5, 6, 10, 12, 15, 30, 60, 240])
def test_toggls_rounding_intervals(write_spec, minutes):
    assert _state(write_spec, f"settings: {{rounding_minutes: {minutes}}}\n").settings.fields == {
        "rounding_minutes": minutes}


def test_groups(write_spec):
    state = _state(write_spec, "groups:\n  - name: Designers\n    members: [ana@acme.test, "
                   "bo@acme.test]\n  - name: Devs\n    previous_names: [Developers]\n"
                   "  - {name: Old, delete: true}\n  - {name: Empty, members: []}\n")
    assert state.groups == (
        DesiredGroup("Designers", ("ana@acme.test", "bo@acme.test"),
                     source=SourceLocation("x.yaml", 4, 5),
                     member_sources=(SourceLocation("x.yaml", 5, 15),
                                     SourceLocation("x.yaml", 5, 30))),
        DesiredGroup("Devs", None, ("Developers",), source=SourceLocation("x.yaml", 6, 5)),
        DesiredGroup("Old", None, delete=True, source=SourceLocation("x.yaml", 8, 5)),
        DesiredGroup("Empty", (), source=SourceLocation("x.yaml", 9, 5)),
    )
    assert state.mentioned_emails


def test_project_members(write_spec):
    state = _state(write_spec, "groups: [{name: Designers}]\nprojects:\n  - name: P\n"
                   "    members:\n      - user: Ana@Acme.test\n        manager: true\n"
                   "        rate: 120\n      - {user: bo@acme.test, rate: null}\n"
                   "      - group: DESIGNERS\n      - group: Elsewhere\n  - {name: Q, members: []}\n")
    [first, second] = state.projects
    assert first.members == (
        DesiredMember(user="Ana@Acme.test", fields={"manager": True, "rate": 120},
                      source=SourceLocation("x.yaml", 7, 9)),
        DesiredMember(user="bo@acme.test", fields={"rate": None},
                      source=SourceLocation("x.yaml", 10, 9)),
        # spelled as the groups: entry spells it; a group not under groups: is fine here
        DesiredMember(group="Designers", source=SourceLocation("x.yaml", 11, 9)),
        DesiredMember(group="Elsewhere", source=SourceLocation("x.yaml", 12, 9)),
    )
    assert [member.member_key for member in first.members] == [
        "user:Ana@Acme.test", "user:bo@acme.test", "group:Designers", "group:Elsewhere"]
    assert (second.members, second.tasks) == ((), None)
    assert state.mentions_members and not state.mentions_tasks


def test_project_tasks_as_names_and_mappings(write_spec):
    state = _state(write_spec, "projects:\n  - name: P\n    tasks:\n      - Design review\n"
                   "      - name: Wireframes\n        estimated_hours: 10\n        active: false\n"
                   "        assignee: ana@acme.test\n        previous_names: [Sketches]\n"
                   "      - {name: Gone, delete: true}\n      - {name: Open, estimated_hours: null, "
                   "assignee: null}\n")
    assert state.projects[0].tasks == (
        DesiredTask("Design review", source=SourceLocation("x.yaml", 6, 9)),
        DesiredTask("Wireframes", {"active": False, "estimated_hours": 10,
                                   "assignee": "ana@acme.test"}, ("Sketches",),
                    source=SourceLocation("x.yaml", 7, 9)),
        DesiredTask("Gone", delete=True, source=SourceLocation("x.yaml", 12, 9)),
        DesiredTask("Open", {"estimated_hours": None, "assignee": None},
                    source=SourceLocation("x.yaml", 13, 9)),
    )
    assert state.mentions_tasks and state.mentioned_emails


def test_unmanaged_and_protected_of_the_new_kinds(write_spec):
    state = _state(write_spec, "unmanaged: {groups: delete, members: remove, tasks: archive}\n"
                   "protected:\n  groups: [Admins]\n  members: ['*/user:owner@acme.test']\n"
                   "  tasks: ['Globex/Website/*']\n")
    assert state.unmanaged == {"client": "ignore", "project": "ignore", "tag": "ignore",
                               "group": "delete", "member": "remove", "task": "archive"}
    assert (state.protected["group"], state.protected["member"], state.protected["task"]) == (
        ("Admins",), ("*/user:owner@acme.test",), ("Globex/Website/*",))


def test_files_of_one_workspace_merge_the_new_keys(write_spec):
    first = write_spec("a.yaml", HEAD + "organization: Acme\nsettings: {rounding: 1}\n"
                       "groups: [{name: A}]\nprotected: {tasks: [x]}\n")
    second = write_spec("b.yaml", HEAD + "organization: ACME\nsettings: {rounding: 1, "
                        "reports_collapse: true}\ngroups: [{name: B}]\nprotected: {tasks: [y]}\n"
                        "unmanaged: {tasks: delete}\n")
    [state] = load_specs([first, second])
    assert state.organization == "Acme"
    assert state.organization_source == SourceLocation("a.yaml", 3, 15)
    assert state.settings.fields == {"rounding": 1, "reports_collapse": True}
    assert state.settings.sources == {"rounding": SourceLocation("a.yaml", 4, 22),
                                      "reports_collapse": SourceLocation("b.yaml", 4, 43)}
    assert [group.name for group in state.groups] == ["A", "B"]
    assert state.protected["task"] == ("x", "y")
    assert state.unmanaged["task"] == "delete"


def test_groups_only_in_one_file_is_still_groups(write_spec):
    first = write_spec("a.yaml", HEAD + "tags: [t]\n")
    second = write_spec("b.yaml", HEAD + "groups: []\n")
    [state] = load_specs([first, second])
    assert state.groups == ()


def test_new_names_and_emails_are_nfc_after_load(write_spec):
    nfd, nfc = unicodedata.normalize("NFD", "Café"), unicodedata.normalize("NFC", "Café")
    state = _state(write_spec, f"organization: {nfd}\ngroups:\n  - name: {nfd}\n"
                   f"    members: [{nfd}@x.test]\nprojects:\n  - name: P\n    members:\n"
                   f"      - user: {nfd}@x.test\n      - group: {nfd} 2\n    tasks:\n"
                   f"      - {nfd}\n      - {{name: {nfd} 2, assignee: {nfd}@x.test}}\n")
    assert state.organization == nfc
    assert state.groups[0].name == nfc and state.groups[0].members == (nfc + "@x.test",)
    assert [(m.user, m.group) for m in state.projects[0].members] == [
        (nfc + "@x.test", None), (None, nfc + " 2")]
    assert [(t.name, dict(t.fields)) for t in state.projects[0].tasks] == [
        (nfc, {}), (nfc + " 2", {"assignee": nfc + "@x.test"})]


# ------------------------------------------------------------ schema problems

SCHEMA_CASES = [
    ("organization of another type", "organization: [Acme]\n",
     ["x.yaml:3:15: organization: expected a string or an integer, got a list"]),
    ("organization id below 1", "organization: 0\n",
     ["x.yaml:3:15: organization: expected a number >= 1, got 0"]),
    ("organization with spaces around it", "organization: ' Acme'\n",
     ["x.yaml:3:15: organization: expected a name that is not empty and neither starts nor "
      "ends with spaces, got ' Acme'"]),
    ("unknown settings key", "settings: {currency: EUR}\n",
     ["x.yaml:3:12: settings: currency: unknown key 'currency' (did you mean "
      "'default_currency'?); allowed keys: default_currency, default_hourly_rate, "
      "limit_public_project_data, only_admins_may_create_projects, only_admins_may_create_tags, "
      "only_admins_see_team_dashboard, projects_billable_by_default, projects_enforce_billable, "
      "projects_private_by_default, reports_collapse, rounding, rounding_minutes"]),
    ("settings not a mapping", "settings: [rounding]\n",
     ["x.yaml:3:11: settings: expected a mapping, got a list (write its keys without a "
      "leading `- `)"]),
    ("currency in lower case", "settings: {default_currency: eur}\n",
     ["x.yaml:3:30: settings: default_currency: 'eur' is not an ISO 4217 currency code (write "
      "it as 'EUR': codes are upper case); expected one such as EUR, USD, GBP"]),
    ("no null currency", "settings: {default_currency: null}\n",
     ["x.yaml:3:30: settings: default_currency: expected a string, got null (to keep the "
      "live value, leave default_currency out of settings)"]),
    ("hourly rate too high", "settings: {default_hourly_rate: 10000000.5}\n",
     ["x.yaml:3:33: settings: default_hourly_rate: expected a number <= 10,000,000, got "
      "10000000.5 (a bound chosen to stay inside what Toggl stores)"]),
    ("hourly rate negative", "settings: {default_hourly_rate: -1}\n",
     ["x.yaml:3:33: settings: default_hourly_rate: expected a number >= 0, got -1"]),
    ("rounding out of range", "settings: {rounding: 2}\n",
     ["x.yaml:3:22: settings: rounding: expected one of -1, 0, 1; got 2"]),
    ("rounding as a word", "settings: {rounding: up}\n",
     ["x.yaml:3:22: settings: rounding: expected an integer, got 'up'"]),
    ("rounding minutes Toggl does not offer", "settings: {rounding_minutes: 20}\n",
     ["x.yaml:3:30: settings: rounding_minutes: expected one of 0, 1, 5, 6, 10, 12, 15, 30, "
      "60, 240; got 20"]),
    ("a boolean setting", "settings: {reports_collapse: 'yes'}\n",
     ["x.yaml:3:30: settings: reports_collapse: expected true or false, got 'yes'"]),
    ("group as a bare name", "groups: [Designers]\n",
     ["x.yaml:3:10: groups[0] (group 'Designers'): expected a mapping, got 'Designers' (an "
      "entry is a mapping: write `- name: Designers`)"]),
    ("group without a name", "groups: [{members: []}]\n",
     ["x.yaml:3:10: groups[0]: missing required key 'name'"]),
    ("unknown group key", "groups: [{name: G, users: []}]\n",
     ["x.yaml:3:20: groups[0] (group 'G'): users: unknown key 'users' (did you mean "
      "'members'?); allowed keys: delete, members, name, previous_names"]),
    ("group name too long", f"groups: [{{name: {'x' * 256}}}]\n",
     [f"x.yaml:3:17: groups[0] (group '{'x' * 57}...'): name: '{'x' * 57}...' is 256 "
      "characters long; Toggl takes at most 255: shorten it"]),
    ("group member not an e-mail", "groups: [{name: G, members: [ana, 'a@b@c', 'a b@c']}]\n",
     ["x.yaml:3:30: groups[0] (group 'G'): members[0]: expected an e-mail address such as "
      "ana@acme.test (one @, no spaces), got 'ana'",
      "x.yaml:3:35: groups[0] (group 'G'): members[1]: expected an e-mail address such as "
      "ana@acme.test (one @, no spaces), got 'a@b@c'",
      "x.yaml:3:44: groups[0] (group 'G'): members[2]: expected an e-mail address such as "
      "ana@acme.test (one @, no spaces), got 'a b@c'"]),
    ("e-mail too long", f"groups: [{{name: G, members: [{'a' * 251}@b.c]}}]\n",
     [f"x.yaml:3:30: groups[0] (group 'G'): members[0]: '{'a' * 57}...' is 255 characters "
      "long; Toggl takes at most 254: shorten it"]),
    ("member as a bare e-mail", "projects: [{name: P, members: [ana@acme.test]}]\n",
     ["x.yaml:3:32: projects[0] (project 'P'): members[0]: expected a mapping, got "
      "'ana@acme.test' (a member is a mapping: write `- user: ana@acme.test`)"]),
    ("member as a bare group name", "projects: [{name: P, members: [Designers]}]\n",
     ["x.yaml:3:32: projects[0] (project 'P'): members[0]: expected a mapping, got "
      "'Designers' (a member is a mapping: write `- group: Designers`)"]),
    ("member with user and group", "projects: [{name: P, members: [{user: a@b, group: G}]}]\n",
     ["x.yaml:3:44: projects[0] (project 'P'): members[0] (user 'a@b'): group: a member is one "
      "user or one group: give user or group, not both (list them as two members)"]),
    ("member with neither", "projects: [{name: P, members: [{manager: true}]}]\n",
     ["x.yaml:3:32: projects[0] (project 'P'): members[0]: a member needs user (an e-mail) or "
      "group (a group name)"]),
    ("group member with manager and rate",
     "projects: [{name: P, members: [{group: G, manager: true, rate: 5}]}]\n",
     ["x.yaml:3:43: projects[0] (project 'P'): members[0] (group 'G'): manager: manager applies "
      "to a user member only: Toggl's project groups have no manager or rate (set them on the "
      "users)",
      "x.yaml:3:58: projects[0] (project 'P'): members[0] (group 'G'): rate: rate applies to a "
      "user member only: Toggl's project groups have no manager or rate (set them on the "
      "users)"]),
    ("member rate out of range", "projects: [{name: P, members: [{user: a@b, rate: 10000000.5}]}]\n",
     ["x.yaml:3:50: projects[0] (project 'P'): members[0] (user 'a@b'): rate: expected a "
      "number <= 10,000,000, got 10000000.5 (a bound chosen to stay inside what Toggl "
      "stores)"]),
    ("member manager not a boolean", "projects: [{name: P, members: [{user: a@b, manager: 1}]}]\n",
     ["x.yaml:3:53: projects[0] (project 'P'): members[0] (user 'a@b'): manager: expected true "
      "or false, got 1"]),
    ("unknown member key", "projects: [{name: P, members: [{user: a@b, role: admin}]}]\n",
     ["x.yaml:3:44: projects[0] (project 'P'): members[0] (user 'a@b'): role: unknown key "
      "'role'; allowed keys: group, manager, rate, user"]),
    ("members not a list", "projects: [{name: P, members: a@b}]\n",
     ["x.yaml:3:31: projects[0] (project 'P'): members: expected a list, got 'a@b' (a list, "
      "even of one: write `members: [{user: a@b}]`)"]),
    ("task estimate fractional", "projects: [{name: P, tasks: [{name: T, estimated_hours: 1.5}]}]\n",
     ["x.yaml:3:57: projects[0] (project 'P'): tasks[0] (task 'T'): estimated_hours: expected "
      "an integer or null, got 1.5"]),
    ("task estimate too high",
     "projects: [{name: P, tasks: [{name: T, estimated_hours: 500001}]}]\n",
     ["x.yaml:3:57: projects[0] (project 'P'): tasks[0] (task 'T'): estimated_hours: expected "
      "a number <= 500,000, got 500,001 (a bound chosen to stay inside what Toggl stores)"]),
    ("task assignee not an e-mail", "projects: [{name: P, tasks: [{name: T, assignee: ana}]}]\n",
     ["x.yaml:3:50: projects[0] (project 'P'): tasks[0] (task 'T'): assignee: expected an "
      "e-mail address such as ana@acme.test (one @, no spaces), got 'ana'"]),
    ("task active not a boolean", "projects: [{name: P, tasks: [{name: T, active: done}]}]\n",
     ["x.yaml:3:48: projects[0] (project 'P'): tasks[0] (task 'T'): active: expected true or "
      "false, got 'done'"]),
    ("task without a name", "projects: [{name: P, tasks: [{active: true}]}]\n",
     ["x.yaml:3:30: projects[0] (project 'P'): tasks[0]: missing required key 'name'"]),
    ("empty task name", "projects: [{name: P, tasks: ['']}]\n",
     ["x.yaml:3:30: projects[0] (project 'P'): tasks[0] (task ''): expected a name that is "
      "not empty and neither starts nor ends with spaces, got ''"]),
    ("task name too long", f"projects: [{{name: P, tasks: [{'t' * 256}]}}]\n",
     [f"x.yaml:3:30: projects[0] (project 'P'): tasks[0] (task '{'t' * 57}...'): '{'t' * 57}"
      "...' is 256 characters long; Toggl takes at most 255: shorten it"]),
    ("unknown task key", "projects: [{name: P, tasks: [{name: T, due: tomorrow}]}]\n",
     ["x.yaml:3:40: projects[0] (project 'P'): tasks[0] (task 'T'): due: unknown key 'due'; "
      "allowed keys: active, assignee, delete, estimated_hours, name, previous_names"]),
    ("members in project defaults", "defaults: {project: {members: [], tasks: []}}\n",
     ["x.yaml:3:22: defaults: project: members: members cannot be a default: who may track "
      "is written per project, so that a file's defaults never hand the same people to every "
      "project by accident; move it to the project entries that need it",
      "x.yaml:3:35: defaults: project: tasks: tasks cannot be a default: tasks are written per "
      "project, so that a file's defaults never give every project the same tasks by "
      "accident; move it to the project entries that need it"]),
    ("unmanaged groups cannot be archived", "unmanaged: {groups: archive}\n",
     ["x.yaml:3:21: unmanaged: groups: expected one of ignore, delete; got 'archive'"]),
    ("unmanaged members are removed, not deleted", "unmanaged: {members: delete}\n",
     ["x.yaml:3:22: unmanaged: members: expected one of ignore, remove; got 'delete'"]),
    ("unmanaged tasks", "unmanaged: {tasks: remove}\n",
     ["x.yaml:3:20: unmanaged: tasks: expected one of ignore, archive, delete; got 'remove'"]),
    ("protected pattern of another type", "protected: {members: [1]}\n",
     ["x.yaml:3:23: protected: members[0]: expected a string, got 1 (YAML reads the unquoted 1 "
      "as a number: write \"1\" in quotes)"]),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in SCHEMA_CASES],
                         ids=[case[0] for case in SCHEMA_CASES])
def test_schema_problems_of_the_new_keys(write_spec, text, expected):
    assert _messages(write_spec, text) == expected


# ------------------------------------------------------------ names and e-mails

NAME_CASES = [
    ("invisible character in a group name", "groups: [{name: \"De\\u200bsigners\"}]\n",
     ["x.yaml:3:17: groups[0] (group 'De\\u200bsigners'): name: name 'De\\u200bsigners' "
      "contains invisible or control character U+200B (ZERO WIDTH SPACE) at character 3; a "
      "reviewer cannot see it, so two different names would look the same: remove it (or "
      "write a plain space)"]),
    ("invisible character in a task name", "projects: [{name: P, tasks: [\"T\\u2060\"]}]\n",
     ["x.yaml:3:30: projects[0] (project 'P'): tasks[0] (task 'T\\u2060'): name 'T\\u2060' "
      "contains invisible or control character U+2060 (WORD JOINER) at character 2; a reviewer "
      "cannot see it, so two different names would look the same: remove it (or write a plain "
      "space)"]),
    ("task name over 255 bytes", f"projects: [{{name: P, tasks: [{{name: {'é' * 128}}}]}}]\n",
     [f"x.yaml:3:37: projects[0] (project 'P'): tasks[0] (task '{'é' * 57}...'): name: "
      f"'{'é' * 37}...' is 128 characters, 256 bytes in UTF-8; Toggl takes a name of at most "
      "255 bytes: shorten it"]),
    ("group name over 255 bytes", f"groups: [{{name: {'é' * 128}}}]\n",
     [f"x.yaml:3:17: groups[0] (group '{'é' * 57}...'): name: '{'é' * 37}...' is 128 "
      "characters, 256 bytes in UTF-8; Toggl takes a name of at most 255 bytes: shorten it"]),
    ("invisible character in a previous task name",
     "projects: [{name: P, tasks: [{name: T, previous_names: [\"\\u00adT\"]}]}]\n",
     ["x.yaml:3:57: projects[0] (project 'P'): tasks[0] (task 'T'): previous_names[0]: name "
      "'\\xadT' contains invisible or control character U+00AD (SOFT HYPHEN) at character 1; a "
      "reviewer cannot see it, so two different names would look the same: remove it (or "
      "write a plain space)"]),
    ("invisible character in a member's group", "projects: [{name: P, members: [{group: \"G\\u202e\"}]}]\n",
     ["x.yaml:3:40: projects[0] (project 'P'): members[0] (group 'G\\u202e'): group: name "
      "'G\\u202e' contains invisible or control character U+202E (RIGHT-TO-LEFT OVERRIDE) at "
      "character 2; a reviewer cannot see it, so two different names would look the same: "
      "remove it (or write a plain space)"]),
    ("no-break space in a member's e-mail", "projects: [{name: P, members: [{user: \"a\\u00a0@b\"}]}]\n",
     ["x.yaml:3:39: projects[0] (project 'P'): members[0] (user 'a\\xa0@b'): user: e-mail "
      "'a\\xa0@b' contains invisible or control character U+00A0 (NO-BREAK SPACE, not a plain "
      "space) at character 2; a reviewer cannot see it, so two different e-mails would look "
      "the same: remove it (an e-mail has no spaces)"]),
    ("zero-width space in a group member", "groups: [{name: G, members: [\"a\\u200b@b\"]}]\n",
     ["x.yaml:3:30: groups[0] (group 'G'): members[0]: e-mail 'a\\u200b@b' contains invisible "
      "or control character U+200B (ZERO WIDTH SPACE) at character 2; a reviewer cannot see it, "
      "so two different e-mails would look the same: remove it (an e-mail has no spaces)"]),
    ("control character in an assignee", "projects: [{name: P, tasks: [{name: T, assignee: \"a\\x07@b\"}]}]\n",
     ["x.yaml:3:50: projects[0] (project 'P'): tasks[0] (task 'T'): assignee: e-mail 'a\\x07@b' "
      "contains invisible or control character U+0007 (a control character) at character 2; a "
      "reviewer cannot see it, so two different e-mails would look the same: remove it (an "
      "e-mail has no spaces)"]),
    ("invisible character in the organization", "organization: \"Acme\\ufeff\"\n",
     ["x.yaml:3:15: organization: name 'Acme\\ufeff' contains invisible or control character "
      "U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 5; a reviewer cannot see it, so two "
      "different names would look the same: remove it (or write a plain space)"]),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in NAME_CASES],
                         ids=[case[0] for case in NAME_CASES])
def test_names_and_emails_of_the_new_kinds(write_spec, text, expected):
    assert _messages(write_spec, text) == expected


# ------------------------------------------------------------ cross-entry problems

SEMANTIC_CASES = [
    ("duplicate task names ignore case",
     "projects:\n  - name: P\n    tasks:\n      - Review\n      - name: REVIEW\n",
     ["x.yaml:7:9: projects[0] (project 'P'): tasks[1] (task 'REVIEW'): task 'P/REVIEW' is "
      "defined twice (names ignore case): also at x.yaml:6:9"]),
    ("the same task name on two projects is fine",
     "projects:\n  - {name: P, tasks: [Review]}\n  - {name: Q, tasks: [Review]}\n", []),
    ("look-alike task names",
     "projects:\n  - name: P\n    tasks: [Ａｂ, Ab]\n",
     ["x.yaml:5:17: projects[0] (project 'P'): tasks[1] (task 'Ab'): task 'P/Ab' looks like "
      "task 'P/Ａｂ' (at x.yaml:5:13): the names differ only in Unicode compatibility forms "
      "such as full-width letters, ligatures or superscripts (they are equal after NFKC and "
      "ignoring case), so a reviewer cannot tell them apart and Toggl may take them for one "
      "name; rename one of them"]),
    ("task previous name is another task's name",
     "clients: [{name: C}]\nprojects:\n  - name: P\n    client: C\n    tasks:\n"
     "      - {name: New, previous_names: [old]}\n      - Old\n",
     ["x.yaml:8:38: projects[0] (project 'C/P'): tasks[0] (task 'New'): previous_names[0]: "
      "previous name 'old' is the name of another task (at x.yaml:9:9)"]),
    ("task previous name shared by two tasks",
     "projects:\n  - name: P\n    tasks:\n      - {name: A, previous_names: [Old]}\n"
     "      - {name: B, previous_names: [OLD]}\n",
     ["x.yaml:7:36: projects[0] (project 'P'): tasks[1] (task 'B'): previous_names[0]: "
      "previous name 'OLD' is also a previous name of task 'P/A' (at x.yaml:6:9): a live "
      "object can be renamed to one of them only"]),
    ("a task renamed to its own name in another case is fine",
     "projects: [{name: P, tasks: [{name: Review, previous_names: [review]}]}]\n", []),
    ("duplicate user members ignore case",
     "projects:\n  - name: P\n    members:\n      - user: ana@acme.test\n"
     "      - {user: ANA@Acme.Test, manager: true}\n",
     ["x.yaml:7:9: projects[0] (project 'P'): members[1] (user 'ANA@Acme.Test'): member user "
      "'ANA@Acme.Test' is listed twice on project 'P' (e-mails ignore case): also at "
      "x.yaml:6:9"]),
    ("duplicate group members ignore case",
     "projects:\n  - name: P\n    members: [{group: Designers}, {group: designers}]\n",
     ["x.yaml:5:35: projects[0] (project 'P'): members[1] (group 'designers'): member group "
      "'designers' is listed twice on project 'P' (names ignore case): also at x.yaml:5:15"]),
    ("a user and a group of one name are two members",
     "projects: [{name: P, members: [{user: a@b}, {group: a@b}]}]\n", []),
    ("a member's group need not be under groups",
     "projects: [{name: P, members: [{group: Somewhere}]}]\n", []),
    ("duplicate groups",
     "groups:\n  - name: Designers\n  - name: DESIGNERS\n",
     ["x.yaml:5:5: groups[1] (group 'DESIGNERS'): group 'DESIGNERS' is defined twice (names "
      "ignore case): also at x.yaml:4:5"]),
    ("group previous name is another group's name",
     "groups:\n  - {name: Devs, previous_names: [Designers]}\n  - {name: Designers}\n",
     ["x.yaml:4:35: groups[0] (group 'Devs'): previous_names[0]: previous name 'Designers' is "
      "the name of another group (at x.yaml:5:5)"]),
    ("group previous name shared by two groups",
     "groups:\n  - {name: A, previous_names: [Old]}\n  - {name: B, previous_names: [old]}\n",
     ["x.yaml:5:32: groups[1] (group 'B'): previous_names[0]: previous name 'old' is also a "
      "previous name of group 'A' (at x.yaml:4:5): a live object can be renamed to one of "
      "them only"]),
    ("an e-mail twice in a group",
     "groups:\n  - name: G\n    members: [ana@acme.test, bo@acme.test, Ana@ACME.test]\n",
     ["x.yaml:5:44: groups[0] (group 'G'): members[2]: 'Ana@ACME.test' is listed twice in "
      "group 'G' (e-mails ignore case): also at x.yaml:5:15"]),
    ("members on a deleted group",
     "groups:\n  - name: G\n    delete: true\n    members: [a@b]\n",
     ["x.yaml:6:5: groups[0] (group 'G'): members: members on a group with delete: true: a "
      "deleted group has no members; remove members or the delete"]),
    ("members and tasks on a deleted project",
     "projects:\n  - name: P\n    delete: true\n    members: []\n    tasks: [T]\n",
     ["x.yaml:6:5: projects[0] (project 'P'): members: members on a project with delete: "
      "true: deleting a project removes its members and tasks with it; remove members or the "
      "delete",
      "x.yaml:7:5: projects[0] (project 'P'): tasks: tasks on a project with delete: true: "
      "deleting a project removes its members and tasks with it; remove tasks or the delete"]),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in SEMANTIC_CASES],
                         ids=[case[0] for case in SEMANTIC_CASES])
def test_cross_entry_problems_of_the_new_kinds(write_spec, text, expected):
    assert _messages(write_spec, text) == expected


def test_settings_that_disagree_across_files(write_spec):
    first = write_spec("a.yaml", HEAD + "settings: {rounding: 1, rounding_minutes: 15}\n")
    second = write_spec("b.yaml", HEAD + "settings:\n  rounding_minutes: 15\n  rounding: 0\n")
    assert [str(problem) for problem in validate_paths([first, second])] == [
        "b.yaml:5:13: settings: rounding: 0 here, but 1 at a.yaml:3:22: the files of one "
        "workspace must agree on settings"]


@pytest.mark.parametrize("second, expected", [
    ("Acme Inc", []),
    ("ACME INC", []),  # names compare ignoring case, like the workspace's
    ("Other", ["b.yaml:3:15: organization: 'Other' here, but 'Acme Inc' at a.yaml:3:15: the "
               "files of one workspace must agree on organization"]),
    ("4242", ["b.yaml:3:15: organization: 4242 here, but 'Acme Inc' at a.yaml:3:15: the files "
              "of one workspace must agree on organization"]),
])
def test_organization_across_files(write_spec, second, expected):
    first = write_spec("a.yaml", HEAD + "organization: Acme Inc\n")
    other = write_spec("b.yaml", HEAD + f"organization: {second}\n")
    assert [str(problem) for problem in validate_paths([first, other])] == expected


def test_duplicate_groups_across_files(write_spec):
    first = write_spec("a.yaml", HEAD + "groups: [{name: Designers}]\n")
    second = write_spec("b.yaml", HEAD + "groups: [{name: designers}]\n")
    assert [str(problem) for problem in validate_paths([first, second])] == [
        "b.yaml:3:10: groups[0] (group 'designers'): group 'designers' is defined twice (names "
        "ignore case): also at a.yaml:3:10"]


def test_a_file_with_schema_problems_still_gets_the_other_checks(write_spec):
    path = write_spec("x.yaml", HEAD + "settings: {rounding: 9}\nprojects:\n  - name: P\n"
                      "    tasks: [A, a]\n")
    assert [str(problem) for problem in validate_paths([path])] == [
        "x.yaml:3:22: settings: rounding: expected one of -1, 0, 1; got 9",
        "x.yaml:6:16: projects[0] (project 'P'): tasks[1] (task 'a'): task 'P/a' is defined "
        "twice (names ignore case): also at x.yaml:6:13"]


def test_load_refuses_with_every_problem(write_spec):
    path = write_spec("x.yaml", HEAD + "groups: [{name: G}, {name: g}]\n"
                      "projects: [{name: P, tasks: [A, a]}]\n")
    with pytest.raises(SpecError) as raised:
        load_specs([path])
    assert len(raised.value.problems) == 2


# ------------------------------------------------------------ the example

def test_the_full_example_uses_every_new_key_and_loads(spec_dir):
    [state] = load_specs([str(FULL_EXAMPLE)])
    assert state.organization == "Acme Inc"
    assert set(state.settings.fields) == set(SETTINGS_FIELDS)
    assert state.groups and any(group.members for group in state.groups)
    assert any(group.previous_names for group in state.groups)
    assert any(group.delete for group in state.groups)
    members = [member for project in state.projects for member in project.members or ()]
    assert {member.user is None for member in members} == {True, False}
    assert {name for member in members for name in member.fields} == {"manager", "rate"}
    tasks = [task for project in state.projects for task in project.tasks or ()]
    assert {name for task in tasks for name in task.fields} == {"active", "estimated_hours",
                                                                "assignee"}
    assert any(task.previous_names for task in tasks) and any(task.delete for task in tasks)
    assert {kind: state.unmanaged[kind] for kind in ("group", "member", "task")} == {
        "group": "ignore", "member": "remove", "task": "archive"}
    assert all(state.protected[kind] for kind in ("group", "member", "task"))


def test_the_full_example_is_valid_against_the_schema_file():
    document = yaml.safe_load(FULL_EXAMPLE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema()).validate(document)
    written = set(document) | {f"{block}.{key}" for block in ("unmanaged", "protected")
                               for key in document[block]}
    top = set(load_schema()["properties"])
    assert top <= written
    for block in ("unmanaged", "protected"):
        keys = load_schema()["properties"][block]["properties"]
        assert {f"{block}.{key}" for key in keys} <= written
    project_keys = {key for project in document["projects"] for key in project}
    assert {"members", "tasks"} <= project_keys


def test_the_readme_example_of_the_new_keys_validates(write_spec):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Workspace settings, groups, members and tasks"):]
    block = section[section.index("```yaml\n") + 8:section.index("```\n", 8)]
    path = write_spec("readme.yaml", HEAD + "clients: [{name: Globex}]\n" + block)
    assert validate_paths([path]) == []
    [state] = load_specs([path])
    assert state.settings and state.groups and state.projects[0].members
    assert state.projects[0].tasks


@pytest.mark.parametrize("text, expected", [
    ("groups:\n  - {name: Old, delete: true}\nprojects:\n  - name: P\n    members:\n"
     "      - group: old\n",
     ["x.yaml:8:16: projects[0] (project 'P'): members[0] (group 'old'): group: group 'old' has "
      "delete: true (at x.yaml:4:5); remove the member or keep the group"]),
    ("groups:\n  - {name: Developers, previous_names: [Devs]}\nprojects:\n  - name: P\n"
     "    members:\n      - group: Devs\n",
     ["x.yaml:8:16: projects[0] (project 'P'): members[0] (group 'Devs'): group: 'Devs' is a "
      "previous name of group 'Developers' (at x.yaml:4:5); name the group by its new name"]),
    ("groups:\n  - {name: Developers, previous_names: [developers]}\nprojects:\n  - name: P\n"
     "    members:\n      - group: Developers\n", []),
])
def test_members_naming_a_deleted_or_renamed_group(write_spec, text, expected):
    assert _messages(write_spec, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("projects: [{name: P, members: [{user: null}]}]\n",
     "x.yaml:3:39: projects[0] (project 'P'): members[0]: user: expected a string, got null"),
    ("projects: [{name: P, tasks: [{name: T, assignee: 5}]}]\n",
     "x.yaml:3:50: projects[0] (project 'P'): tasks[0] (task 'T'): assignee: expected a string "
     "or null, got 5"),
    ("groups: [{name: G, members: [yes]}]\n",
     "x.yaml:3:30: groups[0] (group 'G'): members[0]: expected a string, got true"),
    ("projects: [{name: P, tasks: [1]}]\n",
     "x.yaml:3:30: projects[0] (project 'P'): tasks[0]: expected a string or a mapping, got 1 "
     "(YAML reads the unquoted 1 as a number: write \"1\" in quotes)"),
])
def test_wrong_types_of_the_new_keys(write_spec, text, expected):
    assert _messages(write_spec, text) == [expected]


def test_whole_numbers_written_with_a_dot_normalize_to_integers(write_spec):
    state = _state(write_spec, "settings: {rounding: 1.0, rounding_minutes: 15.0}\n"
                   "projects: [{name: P, tasks: [{name: T, estimated_hours: 10.0}]}]\n")
    assert state.settings.fields == {"rounding": 1, "rounding_minutes": 15}
    assert all(type(value) is int for value in state.settings.fields.values())
    assert type(state.projects[0].tasks[0].fields["estimated_hours"]) is int
