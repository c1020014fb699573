from __future__ import annotations

import random
from http.client import RemoteDisconnected
from typing import Any, Callable

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from reconciler.toggl import (
    AmbiguousWriteError,
    AuthError,
    BadRequestError,
    ConflictError,
    GoneError,
    NotFoundError,
    Pacer,
    PaidPlanRequiredError,
    QuotaExhaustedError,
    RateLimitedError,
    RequestEvent,
    ServerError,
    TogglClient,
    TogglError,
    Transport,
    TransportError,
    transport_from_env,
)
from .fakes import API, MATON_KEY, TOKEN, FakeClock

WS = f"{API}/workspaces/1"
Mock = responses.RequestsMock


def connect_refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: the request never left."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, f"{WS}/clients", reason=reason))  # type: ignore[arg-type]


def dropped_after_send() -> requests.ConnectionError:
    """What requests raises when the server hangs up before answering: the request did leave."""
    return requests.ConnectionError(ProtocolError("Connection aborted.", RemoteDisconnected("closed")))


class CeilingRng(random.Random):
    """Always draws the top of the jitter range, to expose the backoff ceilings."""

    def uniform(self, a: float, b: float) -> float:
        return b


@pytest.mark.parametrize(
    ("status", "body", "kind", "text"),
    [
        (400, '"Name has already been taken"', BadRequestError, "400 Name has already been taken"),
        (401, "", AuthError, "TOGGL_API_TOKEN (401): authentication failed"),
        (402, '"Custom project colors available only for premium plans"', PaidPlanRequiredError, "premium plans"),
        (403, '"User does not have access to this resource"', AuthError, "TOGGL_API_TOKEN (403): User does not"),
        (404, "null", NotFoundError, "404 not found"),
        (409, '"Time entry already stopped"', ConflictError, "409 Time entry already stopped"),
        (410, "", GoneError, "410 gone"),
        (418, "12", TogglError, "418 12"),
    ],
)
def test_final_errors_are_not_retried(
    mocked: Mock, client: TogglClient, clock: FakeClock, status: int, body: str, kind: type[TogglError], text: str
) -> None:
    mocked.put(f"{WS}/projects/4", status=status, body=body)
    with pytest.raises(kind) as caught:
        client.update_project(1, 4, {"color": "#ffffff"})
    assert type(caught.value) is kind and text in str(caught.value)
    assert (len(mocked.calls), clock.sleeps) == (1, [])


def test_402_with_no_quota_left_is_quota_exhausted(mocked: Mock, client: TogglClient) -> None:
    headers = {"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": "1234"}
    mocked.get(f"{WS}/tags", status=402, body='""', headers=headers)
    with pytest.raises(QuotaExhaustedError) as caught:
        client.list_tags(1)
    assert (caught.value.resets_in, caught.value.remaining, len(mocked.calls)) == (1234, 0, 1)
    assert (client.quota.remaining, client.quota.resets_in) == (0, 1234)


SAFE_CALLS: list[tuple[str, str, Callable[[TogglClient], Any]]] = [
    ("GET", f"{WS}/projects/4", lambda c: c.get_project(1, 4)),
    ("PUT", f"{WS}/projects/4", lambda c: c.update_project(1, 4, {"name": "x"})),
    ("PATCH", f"{WS}/projects/4,5", lambda c: c.bulk_patch_projects(1, [4, 5], [])),
    ("DELETE", f"{WS}/tags/3", lambda c: c.delete_tag(1, 3)),
    ("POST", f"{WS}/clients/archive", lambda c: c.archive_clients(1, [2])),  # marked idempotent
    ("POST", f"{WS}/clients/2/restore", lambda c: c.restore_client(1, 2, all_projects=True)),
]


@pytest.mark.parametrize(("method", "url", "call"), SAFE_CALLS)
def test_repeatable_requests_survive_5xx_and_timeouts(
    mocked: Mock, client: TogglClient, method: str, url: str, call: Callable[[TogglClient], Any]
) -> None:
    mocked.add(method, url, status=503, body="")
    mocked.add(method, url, body=requests.exceptions.ReadTimeout("read timed out"))
    mocked.add(method, url, status=502, body="<html>Bad gateway</html>")
    mocked.add(method, url, json={"id": 4})
    call(client)
    assert (len(mocked.calls), client.stats.retries) == (4, 3)


def test_persistent_5xx_stops_after_max_retries(mocked: Mock, make_client: Callable[..., TogglClient], clock: FakeClock) -> None:
    mocked.get(f"{WS}/tags", status=500, body='"boom"')
    with pytest.raises(ServerError, match="GET /api/v9/workspaces/1/tags: 500 boom"):
        make_client(max_retries=3).list_tags(1)
    assert (len(mocked.calls), len(clock.sleeps)) == (4, 3)


def test_backoff_ceilings_double_up_to_the_cap(mocked: Mock, make_client: Callable[..., TogglClient], clock: FakeClock) -> None:
    mocked.get(f"{WS}/tags", status=503)
    with pytest.raises(ServerError):
        make_client(rng=CeilingRng(), backoff_base=0.5, backoff_cap=4.0).list_tags(1)
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 4.0]


def _delays_with_seed(seed: int) -> list[float]:
    clock = FakeClock()
    with responses.RequestsMock() as mock:
        mock.get(f"{WS}/tags", status=503)
        client = TogglClient(transport_from_env({"TOGGL_API_TOKEN": TOKEN}), sleep=clock.sleep, clock=clock, rng=random.Random(seed))
        with pytest.raises(ServerError):
            client.list_tags(1)
    return clock.sleeps


def test_backoff_is_fully_jittered_and_reproducible() -> None:
    delays = _delays_with_seed(3)
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert delays == _delays_with_seed(3) != _delays_with_seed(4)
    assert all(0 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings))
    assert any(delay < ceiling * 0.9 for delay, ceiling in zip(delays, ceilings))


def test_429_is_retried_even_for_a_plain_post(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/clients", status=429, body='"Too Many Requests"')
    mocked.post(f"{WS}/clients", json={"id": 2, "wid": 1, "name": "Acme"})
    assert client.create_client(1, "Acme").id == 2
    assert (len(mocked.calls), client.stats.writes, client.stats.retries) == (2, 2, 1)


def test_persistent_429_gives_rate_limited(mocked: Mock, make_client: Callable[..., TogglClient]) -> None:
    mocked.post(f"{WS}/clients", status=429, body="")
    with pytest.raises(RateLimitedError, match="429 too many requests"):
        make_client(max_retries=2).create_client(1, "Acme")
    assert len(mocked.calls) == 3


def test_retry_after_is_honoured(mocked: Mock, client: TogglClient, clock: FakeClock) -> None:
    mocked.get(f"{WS}/tags", status=429, headers={"Retry-After": "3"})
    mocked.get(f"{WS}/tags", json=[])
    client.list_tags(1)
    assert 3.0 <= clock.sleeps[0] <= 3.3  # at least what the server asks, with jitter


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "body": '"Internal Server Error"'},
        {"status": 503, "body": ""},
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"body": dropped_after_send()},
    ],
    ids=["500", "503", "timeout-after-send", "dropped-after-send"],
)
def test_a_plain_post_that_may_have_landed_is_ambiguous(
    mocked: Mock, client: TogglClient, clock: FakeClock, failure: dict[str, Any]
) -> None:
    mocked.post(f"{WS}/clients", **failure)
    with pytest.raises(AmbiguousWriteError) as caught:
        client.create_client(1, "Acme")
    assert "may or may not have been applied; re-read before retrying" in str(caught.value)
    assert str(caught.value).startswith("POST /api/v9/workspaces/1/clients: ")
    assert (len(mocked.calls), clock.sleeps, client.stats.writes) == (1, [], 1)


def test_a_post_that_never_left_is_retried(mocked: Mock, client: TogglClient) -> None:
    mocked.post(f"{WS}/clients", body=connect_refused())
    mocked.post(f"{WS}/clients", body=requests.exceptions.ConnectTimeout("connect timed out"))
    mocked.post(f"{WS}/clients", json={"id": 2, "wid": 1, "name": "Acme"})
    assert client.create_client(1, "Acme").id == 2
    assert (client.stats.writes, client.stats.retries) == (1, 2)  # only the request that left counts


def test_unreachable_toggl_gives_transport_error(mocked: Mock, make_client: Callable[..., TogglClient]) -> None:
    mocked.get(f"{WS}/tags", body=connect_refused())
    with pytest.raises(TransportError, match=r"cannot reach Toggl at https://api.track.toggl.com: connection refused .*\(3 attempts over \d+ s\)"):
        make_client(max_retries=2).list_tags(1)
    assert len(mocked.calls) == 3


def test_a_malformed_url_is_not_retried(mocked: Mock, client: TogglClient) -> None:
    mocked.get(f"{WS}/tags", body=requests.exceptions.InvalidURL("bad url"))
    with pytest.raises(TransportError):
        client.list_tags(1)
    assert len(mocked.calls) == 1


def test_a_one_request_per_second_server_sees_no_failures(
    mocked: Mock, client: TogglClient, clock: FakeClock
) -> None:
    accepted: list[float] = []

    def leaky_bucket(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if accepted and clock.now - accepted[-1] < 1.0 - 1e-9:
            return 429, {}, '"Too Many Requests"'
        accepted.append(clock.now)
        return 200, {}, "[]"

    mocked.add_callback(responses.GET, f"{WS}/tags", callback=leaky_bucket)
    for _ in range(40):
        client.list_tags(1)
    refused = client.stats.reads - 40
    assert 1 <= refused <= 3  # the first 429 teaches the pace; decay probes rarely after that
    assert client.pacing_interval >= 0.9


def test_pacer_grows_caps_and_relaxes(clock: FakeClock) -> None:
    pacer = Pacer(clock.sleep, clock)
    intervals = []
    for _ in range(8):
        pacer.on_rate_limited()
        intervals.append(round(pacer.interval, 3))
    assert intervals == [1.0, 1.5, 2.25, 3.375, 5.062, 7.594, 10.0, 10.0]
    for _ in range(10):
        pacer.on_success()
    assert pacer.interval == pytest.approx(9.0)


def test_pacer_drops_to_zero_and_waits_only_the_remainder(clock: FakeClock) -> None:
    pacer = Pacer(clock.sleep, clock)
    pacer.on_rate_limited()  # the server's bucket is full now: one interval from the answer
    clock.now += 0.25
    assert pacer.wait() == pytest.approx(0.75)
    pacer.mark_sent()
    clock.now += 0.25
    assert pacer.wait() == pytest.approx(0.75)
    for _ in range(10 * 30):
        pacer.on_success()
    assert pacer.interval == 0.0 and pacer.wait() == 0.0


@pytest.mark.parametrize("env", [{"TOGGL_API_TOKEN": TOKEN}, {"MATON_API_KEY": MATON_KEY}])
@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 500, 429])
def test_credentials_never_appear_in_output(
    mocked: Mock, make_client: Callable[..., TogglClient], env: dict[str, str], status: int
) -> None:
    events: list[RequestEvent] = []
    client = make_client(transport_from_env(env), on_request=events.append, max_retries=1)
    secret = client.transport.secret
    echoed = f'"bad credential {secret} / {client.transport.auth_headers()["Authorization"]}"'
    mocked.post(f"{client.transport.root}/api/v9/workspaces/1/tags", status=status, body=echoed)
    with pytest.raises(TogglError) as caught:
        client.create_tag(1, "x")
    outputs = [str(caught.value), repr(caught.value), repr(client), repr(client.transport), *map(repr, events)]
    assert all(secret not in text for text in outputs)
    assert "***" in str(caught.value)


# ---------------------------------------------------------------- hostile quota headers (issue 9.13)


@pytest.mark.parametrize(
    ("remaining", "resets_in", "expected"),
    [
        ("10", "-5", (10, None)),  # a reset in the past is unknown, never "wait -5 s" (a hot loop)
        ("10", "99999999999", (10, 3600)),  # the window is a sliding hour: never a 3,000-year wait
        ("-3", "12.2", (0, 13)),
        ("lots", "soon", (None, None)),
        ("NaN", "inf", (None, None)),
        ("0", "0", (0, 0)),
    ],
)
def test_quota_headers_are_clamped_to_what_can_be_true(
    mocked: Mock, client: TogglClient, remaining: str, resets_in: str, expected: tuple[Any, Any]
) -> None:
    headers = {"X-Toggl-Quota-Remaining": remaining, "X-Toggl-Quota-Resets-In": resets_in}
    mocked.get(f"{WS}/tags", json=[], headers=headers)
    client.list_tags(1)
    assert (client.quota.remaining, client.quota.resets_in) == expected


@pytest.mark.parametrize(("resets_in", "expected"), [("-5", None), ("99999999999", 3600), ("x", None)])
def test_a_quota_402_carries_a_sane_reset(mocked: Mock, client: TogglClient, resets_in: str,
                                          expected: int | None) -> None:
    headers = {"X-Toggl-Quota-Remaining": "0", "X-Toggl-Quota-Resets-In": resets_in}
    mocked.get(f"{WS}/tags", status=402, body='"quota exceeded"', headers=headers)
    with pytest.raises(QuotaExhaustedError) as caught:
        client.list_tags(1)
    assert caught.value.resets_in == expected


@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [("-5", None), ("99999999999", 30.0), ("soon", None), ("2.5", 2.5),
     ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0)],  # a date: against the answer's own Date header
)
def test_retry_after_is_parsed_defensively(
    mocked: Mock, client: TogglClient, clock: FakeClock, retry_after: str, slept: float | None
) -> None:
    headers = {"Retry-After": retry_after, "Date": "Wed, 21 Oct 2015 07:28:00 GMT"}
    mocked.get(f"{WS}/tags", status=429, headers=headers)
    mocked.get(f"{WS}/tags", json=[])
    client.list_tags(1)
    first = clock.sleeps[0]  # the backoff (a pacing wait may follow it)
    if slept is None:
        # No usable header: the bucket's own interval (1 s at Toggl's rate), jittered; no hot
        # loop, no long wait.
        assert 1.0 <= sum(clock.sleeps) <= 1.1
    else:
        assert slept <= first <= min(slept * 1.1, client.backoff_cap)


def test_retry_after_helper_bounds() -> None:
    from reconciler.toggl.client import MAX_RETRY_AFTER, retry_after_seconds

    assert retry_after_seconds({"Retry-After": "-1"}) == 0.0
    assert retry_after_seconds({"Retry-After": "1e300"}) == MAX_RETRY_AFTER
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=0.0) == MAX_RETRY_AFTER
    assert retry_after_seconds({}) is None


def test_a_header_value_is_never_echoed(mocked: Mock, make_client: Callable[..., TogglClient]) -> None:
    # Checks up front make this unreachable from the environment; defence in depth all the same.
    secret = "line\nbreak-secret-0123456789"
    transport = Transport(kind="maton", root="https://gateway.maton.ai/toggl-track",
                          credential_env="MATON_API_KEY", secret=secret)
    with pytest.raises(TransportError) as caught:
        make_client(transport).list_tags(1)
    assert "not shown" in str(caught.value) and "break-secret" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
