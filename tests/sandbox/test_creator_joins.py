"""`creator_joins_new_projects`: a private project's creator becomes its manager (the web app's
documented behaviour; whether Toggl's API does the same is unrecorded, so it is a switch)."""

from __future__ import annotations

import argparse
from typing import Iterator

import pytest

from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.sandbox.cli_args import add_sandbox_arguments, config_from_args
from reconciler.sandbox.identity import USER_ID
from tests.sandbox.conftest import Api


@pytest.fixture
def joining() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed_demo=False, creator_joins_new_projects=True)) as running:
        yield running


def _members(api: Api, wid: int) -> list[tuple[int, int, bool]]:
    listed = api.get(f"/workspaces/{wid}/project_users").json()
    return [(m["project_id"], m["user_id"], m["manager"]) for m in listed]


@pytest.mark.parametrize("private", [True, False])
def test_only_a_private_project_gets_its_creator_as_manager(joining: Sandbox, private: bool) -> None:
    api, wid = Api(joining), joining.store.ensure_workspace("Acme", tier="premium")
    created = api.post(f"/workspaces/{wid}/projects",
                       {"name": "Secret", "active": True, "is_private": private}).json()
    assert _members(api, wid) == ([(created["id"], USER_ID, True)] if private else [])


def test_off_by_default_nobody_joins(api: Api, wid: int) -> None:
    api.post(f"/workspaces/{wid}/projects", {"name": "Secret", "active": True, "is_private": True})
    assert _members(api, wid) == []


def test_the_command_line_switch_turns_it_on() -> None:
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    assert config_from_args(parser.parse_args(["--creator-joins-projects"])).creator_joins_new_projects
    assert not config_from_args(parser.parse_args([])).creator_joins_new_projects
