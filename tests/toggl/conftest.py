"""Shared fixtures: a client with instant, recorded sleeps and a seeded rng, over `responses`."""

from __future__ import annotations

import random
from typing import Any, Callable, Iterator

import pytest
import responses

from reconciler.toggl import TogglClient, Transport, transport_from_env

API = "https://api.track.toggl.com/api/v9"
TOKEN = "tok-SECRET-0123456789abcdef"
MATON_KEY = "maton-SECRET-key-42"


class FakeClock:
    """Time that only moves when the client sleeps, so pacing is exact and instant."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def direct_transport() -> Transport:
    return transport_from_env({"TOGGL_API_TOKEN": TOKEN})


@pytest.fixture
def make_client(clock: FakeClock, direct_transport: Transport) -> Iterator[Callable[..., TogglClient]]:
    made: list[TogglClient] = []

    def make(transport: Transport | None = None, **options: Any) -> TogglClient:
        settings: dict[str, Any] = {"sleep": clock.sleep, "clock": clock, "rng": random.Random(7)}
        client = TogglClient(transport or direct_transport, **{**settings, **options})
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TogglClient]) -> TogglClient:
    return make_client()
