"""Rate limit (429) and hourly quota (402 + headers, sliding window) over HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from reconciler.sandbox import Sandbox
from reconciler.sandbox.limits import HourlyQuota, LeakyBucket


def _read(sandbox: Sandbox, token: str | None = None) -> requests.Response:
    """A workspace-scoped read: it spends the organization's quota (a `/me` call would spend
    the separate user quota)."""
    wid = sandbox.store.ensure_workspace("Limits")
    return requests.get(f"{sandbox.url}/api/v9/workspaces/{wid}",
                        auth=(token or sandbox.token, "api_token"), timeout=5)


def _me(sandbox: Sandbox, path: str = "/me") -> requests.Response:
    return requests.get(f"{sandbox.url}/api/v9{path}", auth=(sandbox.token, "api_token"),
                        timeout=5)


def test_one_request_per_second_then_429_without_retry_after() -> None:
    with Sandbox(seed_demo=False, rate_limit_per_second=1.0) as sandbox:
        statuses = [_read(sandbox).status_code for _ in range(3)]
        other_token = _read(sandbox, token="another-token").status_code
        time.sleep(1.05)
        after_a_second = _read(sandbox).status_code
        refused = _read(sandbox)
    assert statuses == [200, 429, 429]
    assert other_token == 200  # buckets are per credential
    assert after_a_second == 200
    assert refused.status_code == 429 and isinstance(refused.json(), str)
    assert "Retry-After" not in refused.headers


def test_burst_admits_that_many_at_once() -> None:
    with Sandbox(seed_demo=False, rate_limit_per_second=1.0, rate_burst=3) as sandbox:
        statuses = [_read(sandbox).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_leaky_bucket_drains_with_time() -> None:
    now = [0.0]
    bucket = LeakyBucket(rate=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.admit("t") for _ in range(3)] == [True, True, False]
    now[0] = 0.5
    assert [bucket.admit("t"), bucket.admit("t")] == [True, False]


def test_quota_headers_on_every_response_then_402_and_reset() -> None:
    with Sandbox(seed_demo=False, hourly_quota=3, quota_window_seconds=0.6) as sandbox:
        answers = [_read(sandbox) for _ in range(4)]
        missing = requests.get(f"{sandbox.url}/api/v9/nothing", auth=(sandbox.token, "x"),
                               timeout=5)
        time.sleep(0.65)
        reset = _read(sandbox)
    remaining = [a.headers["X-Toggl-Quota-Remaining"] for a in answers]
    assert [a.status_code for a in answers] == [200, 200, 200, 402]
    assert remaining == ["2", "1", "0", "0"]
    assert answers[3].json() == (
        "You have hit your hourly API quota. It resets in "
        f"{answers[3].headers['X-Toggl-Quota-Resets-In']} seconds.")
    assert missing.status_code == 402 and "X-Toggl-Quota-Resets-In" in missing.headers
    assert (reset.status_code, reset.headers["X-Toggl-Quota-Remaining"]) == (200, "2")


def test_me_quota_reports_the_window() -> None:
    with Sandbox(seed_demo=False, hourly_quota=10, user_hourly_quota=30, quota_window_seconds=120) as sandbox:
        _read(sandbox)
        report = requests.get(f"{sandbox.url}/api/v9/me/quota", auth=(sandbox.token, "x"),
                              timeout=5).json()
    assert report[0]["total"] == 10
    # /me/quota itself spends the separate user quota, not the organization's.
    assert report[0]["remaining"] == 9
    assert 0 < report[0]["resets_in_secs"] <= 120


def test_rate_limited_requests_do_not_spend_quota() -> None:
    with Sandbox(seed_demo=False, rate_limit_per_second=1.0, hourly_quota=5) as sandbox:
        first, limited = _read(sandbox), _read(sandbox)
    assert limited.status_code == 429
    assert limited.headers["X-Toggl-Quota-Remaining"] == first.headers[
        "X-Toggl-Quota-Remaining"] == "4"


def test_quota_can_be_configured_at_run_time(sandbox: Sandbox) -> None:
    assert "X-Toggl-Quota-Remaining" not in _read(sandbox).headers
    sandbox.configure(hourly_quota=1)
    assert _read(sandbox).status_code == 200
    assert _read(sandbox).status_code == 402
    sandbox.configure(hourly_quota=None)
    assert _read(sandbox).status_code == 200


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


def test_user_calls_have_their_own_quota_of_30_on_every_plan() -> None:
    with Sandbox(seed_demo=False, tier="premium", hourly_quota=600, user_hourly_quota=30) as sandbox:
        answers = [_me(sandbox, path) for path in ("/me", "/me/workspaces") * 15]
        refused = _me(sandbox, "/me/organizations")
        workspace_read = _read(sandbox)
    assert all(answer.status_code == 200 for answer in answers)
    # /me answers report the organization's quota, which they do not spend.
    assert {a.headers["X-Toggl-Quota-Remaining"] for a in answers} == {"600"}
    assert refused.status_code == 402 and "hourly API quota" in refused.json()
    assert refused.headers["X-Toggl-Quota-Remaining"] == "0"
    assert int(refused.headers["X-Toggl-Quota-Resets-In"]) > 0
    # The organization's quota is separate: 30 user calls did not spend it.
    assert (workspace_read.status_code, workspace_read.headers["X-Toggl-Quota-Remaining"]) \
        == (200, "599")


def test_user_quota_can_be_turned_off_then_me_calls_spend_the_organization_quota() -> None:
    with Sandbox(seed_demo=False, user_hourly_quota=None, hourly_quota=2) as sandbox:
        statuses = [_me(sandbox).status_code for _ in range(3)]
    assert statuses == [200, 200, 402]


def test_user_quota_window_slides() -> None:
    with Sandbox(seed_demo=False, user_hourly_quota=2, quota_window_seconds=0.4) as sandbox:
        statuses = [_me(sandbox).status_code for _ in range(3)]
        time.sleep(0.45)
        statuses.append(_me(sandbox).status_code)
    assert statuses == [200, 200, 402, 200]


@pytest.mark.parametrize(
    "settings",
    [{"rate_limit_per_second": 0}, {"user_hourly_quota": 0},
     {"maton_rate_limit_per_second": -1}, {"maton_rate_burst": 0},
     {"default_te_deletion_mode": "keep"}, {"project_name_filter": "regex"}, {"hourly_quota": -1}, {"fail_before": 1.5},
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


def test_the_user_quota_is_off_by_default_like_the_hourly_quota() -> None:
    # A client library's test suite calls /me far more than 30 times an hour; `--user-quota 30`
    # models Toggl exactly when that is what a test wants.
    with Sandbox(seed_demo=False) as sandbox:
        answers = [_me(sandbox, "/me") for _ in range(35)]
    assert all(answer.status_code == 200 for answer in answers)
