"""Fixtures: a fresh in-memory sandbox per test, and a tiny HTTP helper bound to it."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests

from reconciler.sandbox import Sandbox


class Api:
    """requests.Session with the sandbox's base URL and Basic auth; paths after /api/v9."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.auth = (sandbox.token, "api_token")

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.sandbox.url}/api/v9{path}", timeout=10,
                                    **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self("PUT", path, json=body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self("DELETE", path, **kwargs)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed_demo=False) as running:
        yield running


@pytest.fixture
def demo_sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox)


@pytest.fixture
def wid(sandbox: Sandbox) -> int:
    return sandbox.store.ensure_workspace("Acme", tier="premium")


@pytest.fixture
def free_wid(sandbox: Sandbox) -> int:
    return sandbox.store.ensure_workspace("Free One", tier="free")


@pytest.fixture
def demo_api(demo_sandbox: Sandbox) -> Api:
    return Api(demo_sandbox)
