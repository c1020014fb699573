"""Fixtures for the shell tests at the top of tests/ (live reads, the executor): one empty
sandbox and a client pointed at it over real HTTP. Imported by the modules that use them."""

from __future__ import annotations

from typing import Iterator

import pytest

from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.toggl import TogglClient, transport_from_env


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    server = Sandbox(SandboxConfig(seed_demo=False))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[TogglClient]:
    env = {"TOGGL_API_TOKEN": sandbox.token, "TOGGL_API_URL": sandbox.url}
    with TogglClient(transport_from_env(env), backoff_base=0.001) as toggl:
        yield toggl
