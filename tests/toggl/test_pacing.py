"""Pacing (issue 13.4): a client-side token bucket at the server's rate, measured against the
sandbox's own leaky bucket on a fake clock (exact and instant)."""

from __future__ import annotations

from typing import Callable

import pytest
import requests
import responses

from reconciler.sandbox.limits import LeakyBucket
from reconciler.toggl import Pacer, TogglClient, transport_from_env
from reconciler.toggl.pacing import MATON_RATE, TOGGL_RATE, parse_rate, server_rate

from .fakes import MATON_KEY, TOKEN, FakeClock

WS = "https://api.track.toggl.com/api/v9/workspaces/1"


def _bucket_server(mocked: responses.RequestsMock, clock: FakeClock, rate: float,
                   url: str = f"{WS}/tags", burst: int = 1, full: bool = False) -> list[int]:
    """A GET endpoint behind the sandbox's leaky bucket; the statuses it answered."""
    bucket = LeakyBucket(rate, burst, clock=clock)
    if full:
        for _ in range(burst):
            bucket.admit("token")
    statuses: list[int] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        status = 200 if bucket.admit("token") else 429
        statuses.append(status)
        return status, {}, "[]" if status == 200 else '"Too Many Requests"'

    mocked.add_callback(responses.GET, url, callback=answer)
    return statuses


@pytest.mark.parametrize("rate", [1.0, 3.0, 10.0])
def test_a_paced_client_meets_no_429_and_keeps_within_5_percent_of_the_floor(
        mocked: responses.RequestsMock, make_client: Callable[..., TogglClient],
        clock: FakeClock, rate: float) -> None:
    statuses = _bucket_server(mocked, clock, rate)
    client = make_client(rate=rate)
    for _ in range(60):
        client.list_tags(1)
    assert statuses.count(429) == 0
    assert clock.now <= 1.05 * 59 / rate  # the first request leaves at once


def test_a_full_bucket_at_the_start_costs_one_429_and_one_interval(
        mocked: responses.RequestsMock, make_client: Callable[..., TogglClient],
        clock: FakeClock) -> None:
    statuses = _bucket_server(mocked, clock, 1.0, full=True)
    client = make_client(rate=1.0)
    for _ in range(20):
        client.list_tags(1)
    assert statuses.count(429) == 1
    assert clock.now <= 1.05 * 20  # one interval's wait for the 429, then the pace
    assert client.pacing_interval == pytest.approx(Pacer.interval_for(1.0))  # not slowed


def test_an_unknown_rate_is_learned_from_the_first_429(
        mocked: responses.RequestsMock, make_client: Callable[..., TogglClient],
        clock: FakeClock) -> None:
    statuses = _bucket_server(mocked, clock, 1.0)
    client = make_client(rate=None)
    for _ in range(40):
        client.list_tags(1)
    assert 1 <= statuses.count(429) <= 3
    assert client.pacing_interval >= 0.9


def test_repeated_429s_at_a_known_rate_slow_the_pace(clock: FakeClock) -> None:
    pacer = Pacer(clock.sleep, clock, rate=1.0)
    nominal = pacer.interval
    pacer.on_rate_limited()
    assert pacer.interval == nominal  # one 429: the bucket was full, the pace is right
    pacer.on_rate_limited()
    assert pacer.interval == pytest.approx(nominal * 1.5)
    for _ in range(100):
        pacer.on_success()
    assert pacer.interval == nominal  # relaxes back, never faster than the known rate


def test_the_429_wait_is_the_buckets_need_with_jitter(
        mocked: responses.RequestsMock, make_client: Callable[..., TogglClient],
        clock: FakeClock) -> None:
    _bucket_server(mocked, clock, 1.0, full=True)
    client = make_client(rate=1.0)
    told: list[tuple[float, str]] = []
    client.on_wait = lambda seconds, reason: told.append((seconds, reason))
    client.list_tags(1)
    (seconds, reason), = told
    assert reason == "429"
    assert Pacer.interval_for(1.0) <= seconds <= 1.1 * Pacer.interval_for(1.0)


def test_rates_by_route() -> None:
    direct = transport_from_env({"TOGGL_API_TOKEN": TOKEN})
    maton = transport_from_env({"MATON_API_KEY": MATON_KEY})
    custom = transport_from_env({"TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": "http://127.0.0.1:1"})
    custom_maton = transport_from_env({"MATON_API_KEY": MATON_KEY,
                                       "TOGGL_API_URL": "http://127.0.0.1:1"})
    assert server_rate(direct) == TOGGL_RATE == 1.0
    assert server_rate(maton) == min(TOGGL_RATE, MATON_RATE)
    assert server_rate(custom) is None
    assert server_rate(custom_maton) == MATON_RATE  # the gateway's limit is known
    assert server_rate(custom, 3.0) == 3.0 and server_rate(direct, 0.5) == 0.5
    assert server_rate(maton, 50.0) == MATON_RATE  # the gateway caps any chosen rate
    assert server_rate(direct, 0.0) is None  # off
    assert TogglClient(direct).pacing_rate == 1.0
    assert TogglClient(custom).pacing_rate is None


@pytest.mark.parametrize("text, expected", [
    ("1", 1.0), ("0.5", 0.5), (" 3 ", 3.0), ("off", 0.0), ("0", 0.0), ("", None),
    ("fast", None), ("-1", None), ("nan", None), ("inf", None),
])
def test_parse_rate(text: str, expected: float | None) -> None:
    assert parse_rate(text) == expected


def test_a_slow_answer_moves_the_next_departure_by_its_lateness(clock: FakeClock) -> None:
    pacer = Pacer(clock.sleep, clock, rate=1.0)
    interval = pacer.interval

    def round_trip(seconds: float) -> float:
        pacer.wait()
        sent = clock.now
        pacer.mark_sent()
        clock.now += seconds
        pacer.mark_answered(sent)
        return sent

    sent = round_trip(0.03)  # the first answer (a new connection): counted when answered
    assert pacer.delay() == pytest.approx(sent + 0.03 + interval - clock.now)
    sent = round_trip(0.01)  # a fast round trip: the baseline from now on
    assert pacer.delay() == pytest.approx(sent + interval - clock.now)
    sent = round_trip(0.05)  # 40 ms slower than the fastest: it reached the server late
    assert pacer.delay() == pytest.approx(sent + 0.04 + interval - clock.now)
