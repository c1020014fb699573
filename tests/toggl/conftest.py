"""Shared fixtures: a client with instant, recorded sleeps and a seeded rng, over `responses`."""

from __future__ import annotations

import random
from typing import Any, Callable, Iterator

import pytest
import responses

from reconciler.toggl import TogglClient, Transport, transport_from_env

from .fakes import TOKEN, FakeClock


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
        # No proactive pacing unless a test asks for it (tests/toggl/test_pacing.py): the retry
        # tests count the sleeps of their backoffs alone.
        settings: dict[str, Any] = {"sleep": clock.sleep, "clock": clock, "rng": random.Random(7),
                                    "rate": None}
        client = TogglClient(transport or direct_transport, **{**settings, **options})
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TogglClient]) -> TogglClient:
    return make_client()
