"""The server's clock, from its answers: `Date` headers and `at` stamps, never the local clock."""

from __future__ import annotations

import time

from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.server_clock import SINCE_MARGIN_SECONDS, ServerClock, http_date, iso_time
from reconciler.toggl import TogglClient, transport_from_env


def test_the_clock_follows_the_date_header_of_every_answer() -> None:
    with Sandbox(SandboxConfig(seed_demo=False)) as sandbox:
        env = {"TOGGL_API_TOKEN": sandbox.token, "TOGGL_API_URL": sandbox.url}
        with TogglClient(transport_from_env(env)) as client:
            clock = ServerClock(client)
            assert clock.since() is None  # nothing seen yet: callers fall back to a full read
            client.list_workspaces()
            assert clock.latest is not None
            assert abs(clock.latest - time.time()) < 5  # the sandbox runs on this machine
            assert clock.since() == int(clock.latest) - SINCE_MARGIN_SECONDS


def test_stamps_only_move_the_clock_forward_and_garbage_is_ignored() -> None:
    clock = ServerClock()
    clock.saw_stamps(["2026-01-01T00:00:10+00:00", None, "not a time", "2026-01-01T00:00:05Z"])
    assert clock.latest == iso_time("2026-01-01T00:00:10+00:00")
    clock.saw_headers({"Date": "Thu, 01 Jan 2026 00:01:00 GMT"})
    assert clock.latest == http_date("Thu, 01 Jan 2026 00:01:00 GMT") == clock.latest
    clock.saw_headers({"Date": "yesterday"})
    clock.saw_headers({})
    assert clock.since() == int(iso_time("2026-01-01T00:01:00Z") or 0) - SINCE_MARGIN_SECONDS
