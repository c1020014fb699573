"""Hostile and careless input against the workspace kinds of issue 12 (settings, groups, project
members, tasks, organization, their unmanaged and protected keys): each mistake is exactly one
message at file:line:column that says what to do, and nothing is silently accepted that would
surprise at apply time."""

from __future__ import annotations

import pytest

from reconciler.spec import load_specs, validate_paths

HEAD = "version: 1\nworkspace: W\n"


def _messages(write_spec, text: str) -> list[str]:
    return [str(problem) for problem in validate_paths([write_spec("x.yaml", HEAD + text)])]


# ------------------------------------------------------------ one typo, one message

@pytest.mark.parametrize("text, expected", [
    ("projects:\n  - name: P\n    tasks:\n      - nme: Review\n",
     "x.yaml:6:9: projects[0] (project 'P'): tasks[0]: nme: unknown key 'nme' (did you mean "
     "'name'?); allowed keys: active, assignee, delete, estimated_hours, name, previous_names"),
    ("projects: [{name: P, tasks: [{nme: Review}]}]\n",
     "x.yaml:3:31: projects[0] (project 'P'): tasks[0]: nme: unknown key 'nme' (did you mean "
     "'name'?); allowed keys: active, assignee, delete, estimated_hours, name, previous_names"),
    ("groups:\n  - nmae: Designers\n",
     "x.yaml:4:5: groups[0]: nmae: unknown key 'nmae' (did you mean 'name'?); allowed keys: "
     "delete, members, name, previous_names"),
    ("projects:\n  - name: P\n    members:\n      - usr: ana@acme.test\n",
     "x.yaml:6:9: projects[0] (project 'P'): members[0]: usr: unknown key 'usr' (did you mean "
     "'user'?); allowed keys: group, manager, rate, user"),
    ("projects:\n  - name: P\n    members:\n      - gruop: Designers\n",
     "x.yaml:6:9: projects[0] (project 'P'): members[0]: gruop: unknown key 'gruop' (did you "
     "mean 'group'?); allowed keys: group, manager, rate, user"),
    ("clients:\n  - nme: Globex\n",
     "x.yaml:4:5: clients[0]: nme: unknown key 'nme' (did you mean 'name'?); allowed keys: "
     "archived, delete, name, notes, previous_names"),
], ids=["task", "task in flow style", "group", "member user", "member group", "client"])
def test_a_misspelt_required_key_is_one_message_not_also_a_missing_key(write_spec, text,
                                                                        expected):
    """`nme: Review` used to add `missing required key 'name'` (or `a member needs user or
    group`) at the same place: two messages for one typo."""
    assert _messages(write_spec, text) == [expected]


def test_a_missing_name_beside_an_unrelated_unknown_key_is_still_two_problems(write_spec):
    assert _messages(write_spec, "projects: [{name: P, tasks: [{due: x}]}]\n") == [
        "x.yaml:3:30: projects[0] (project 'P'): tasks[0]: missing required key 'name'",
        "x.yaml:3:31: projects[0] (project 'P'): tasks[0]: due: unknown key 'due'; allowed "
        "keys: active, assignee, delete, estimated_hours, name, previous_names"]


# ------------------------------------------------------------ anchors, aliases and merges

def test_a_bad_value_merged_into_two_tasks_is_one_message(write_spec):
    text = ("projects:\n  - name: P\n    tasks:\n      - &base {name: T, estimated_hours: -3}\n"
            "      - <<: *base\n        name: T2\n")
    assert _messages(write_spec, text) == [
        "x.yaml:6:42: projects[0] (project 'P'): tasks[0] (task 'T'): estimated_hours: "
        "expected a number >= 0, got -3"]


def test_a_bad_e_mail_aliased_into_two_groups_is_one_message(write_spec):
    text = ("groups:\n  - name: A\n    members: &people [\"ana\\u200b@acme.test\", bo]\n"
            "  - name: B\n    members: *people\n")
    messages = _messages(write_spec, text)
    assert [message.split(": ")[0] for message in messages] == ["x.yaml:5:23", "x.yaml:5:46"]
    assert "U+200B" in messages[0] and "got 'bo'" in messages[1]


def test_two_merge_keys_in_one_mapping_are_a_duplicate_key(write_spec):
    """The second `<<` was dropped silently: `rounding: 0` never reached the plan."""
    assert _messages(write_spec, "settings:\n  <<: {rounding: 1}\n  <<: {rounding: 0}\n") == [
        "x.yaml:5:3: settings: duplicate key '<<': already set at line 4, column 3; a mapping "
        "holds each key once (merge several mappings with `<<: [*a, *b]`)"]


def test_a_list_of_merged_mappings_is_fine(write_spec):
    text = "groups:\n  - <<: [{name: A}, {members: [ana@acme.test]}]\n"
    assert _messages(write_spec, text) == []


# ------------------------------------------------------------ what a message advises

def test_a_str_tag_on_a_number_is_blamed_on_the_tag(write_spec):
    """It used to say YAML 1.1 reads `1` as text and advise an exponent for an integer key."""
    assert _messages(write_spec, "settings:\n  rounding: !!str 1\n") == [
        "x.yaml:4:13: settings: rounding: expected an integer, got '1' (the !!str tag makes "
        "YAML read 1 as text: remove the tag)"]


def test_an_infinite_exponent_says_why_it_is_text(write_spec):
    assert _messages(write_spec, "settings:\n  default_hourly_rate: 1e309\n") == [
        "x.yaml:4:24: settings: default_hourly_rate: expected a number or null, got '1e309' "
        "(YAML 1.1 reads the unquoted 1e309 as text, and as a number it would be infinite: "
        "write a number within the range this key takes)"]


# ------------------------------------------------------------ protection that protects nothing

@pytest.mark.parametrize("pattern, advice", [
    ("ana@acme.test", "write '*/user:ana@acme.test' (this user on every project)"),
    ("Globex/Website", "write 'Globex/Website/*' (every member of that project)"),
])
def test_a_member_pattern_that_can_match_no_member_is_refused(write_spec, pattern, advice):
    """A member's address always ends in user:<e-mail> or group:<name>: without either, and
    without a glob, the pattern protects nothing and the removal goes ahead at apply."""
    assert _messages(write_spec, f"protected:\n  members: [{pattern}]\n") == [
        f"x.yaml:4:13: protected: members[0]: '{pattern}' protects no member: a member's "
        "address is Client/Project/user:e-mail or Client/Project/group:Name; " + advice]


@pytest.mark.parametrize("pattern", [
    "*/user:ana@acme.test", "Globex/*", "user:ana@acme.test", "USER:Ana@acme.test",
    "Globex/Website/group:Designers", "*ana@acme.test",
])
def test_member_patterns_that_can_match_are_accepted(write_spec, pattern):
    assert _messages(write_spec, f"protected:\n  members: [\"{pattern}\"]\n") == []



CLIENTS = "clients: [{name: Globex}]\nprojects:\n  - {name: Website, client: Globex}\n  - {name: Solo}\n"


@pytest.mark.parametrize("section, pattern, kind, fixed", [
    ("tasks", "Website/*", "task", "Globex/Website/*"),
    ("tasks", "Website/Review", "task", "Globex/Website/Review"),
    ("members", "Website/*", "member", "Globex/Website/*"),
    ("members", "Website/user:ana@acme.test", "member", "Globex/Website/user:ana@acme.test"),
])
def test_a_pattern_leaving_out_the_projects_client_is_refused(write_spec, section, pattern,
                                                               kind, fixed):
    """A task's or member's address starts with its project's address, client included:
    'Website/*' covers nothing of Globex/Website, and its tasks were deleted all the same."""
    assert _messages(write_spec, CLIENTS + f"protected:\n  {section}: [\"{pattern}\"]\n") == [
        f"x.yaml:8:{len(section) + 6}: protected: {section}[0]: '{pattern}' protects no {kind} "
        f"of project 'Globex/Website': a {kind}'s address starts with its project's client; "
        f"write '{fixed}'"]


def test_a_client_from_the_files_defaults_counts(write_spec):
    text = ("clients: [{name: Globex}]\ndefaults: {project: {client: Globex}}\n"
            "projects: [{name: Website}]\nprotected: {tasks: [Website/Review]}\n")
    [message] = _messages(write_spec, text)
    assert "write 'Globex/Website/Review'" in message


@pytest.mark.parametrize("pattern", [
    "Globex/Website/*", "Solo/*", "Unlisted/*", "*/Review", "Review", "Web*/Review",
])
def test_task_patterns_that_can_match_are_accepted(write_spec, pattern):
    """A project without a client, one the spec does not list (it may be client-less live),
    globs and bare task names are left alone."""
    assert _messages(write_spec, CLIENTS + f"protected:\n  tasks: [\"{pattern}\"]\n") == []

# ------------------------------------------------------------ an empty value

@pytest.mark.parametrize("text, expected", [
    ("settings:\n  rounding:\n",
     "x.yaml:4:12: settings: rounding: expected an integer, got null (to keep the live value, "
     "leave rounding out of settings)"),
    ("settings:\n  reports_collapse: null\n",
     "x.yaml:4:21: settings: reports_collapse: expected true or false, got null (to keep the "
     "live value, leave reports_collapse out of settings)"),
    ("projects:\n  - name: P\n    members:\n",
     "x.yaml:5:13: projects[0] (project 'P'): members: expected a list, got null (write "
     "`members: []` for none, or leave members out to leave the project's members as they are "
     "live)"),
    ("projects:\n  - name: P\n    tasks:\n",
     "x.yaml:5:11: projects[0] (project 'P'): tasks: expected a list, got null (write "
     "`tasks: []` for none, or leave tasks out to leave the project's tasks as they are live)"),
    ("groups:\n  - name: G\n    members:\n",
     "x.yaml:5:13: groups[0] (group 'G'): members: expected a list, got null (write "
     "`members: []` for none, or leave members out to leave the group's members as they are "
     "live)"),
], ids=["a setting", "a boolean setting", "project members", "project tasks", "group members"])
def test_a_key_left_empty_says_what_leaving_it_out_means(write_spec, text, expected):
    """`members:` with nothing after it: null is not a list, and the two ways to fix it
    mean different things (`[]` manages the members as none; no key leaves them alone)."""
    assert _messages(write_spec, text) == [expected]


def test_the_hourly_rate_takes_null(write_spec):
    assert _messages(write_spec, "settings:\n  default_hourly_rate: null\n") == []


@pytest.mark.parametrize("text, column", [
    ("groups:\n  - name: G\n    members:\n      - user: ana@acme.test\n", "6:9"),
    ("groups: [{name: G, members: [{user: ana@acme.test}]}]\n", "3:30"),
])
def test_a_group_member_written_like_a_project_member_says_how_to_write_it(write_spec, text,
                                                                           column):
    """A project's members are `- user: e-mail`, a group's are bare e-mails: the mix-up read
    'expected a string, got a mapping' and stopped there."""
    assert _messages(write_spec, text) == [
        f"x.yaml:{column}: groups[0] (group 'G'): members[0]: expected a string, got a mapping "
        "(a group's members are e-mails, without user: or other keys: write `- ana@acme.test`)"]


def test_an_invisible_character_in_move_from_is_refused(write_spec):
    """Every other name a spec matches against live names was checked; move_from was not, so
    'Glo\\u200bbex/P' matched nothing and the project was created anew instead of moved."""
    assert _messages(write_spec, "projects:\n  - name: P\n    move_from: \"Glo\\u200bbex/P\"\n") == [
        "x.yaml:5:16: projects[0] (project 'P'): move_from: name 'Glo\\u200bbex/P' contains "
        "invisible or control character U+200B (ZERO WIDTH SPACE) at character 4; a reviewer "
        "cannot see it, so two different names would look the same: remove it (or write a "
        "plain space)"]


@pytest.mark.parametrize("text, expected", [
    ("groups: Designers\n", "x.yaml:3:9: groups: expected a list, got 'Designers' (a list, "
     "even of one: write `groups: [{name: Designers}]`)"),
    ("groups: [{name: G, members: ana@acme.test}]\n",
     "x.yaml:3:29: groups[0] (group 'G'): members: expected a list, got 'ana@acme.test' (a "
     "list, even of one: write `members: [ana@acme.test]`)"),
    ("groups: [{name: G, previous_names: Old}]\n",
     "x.yaml:3:36: groups[0] (group 'G'): previous_names: expected a list, got 'Old' (a list, "
     "even of one: write `previous_names: [Old]`)"),
    ("projects: [{name: P, members: Designers}]\n",
     "x.yaml:3:31: projects[0] (project 'P'): members: expected a list, got 'Designers' (a "
     "list, even of one: write `members: [{group: Designers}]`)"),
    ("projects: [{name: P, tasks: Review}]\n",
     "x.yaml:3:29: projects[0] (project 'P'): tasks: expected a list, got 'Review' (a list, "
     "even of one: write `tasks: [Review]`)"),
    ("protected: {tasks: 'Globex/*'}\n",
     "x.yaml:3:20: protected: tasks: expected a list, got 'Globex/*' (a list, even of one: "
     "write `tasks: [Globex/*]`)"),
    ("protected: {groups: 'Team: A'}\n",
     "x.yaml:3:21: protected: groups: expected a list, got 'Team: A' (a list, even of one: "
     "write `groups: [\"Team: A\"]`)"),
    ("protected: {members: '*/user:a@b.c'}\n",
     "x.yaml:3:22: protected: members: expected a list, got '*/user:a@b.c' (a list, even of "
     "one: write `members: [\"*/user:a@b.c\"]`)"),
    ("projects: [{name: P, tasks: \"Re\\u200bview\"}]\n",
     "x.yaml:3:29: projects[0] (project 'P'): tasks: expected a list, got 'Re\\u200bview' (a "
     "list, even of one: write `tasks: [\"Re\\u200bview\"]`)"),
], ids=["groups", "group members", "previous names", "project members", "tasks", "protected",
        "a name needing quotes", "a glob starting with *", "an invisible character"])
def test_one_name_where_a_list_is_wanted_shows_the_list(write_spec, text, expected):
    assert _messages(write_spec, text) == [expected]


# ------------------------------------------------------------ numbers YAML 1.1 reads its own way

@pytest.mark.parametrize("text, expected", [
    ("projects: [{name: P, tasks: [{name: T, estimated_hours: 1:30}]}]\n",
     "x.yaml:3:57: projects[0] (project 'P'): tasks[0] (task 'T'): estimated_hours: YAML 1.1 "
     "reads the unquoted 1:30 as the base-60 number 90 (as in a time of day): write \"1:30\" "
     "in quotes for text, or 90 for that number"),
    ("projects: [{name: P, members: [{user: a@b.c, rate: 010}]}]\n",
     "x.yaml:3:52: projects[0] (project 'P'): members[0] (user 'a@b.c'): rate: YAML 1.1 reads "
     "the unquoted 010 as the octal number 8 (a leading 0): write 10 without the leading zero, "
     "or \"010\" in quotes for text"),
    ("settings: {rounding_minutes: 015}\n",
     "x.yaml:3:30: settings: rounding_minutes: YAML 1.1 reads the unquoted 015 as the octal "
     "number 13 (a leading 0): write 15 without the leading zero, or \"015\" in quotes for "
     "text"),
    ("settings: {default_hourly_rate: 1:30.5}\n",
     "x.yaml:3:33: settings: default_hourly_rate: YAML 1.1 reads the unquoted 1:30.5 as the "
     "base-60 number 90.5 (as in a time of day): write \"1:30.5\" in quotes for text, or 90.5 "
     "for that number"),
    ("settings: {rounding_minutes: 08}\n",
     "x.yaml:3:30: settings: rounding_minutes: expected an integer, got '08' (YAML 1.1 reads "
     "the unquoted 08 as text: a leading 0 makes an octal number, which has no digit 8 or 9; "
     "write 8 without the leading zero)"),
], ids=["base 60 estimate", "octal rate", "octal rounding", "base 60 float", "08"])
def test_numbers_yaml_reads_unlike_their_reader_are_refused(write_spec, text, expected):
    """`estimated_hours: 1:30` was accepted as 90 hours and `rate: 010` as 8: numbers that
    reach Toggl unlike anything a reviewer of the spec reads there."""
    assert _messages(write_spec, text) == [expected]


@pytest.mark.parametrize("value, number", [("05", 5), ("00", 0), ("0xf", 15), ("1_0", 10)])
def test_numbers_that_read_as_written_are_accepted(write_spec, value, number):
    """A leading zero that changes nothing (05), hex (written on purpose), digit groups."""
    path = write_spec("x.yaml", HEAD + f"settings: {{rounding_minutes: {value}}}\n")
    [state] = load_specs([path])
    assert state.settings.fields == {"rounding_minutes": number}


def test_an_empty_assignee_says_null_is_nobody(write_spec):
    assert _messages(write_spec, "projects: [{name: P, tasks: [{name: T, assignee: ''}]}]\n") == [
        "x.yaml:3:50: projects[0] (project 'P'): tasks[0] (task 'T'): assignee: expected an "
        "e-mail address such as ana@acme.test (one @, no spaces), got '' (for nobody, write "
        "`assignee: null`)"]


@pytest.mark.parametrize("character, name", [
    ("\u3164", "HANGUL FILLER"), ("\uffa0", "HALFWIDTH HANGUL FILLER"),
    ("\u034f", "COMBINING GRAPHEME JOINER"), ("\u2800", "BRAILLE PATTERN BLANK"),
])
def test_letters_that_are_drawn_blank_are_invisible_characters(write_spec, character, name):
    """Python calls them printable, so 'Designers\\u3164' passed for a second Designers group,
    and no look-alike check catches it (NFKC keeps them)."""
    escaped = f"\\u{ord(character):04x}"
    text = (f"groups:\n  - name: Designers\n  - name: \"Designers{escaped}\"\n"
            f"projects: [{{name: P, members: [{{user: \"ana{escaped}@acme.test\"}}]}}]\n")
    messages = _messages(write_spec, text)
    assert len(messages) == 2, messages
    assert messages[0].startswith("x.yaml:5:11: ")
    assert f"name 'Designers{escaped}' contains invisible or control character " \
           f"U+{ord(character):04X} ({name}) at character 10" in messages[0]
    assert messages[1].startswith("x.yaml:6:39: ")
    assert f"e-mail 'ana{escaped}@acme.test' contains invisible" in messages[1]


@pytest.mark.parametrize("text, expected", [
    ("projects:\n  - name: P\n    tasks:\n      name: T\n",
     "x.yaml:6:7: projects[0] (project 'P'): tasks: expected a list, got a mapping (start each "
     "entry with `- `)"),
    ("projects:\n  - name: P\n    members:\n      user: ana@acme.test\n",
     "x.yaml:6:7: projects[0] (project 'P'): members: expected a list, got a mapping (start "
     "each entry with `- `)"),
    ("groups:\n  name: G\n",
     "x.yaml:4:3: groups: expected a list, got a mapping (start each entry with `- `)"),
    ("settings:\n  - rounding: 1\n",
     "x.yaml:4:3: settings: expected a mapping, got a list (write its keys without a leading "
     "`- `)"),
], ids=["tasks", "members", "groups", "settings"])
def test_a_missing_or_extra_dash_says_which(write_spec, text, expected):
    assert _messages(write_spec, text) == [expected]


@pytest.mark.parametrize("text, expected", [
    ("projects:\n  - name: P\n    members:\n      - email: ana@acme.test\n",
     "x.yaml:6:9: projects[0] (project 'P'): members[0]: email: unknown key 'email' (did you "
     "mean 'user'?); allowed keys: group, manager, rate, user"),
    ("projects:\n  - name: P\n    members:\n      - team: Designers\n",
     "x.yaml:6:9: projects[0] (project 'P'): members[0]: team: unknown key 'team' (did you "
     "mean 'group'?); allowed keys: group, manager, rate, user"),
    ("projects: [{name: P, tasks: [{name: T, owner: ana@acme.test}]}]\n",
     "x.yaml:3:40: projects[0] (project 'P'): tasks[0] (task 'T'): owner: unknown key 'owner' "
     "(did you mean 'assignee'?); allowed keys: active, assignee, delete, estimated_hours, "
     "name, previous_names"),
], ids=["email for user", "team for group", "owner for assignee"])
def test_another_word_for_a_key_is_one_message_naming_the_key(write_spec, text, expected):
    """`- email: ana@acme.test` was two messages (unknown key, and 'a member needs user or
    group'), neither naming the key to write."""
    assert _messages(write_spec, text) == [expected]


@pytest.mark.parametrize("text, expected", [
    ("protected:\n  members: [*/user:owner@acme.test]\n",
     "x.yaml:4:13: YAML reads the unquoted */user:owner@acme.test as an alias (a leading *), "
     "not as text: write it in quotes, \"*/user:owner@acme.test\""),
    ("protected:\n  tasks:\n    - */Review\n",
     "x.yaml:5:7: YAML reads the unquoted */Review as an alias (a leading *), not as text: "
     "write it in quotes, \"*/Review\""),
    ("protected:\n  groups: [*Admins]\n",
     "x.yaml:4:12: YAML reads the unquoted *Admins as an alias (a leading *), not as text: "
     "write it in quotes, \"*Admins\""),
], ids=["member glob", "task glob", "undefined alias"])
def test_a_glob_starting_with_a_star_says_to_quote_it(write_spec, text, expected):
    """The protection globs of the new kinds start with `*` more often than not; unquoted, YAML
    stopped with 'did not find expected alphabetic or numeric character (while scanning an
    alias)' or 'found undefined alias'."""
    assert _messages(write_spec, text) == [expected]


def test_a_key_at_the_column_of_a_lists_dashes_says_how_to_indent_it(write_spec):
    """`manager: true` under `- user: ...` but at the dash's column: YAML said only 'did not
    find expected '-' indicator', which names neither the cause nor the fix."""
    text = "projects:\n  - name: P\n    members:\n      - user: a@b.c\n      manager: true\n"
    assert _messages(write_spec, text) == [
        "x.yaml:7:7: YAML syntax error: did not find expected '-' indicator (while parsing a "
        "block collection at line 6, column 7); this line starts at the column of the `- ` "
        "items of the list at line 6, but is no item: indent it 2 more spaces if it belongs to "
        "the item above, or start it with `- `"]


@pytest.mark.parametrize("text, expected", [
    ("projects:\n  - name: P\n    tasks:\n      - Design: wireframes\n",
     "x.yaml:6:9: projects[0] (project 'P'): tasks[0]: YAML reads the unquoted Design: "
     "wireframes as a mapping, because of the `: ` in it: write it in quotes, \"Design: "
     "wireframes\", for a name"),
    ("projects: [{name: P, tasks: [Design, 2024 Q1: kickoff]}]\n",
     "x.yaml:3:38: projects[0] (project 'P'): tasks[1]: YAML reads the unquoted 2024 Q1: "
     "kickoff as a mapping, because of the `: ` in it: write it in quotes, \"2024 Q1: "
     "kickoff\", for a name"),
    ("projects:\n  - name: P\n    tasks:\n      - Review:\n",
     "x.yaml:6:9: projects[0] (project 'P'): tasks[0]: YAML reads the unquoted Review: as a "
     "mapping, because of its trailing `:`: write Review without the colon for a name"),
    ("projects:\n  - name: P\n    tasks:\n      - name: Review: phase 1  # the second\n",
     "x.yaml:6:21: YAML syntax error: mapping values are not allowed in this context; a value "
     "with `: ` in it must be in quotes: write name: \"Review: phase 1\""),
], ids=["bare task", "flow task", "trailing colon", "task mapping"])
def test_a_name_with_a_colon_says_to_quote_it(write_spec, text, expected):
    """`- Design: wireframes` was 'unknown key Design' plus 'missing required key name', and
    `name: Review: phase 1` a bare 'mapping values are not allowed': none said to quote."""
    assert _messages(write_spec, text) == [expected]
