"""Property: with the workspace kinds in generated specs (settings, groups, members, tasks),
two applies in a row converge: after the first, a plan shows no changes. Through the CLI,
over HTTP, each example in a workspace of its own (an organization's groups are shared, so
every example names its groups apart)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.sandbox import Sandbox, SandboxConfig
from tests.e2e.conftest import TOKEN, Harness

USERS = ("ana@acme.test", "bo@acme.test", "cy@acme.test")
PROJECTS = ["Site", "App", "Audit"]
TASKS = ["Wireframes", "wireframes", "Copy", "QA", "Launch"]
GROUPS = ["Designers", "Devs", "designers"]
EXAMPLES = 25
_numbers = itertools.count(1)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    groups = _unique(draw(st.lists(st.sampled_from(GROUPS), max_size=2)))
    spec: dict[str, Any] = {
        "settings": draw(st.fixed_dictionaries({}, optional={
            "rounding": st.sampled_from([-1, 0, 1]),
            "rounding_minutes": st.sampled_from([0, 15, 30]),
            "only_admins_may_create_tags": st.booleans(),
        })),
        "groups": [{"name": name, "members": sorted(draw(st.sets(st.sampled_from(USERS))))}
                   for name in groups],
        "unmanaged": {"tasks": draw(st.sampled_from(["ignore", "archive", "delete"])),
                      "members": draw(st.sampled_from(["ignore", "remove"])),
                      "groups": draw(st.sampled_from(["ignore", "delete"]))},
        "projects": [],
    }
    for name in _unique(draw(st.lists(st.sampled_from(PROJECTS), min_size=1, max_size=2))):
        project: dict[str, Any] = {"name": name, "is_private": draw(st.booleans())}
        tasks = _unique(draw(st.lists(st.sampled_from(TASKS), max_size=3)))
        if tasks or draw(st.booleans()):
            project["tasks"] = [draw(st.sampled_from([
                task, {"name": task, "active": False},
                {"name": task, "estimated_hours": 3, "assignee": USERS[0]}])) for task in tasks]
        members = [{"user": user, "manager": draw(st.booleans())}
                   for user in sorted(draw(st.sets(st.sampled_from(USERS), max_size=2)))]
        members += [{"group": group} for group in groups if draw(st.booleans())]
        if members or draw(st.booleans()):
            project["members"] = members
        spec["projects"].append(project)
    return spec


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    # The creator joins a private project it creates, as in Toggl's web app: the harder world
    # for convergence (the default sandbox adds nobody; tests/e2e/test_workspace_kinds.py).
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=TOKEN, user_hourly_quota=None,
                                    users=USERS, creator_joins_new_projects=True))
    sandbox.start()
    try:
        yield Harness(sandbox, tmp_path_factory.mktemp("kinds-properties"))
    finally:
        sandbox.stop()


def _suffixed(spec: dict[str, Any], suffix: str) -> dict[str, Any]:
    """Group names made unique to the example: the organization's groups outlive a workspace."""
    renamed = {g["name"]: f"{g['name']} {suffix}" for g in spec["groups"]}
    groups = [{**g, "name": renamed[g["name"]]} for g in spec["groups"]]
    projects = [{**p, "members": [{**m, "group": renamed[m["group"]]} if "group" in m else m
                                  for m in p["members"]]} if "members" in p else p
                for p in spec["projects"]]
    return {**spec, "groups": groups, "projects": projects,
            # an unmanaged-groups delete would reach the other examples' groups: keep it off
            "unmanaged": {**spec["unmanaged"], "groups": "ignore"}}


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=specs(), second=specs())
def test_two_applies_of_generated_specs_converge(shared: Harness, first: dict[str, Any],
                                                 second: dict[str, Any]) -> None:
    number = next(_numbers)
    workspace = f"Kinds {number}"
    shared.store.ensure_workspace(workspace)
    for step, spec in enumerate((first, second)):
        document = {"version": 1, "workspace": workspace, **_suffixed(spec, str(number))}
        path = Path(shared.tmp_path) / f"kinds-{number}-{step}.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        applied = shared.cli("apply", str(path), "--auto-approve", "--force")
        assert applied.code == 0, applied.output
        again = shared.cli("plan", str(path), "--detailed-exitcode")
        assert again.code == 0, (document, again.output)
