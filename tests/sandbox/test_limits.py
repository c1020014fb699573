"""Rate limit (429) and hourly quota (402 + headers, sliding window) over HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from reconciler.sandbox import Sandbox
from reconciler.sandbox.limits import HourlyQuota, LeakyBucket


def _me(sandbox: Sandbox, token: str | None = None) -> requests.Response:
    return requests.get(f"{sandbox.url}/api/v9/me", auth=(token or sandbox.token, "api_token"),
                        timeout=5)


def test_one_request_per_second_then_429_without_retry_after() -> None:
    with Sandbox(seed_demo=False, rate_limit_per_second=1.0) as sandbox:
        statuses = [_me(sandbox).status_code for _ in range(3)]
        other_token = _me(sandbox, token="another-token").status_code
        time.sleep(1.05)
        after_a_second = _me(sandbox).status_code
        refused = _me(sandbox)
    assert statuses == [200, 429, 429]
    assert other_token == 200  # buckets are per credential
    assert after_a_second == 200
    assert refused.status_code == 429 and isinstance(refused.json(), str)
    assert "Retry-After" not in refused.headers


def test_burst_admits_that_many_at_once() -> None:
    with Sandbox(seed_demo=False, rate_limit_per_second=1.0, rate_burst=3) as sandbox:
        statuses = [_me(sandbox).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_leaky_bucket_drains_with_time() -> None:
    now = [0.0]
    bucket = LeakyBucket(rate=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.admit("t") for _ in range(3)] == [True, True, False]
    now[0] = 0.5
    assert [bucket.admit("t"), bucket.admit("t")] == [True, False]


def test_quota_headers_on_every_response_then_402_and_reset() -> None:
    with Sandbox(seed_demo=False, hourly_quota=3, quota_window_seconds=0.6) as sandbox:
        answers = [_me(sandbox) for _ in range(4)]
        missing = requests.get(f"{sandbox.url}/api/v9/nothing", auth=(sandbox.token, "x"),
                               timeout=5)
        time.sleep(0.65)
        reset = _me(sandbox)
    remaining = [a.headers["X-Toggl-Quota-Remaining"] for a in answers]
    assert [a.status_code for a in answers] == [200, 200, 200, 402]
    assert remaining == ["2", "1", "0", "0"]
    assert answers[3].json() == (
        "You have hit your hourly API quota. It resets in "
        f"{answers[3].headers['X-Toggl-Quota-Resets-In']} seconds.")
    assert missing.status_code == 402 and "X-Toggl-Quota-Resets-In" in missing.headers
    assert (reset.status_code, reset.headers["X-Toggl-Quota-Remaining"]) == (200, "2")


def test_me_quota_reports_the_window() -> None:
    with Sandbox(seed_demo=False, hourly_quota=10, quota_window_seconds=120) as sandbox:
        _me(sandbox)
        report = requests.get(f"{sandbox.url}/api/v9/me/quota", auth=(sandbox.token, "x"),
                              timeout=5).json()
    assert report[0]["total"] == 10
    assert report[0]["remaining"] == 8  # this request counts too
    assert 0 < report[0]["resets_in_secs"] <= 120


def test_rate_limited_requests_do_not_spend_quota() -> None:
    with Sandbox(seed_demo=False, rate_limit_per_second=1.0, hourly_quota=5) as sandbox:
        first, limited = _me(sandbox), _me(sandbox)
    assert limited.status_code == 429
    assert limited.headers["X-Toggl-Quota-Remaining"] == first.headers[
        "X-Toggl-Quota-Remaining"] == "4"


def test_quota_can_be_configured_at_run_time(sandbox: Sandbox) -> None:
    assert "X-Toggl-Quota-Remaining" not in _me(sandbox).headers
    sandbox.configure(hourly_quota=1)
    assert _me(sandbox).status_code == 200
    assert _me(sandbox).status_code == 402
    sandbox.configure(hourly_quota=None)
    assert _me(sandbox).status_code == 200


def test_sliding_window_frees_one_slot_at_a_time() -> None:
    now = [0.0]
    quota = HourlyQuota(total=2, window_seconds=10, clock=lambda: now[0])
    quota.admit()
    now[0] = 4.0
    quota.admit()
    now[0] = 5.0
    admitted, state = quota.admit()
    assert (admitted, state.remaining, state.resets_in) == (False, 0, 5)
    now[0] = 10.5
    admitted, state = quota.admit()
    assert (admitted, state.remaining) == (True, 0)


@pytest.mark.parametrize(
    "settings",
    [{"rate_limit_per_second": 0}, {"hourly_quota": -1}, {"fail_before": 1.5},
     {"fail_before": 0.6, "fail_after": 0.6}, {"tier": "gold"}, {"rate_burst": 0}],
)
def test_invalid_settings_are_refused(sandbox: Sandbox, settings: dict) -> None:
    with pytest.raises(ValueError):
        sandbox.configure(**settings)


def test_unknown_or_fixed_settings_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(TypeError):
        sandbox.configure(no_such_setting=1)
    with pytest.raises(ValueError):
        sandbox.configure(port=1234)
