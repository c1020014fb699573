"""Valid specs normalize into DesiredState: the example, merges, splits, defaults, shorthand."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from spec_factory import EXAMPLE
from reconciler.model import (
    DesiredClient,
    DesiredProject,
    DesiredTag,
    SafetyLimits,
    SourceLocation,
)
from reconciler.spec import load_specs, validate_paths

HEAD = "version: 1\nworkspace: Acme Agency\n"


def test_the_documented_example(write_spec):
    path = write_spec("agency.yaml", EXAMPLE)
    [state] = load_specs([path])
    assert state.workspace == "Acme Agency"
    assert state.clients == (DesiredClient(
        name="Globex", fields={"notes": "Key account", "archived": False},
        previous_names=("Globex Corp",), source=SourceLocation("agency.yaml", 19, 5)),)
    assert state.projects == (DesiredProject(
        name="Website Redesign", client="Globex",
        fields={"active": True, "color": "#0b83d9", "billable": True, "is_private": False,
                "estimated_hours": 120, "rate": 95.5, "currency": "EUR",
                "auto_estimates": False, "template": False},
        previous_names=("Website",), source=SourceLocation("agency.yaml", 25, 5)),)
    assert state.tags == (
        DesiredTag("urgent", source=SourceLocation("agency.yaml", 40, 5)),
        DesiredTag("needs-review", ("review",), source=SourceLocation("agency.yaml", 41, 5)),
    )
    assert state.unmanaged == {"client": "ignore", "project": "archive", "tag": "delete"}
    assert state.protected == {"client": ("Globex", "Big*"), "project": ("Globex/*", "Internal"),
                               "tag": ()}
    assert state.safety == SafetyLimits(30.0, 10, 25)
    assert state.files == ("agency.yaml",)


def test_a_minimal_spec_gets_the_defaults(write_spec):
    [state] = load_specs([write_spec("x.yaml", HEAD)])
    assert (state.clients, state.projects, state.tags) == ((), (), ())
    assert state.unmanaged == {"client": "ignore", "project": "ignore", "tag": "ignore"}
    assert state.protected == {"client": (), "project": (), "tag": ()}
    assert state.safety == SafetyLimits()


def test_fields_hold_only_what_is_written(write_spec):
    path = write_spec("x.yaml", HEAD + "clients: [{name: C, notes: null}]\n"
                      "projects: [{name: P, client: C, delete: true}, {name: Q, client: null}]\n")
    [state] = load_specs([path])
    assert state.clients[0].fields == {"notes": ""}  # null means no notes: "" clears them
    assert [(p.name, p.client, dict(p.fields), p.delete) for p in state.projects] == [
        ("P", "C", {}, True), ("Q", None, {}, False)]


def test_project_client_takes_the_client_entry_spelling(write_spec):
    path = write_spec("x.yaml", HEAD + "clients: [{name: Globex}]\nprojects: [{name: P, client: GLOBEX}]\n")
    [state] = load_specs([path])
    assert state.projects[0].client == "Globex"


def test_defaults_apply_to_their_own_file_only(write_spec):
    first = write_spec("a.yaml", HEAD + "defaults: {project: {billable: true, client: C, "
                       "color: '#D94182'}}\nclients: [{name: C}]\n"
                       "projects: [{name: P}, {name: Q, billable: false, client: null}]\n")
    second = write_spec("b.yaml", HEAD + "projects: [{name: R}]\n")
    [state] = load_specs([first, second])
    assert [(p.name, p.client, dict(p.fields)) for p in state.projects] == [
        ("P", "C", {"billable": True, "color": "#d94182"}),
        ("Q", None, {"billable": False, "color": "#d94182"}),
        ("R", None, {}),
    ]


def test_files_of_one_workspace_merge(write_spec):
    first = write_spec("a.yaml", HEAD + "clients: [{name: C}]\nprotected: {tags: [keep*]}\n"
                       "unmanaged: {tags: delete}\n")
    second = write_spec("b.yaml", "version: 1\nworkspace: ACME agency\nprojects: [{name: P, "
                        "client: C}]\nprotected: {tags: [x]}\nunmanaged: {tags: delete, "
                        "projects: archive}\nsafety: {max_removals: 3}\n")
    [state] = load_specs([first, second])
    assert state.workspace == "Acme Agency"
    assert [c.name for c in state.clients] == ["C"]
    assert [p.address for p in state.projects] == ["C/P"]
    assert state.protected["tag"] == ("keep*", "x")
    assert state.unmanaged == {"client": "ignore", "project": "archive", "tag": "delete"}
    assert state.safety == SafetyLimits(max_removals=3)
    assert state.files == ("a.yaml", "b.yaml")
    assert state.projects[0].source == SourceLocation("b.yaml", 3, 12)


def test_files_of_different_workspaces_split_in_first_seen_order(write_spec):
    write_spec("specs/b-id.yaml", "version: 1\nworkspace: 4242\ntags: [b]\n")
    write_spec("specs/a-name.yaml", HEAD + "tags: [a]\n")
    write_spec("specs/c.yml", "version: 1\nworkspace: 4242\ntags: [c]\n")
    write_spec("specs/notes.txt", "not a spec")
    write_spec("specs/.hidden.yaml", "broken: [")
    states = load_specs(["specs"])
    assert [(s.workspace, [t.name for t in s.tags], s.files) for s in states] == [
        ("Acme Agency", ["a"], ("specs/a-name.yaml",)),
        (4242, ["b", "c"], ("specs/b-id.yaml", "specs/c.yml")),
    ]


def test_a_quoted_number_is_a_workspace_name(write_spec):
    [state] = load_specs([write_spec("x.yaml", "version: 1\nworkspace: '4242'\n")])
    assert state.workspace == "4242"


def test_spec_hash_covers_the_bytes_in_load_order_not_the_paths(write_spec, spec_dir: Path):
    first = write_spec("a.yaml", HEAD + "tags: [a]\n")
    second = write_spec("b.yaml", HEAD + "tags: [b]\n")
    [state] = load_specs([first, second])
    expected = hashlib.sha256((spec_dir / first).read_bytes() + (spec_dir / second).read_bytes())
    assert state.spec_hash == "sha256:" + expected.hexdigest()
    write_spec("elsewhere/a.yaml", HEAD + "tags: [a]\n")
    write_spec("elsewhere/b.yaml", HEAD + "tags: [b]\n")
    assert load_specs(["elsewhere"])[0].spec_hash == state.spec_hash
    assert load_specs([second, first])[0].spec_hash != state.spec_hash


def test_a_file_named_twice_loads_once(write_spec):
    path = write_spec("specs/x.yaml", HEAD + "tags: [a]\n")
    [state] = load_specs([path, "specs"])
    assert state.files == (path,)


def test_merge_keys_and_small_aliases_are_fine(write_spec):
    path = write_spec("x.yaml", HEAD + "x-common: null\nprojects:\n"
                      "  - &base {name: P, color: '#0b83d9', billable: true}\n"
                      "  - <<: *base\n    name: Q\n")
    assert [str(p) for p in validate_paths([path])] == [
        "x.yaml:3:1: x-common: unknown key 'x-common'; allowed keys: clients, defaults, "
        "groups, organization, projects, protected, rules, safety, settings, tags, unmanaged, "
        "version, workspace"]
    path = write_spec("y.yaml", HEAD + "projects:\n  - &base {name: P, color: '#0b83d9'}\n"
                      "  - <<: *base\n    name: Q\n")
    [state] = load_specs([path])
    assert [(p.name, dict(p.fields)) for p in state.projects] == [
        ("P", {"color": "#0b83d9"}), ("Q", {"color": "#0b83d9"})]


@pytest.mark.parametrize("text, expected", [
    ("safety: {max_removal_percent: 12.5, min_existing: 0, max_removals: 0}",
     SafetyLimits(12.5, 0, 0)),
    ("safety: {min_existing: 3}", SafetyLimits(min_existing=3)),
])
def test_safety_values(write_spec, text, expected):
    [state] = load_specs([write_spec("x.yaml", HEAD + text + "\n")])
    assert state.safety == expected


@pytest.mark.parametrize("tags", [
    "[" + ", ".join(f"{{name: t{i}, previous_names: [o{i}]}}" for i in range(600)) + "]",
    "[" + ", ".join(f"'t[{i}'" for i in range(600)) + "]",  # brackets in names: exact scan
])
def test_flow_style_specs_are_not_mistaken_for_deep_nesting(write_spec, tags):
    [state] = load_specs([write_spec("x.yaml", HEAD + f"tags: {tags}\n")])
    assert len(state.tags) == 600
