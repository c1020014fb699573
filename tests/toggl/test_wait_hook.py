"""The client's on_wait hook (what the apply's progress line shows): told before every sleep,
with its length and why, and the sleep itself unchanged."""

from __future__ import annotations

from typing import Callable

import responses

from reconciler.toggl import TogglClient

from .fakes import API, FakeClock


def test_a_429_backoff_and_the_pacing_after_it_are_announced_before_sleeping(
        mocked: responses.RequestsMock, make_client: Callable[..., TogglClient],
        clock: FakeClock) -> None:
    mocked.get(f"{API}/me", status=429, body="Too Many Requests")
    mocked.get(f"{API}/me", json={"id": 1, "default_workspace_id": 5})
    mocked.get(f"{API}/me", json={"id": 1, "default_workspace_id": 5})
    client = make_client()
    told: list[tuple[float, str, float]] = []
    client.on_wait = lambda seconds, reason: told.append((seconds, reason, clock.now))
    client.get_me()
    client.get_me()
    reasons = [reason for _, reason, _ in told]
    assert reasons[0] == "429" and "pacing" in reasons
    # Every sleep was announced, with its length, before it began.
    assert [seconds for seconds, _, _ in told] == clock.sleeps
    starts = [sum(clock.sleeps[:index]) for index in range(len(clock.sleeps))]
    assert [now for _, _, now in told] == starts


def test_a_5xx_and_a_silent_server_are_named_in_the_reason(
        mocked: responses.RequestsMock, make_client: Callable[..., TogglClient]) -> None:
    mocked.get(f"{API}/me", status=503, body="")
    mocked.get(f"{API}/me", json={"id": 1, "default_workspace_id": 5})
    client = make_client()
    told: list[str] = []
    client.on_wait = lambda seconds, reason: told.append(reason)
    client.get_me()
    assert told == ["503"]


def test_without_a_hook_nothing_changes(mocked: responses.RequestsMock,
                                        make_client: Callable[..., TogglClient]) -> None:
    mocked.get(f"{API}/me", status=429, body="")
    mocked.get(f"{API}/me", json={"id": 1, "default_workspace_id": 5})
    client = make_client()
    assert client.on_wait is None
    assert client.get_me().id == 1
    assert client.stats.retries == 1
