"""Cross-entry and cross-file checks, each located at file:line:column."""

from __future__ import annotations

import pytest

from reconciler.spec import validate_paths

HEAD = "version: 1\nworkspace: W\n"

CASES = [
    ("duplicate client (case-insensitive)",
     HEAD + "clients:\n  - name: Globex\n  - name: GLOBEX\n",
     ["x.yaml:5:5: clients[1] (client 'GLOBEX'): client 'GLOBEX' is defined twice (names "
      "ignore case): also at x.yaml:4:5"]),
    ("duplicate project under one client",
     HEAD + "clients: [{name: C}]\nprojects:\n  - {name: P, client: C}\n  - {name: p, client: c}\n",
     ["x.yaml:6:5: projects[1] (project 'c/p'): project 'c/p' is defined twice (names ignore "
      "case): also at x.yaml:5:5"]),
    ("same project name under two clients is fine",
     HEAD + "clients: [{name: C}, {name: D}]\nprojects:\n  - {name: P, client: C}\n"
            "  - {name: P, client: D}\n  - {name: P}\n",
     []),
    ("duplicate tag, shorthand and mapping",
     HEAD + "tags: [urgent, {name: Urgent}]\n",
     ["x.yaml:3:16: tags[1] (tag 'Urgent'): tag 'Urgent' is defined twice (names ignore "
      "case): also at x.yaml:3:8"]),
    ("unknown client",
     HEAD + "clients: [{name: Globex}]\nprojects:\n  - {name: P, client: Globx}\n",
     ["x.yaml:5:23: projects[0] (project 'Globx/P'): client: unknown client 'Globx' (did you "
      "mean 'Globex'?): a project's client must be listed under clients"]),
    ("unknown client from defaults is reported once",
     HEAD + "defaults: {project: {client: Nobody}}\nprojects: [{name: P}, {name: Q}]\n",
     ["x.yaml:3:30: defaults: project: client: unknown client 'Nobody': a project's client "
      "must be listed under clients"]),
    ("previous name is another entry's name",
     HEAD + "tags:\n  - {name: a, previous_names: [B]}\n  - b\n",
     ["x.yaml:4:32: tags[0] (tag 'a'): previous_names[0]: previous name 'B' is the name of "
      "another tag (at x.yaml:5:5)"]),
    ("previous name shared by two entries",
     HEAD + "clients:\n  - {name: A, previous_names: [Old]}\n  - {name: B, previous_names: [old]}\n",
     ["x.yaml:5:32: clients[1] (client 'B'): previous_names[0]: previous name 'old' is also a "
      "previous name of client 'A' (at x.yaml:4:5): a live object can be renamed to one of "
      "them only"]),
    ("a change of case is a rename, not a collision",
     HEAD + "clients:\n  - {name: Globex, previous_names: [globex]}\n",
     []),
    ("project previous names are per client",
     HEAD + "clients: [{name: C}, {name: D}]\nprojects:\n  - {name: New, client: C, "
            "previous_names: [Old]}\n  - {name: Old, client: D}\n",
     []),
    ("delete_time_entries without delete",
     HEAD + "projects:\n  - name: P\n    delete_time_entries: true\n",
     ["x.yaml:5:26: projects[0] (project 'P'): delete_time_entries: true without delete: "
      "true; it only says what happens to the time entries of a deleted project"]),
    ("delete_time_entries with delete is fine",
     HEAD + "projects:\n  - {name: P, delete: true, delete_time_entries: true, color: '#0b83d9'}\n",
     []),
    ("active project of an archived client",
     HEAD + "clients: [{name: C, archived: true}]\nprojects:\n  - {name: P, client: C, active: true}\n",
     ["x.yaml:5:5: projects[0] (project 'C/P'): active: true, but its client 'C' is archived "
      "(at x.yaml:3:11); set active: false or unarchive the client"]),
    ("active from defaults counts too",
     HEAD + "defaults: {project: {active: true}}\nclients: [{name: C, archived: true}]\n"
            "projects: [{name: P, client: C}]\n",
     ["x.yaml:5:12: projects[0] (project 'C/P'): active: true, but its client 'C' is archived "
      "(at x.yaml:4:11); set active: false or unarchive the client"]),
    ("project of a deleted client",
     HEAD + "clients: [{name: C, delete: true}]\nprojects: [{name: P, client: C}]\n",
     ["x.yaml:4:12: projects[0] (project 'C/P'): its client 'C' has delete: true (at "
      "x.yaml:3:11); delete the project too or give it another client"]),
]


@pytest.mark.parametrize("content, expected", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_semantic_problems(write_spec, content, expected):
    path = write_spec("x.yaml", content)
    assert [str(problem) for problem in validate_paths([path])] == expected


CROSS_FILE = [
    ("client defined in two files",
     {"a.yaml": HEAD + "clients: [{name: Globex}]\n", "b.yaml": HEAD + "clients: [{name: globex}]\n"},
     ["b.yaml:3:11: clients[0] (client 'globex'): client 'globex' is defined twice (names "
      "ignore case): also at a.yaml:3:11"]),
    ("project refers to a client of another file",
     {"a.yaml": HEAD + "clients: [{name: C}]\n", "b.yaml": HEAD + "projects: [{name: P, client: C}]\n"},
     []),
    ("unmanaged disagrees",
     {"a.yaml": HEAD + "unmanaged: {projects: archive}\n",
      "b.yaml": HEAD + "unmanaged: {projects: delete, clients: delete}\n"},
     ["b.yaml:3:23: unmanaged: projects: 'delete' here, but 'archive' at a.yaml:3:23: the files "
      "of one workspace must agree on unmanaged"]),
    ("safety disagrees",
     {"a.yaml": HEAD + "safety: {max_removals: 5}\n", "b.yaml": HEAD + "safety: {max_removals: 6}\n"},
     ["b.yaml:3:24: safety: max_removals: 6 here, but 5 at a.yaml:3:24: the files of one "
      "workspace must agree on safety"]),
    ("safety agrees numerically",
     {"a.yaml": HEAD + "safety: {max_removal_percent: 5}\n",
      "b.yaml": HEAD + "safety: {max_removal_percent: 5.0}\n"},
     []),
    ("other workspaces are not compared",
     {"a.yaml": HEAD + "clients: [{name: C}]\n",
      "b.yaml": "version: 1\nworkspace: 123\nclients: [{name: C}]\n"},
     []),
]


@pytest.mark.parametrize("files, expected", [case[1:] for case in CROSS_FILE],
                         ids=[case[0] for case in CROSS_FILE])
def test_cross_file_problems(write_spec, files, expected):
    paths = [write_spec(name, content) for name, content in files.items()]
    assert [str(problem) for problem in validate_paths(paths)] == expected


def test_semantic_checks_still_run_beside_schema_problems(write_spec):
    path = write_spec("x.yaml", HEAD + "tags: [a, A, 5]\n")
    assert [str(problem) for problem in validate_paths([path])] == [
        "x.yaml:3:11: tags[1] (tag 'A'): tag 'A' is defined twice (names ignore case): also at "
        "x.yaml:3:8",
        'x.yaml:3:14: tags[2]: expected a string or a mapping, got 5 (YAML reads the unquoted 5 '
        'as a number: write "5" in quotes)',
    ]
