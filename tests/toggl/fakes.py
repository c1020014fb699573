"""Constants and fakes shared by the client tests (imported relatively, never via conftest)."""

from __future__ import annotations

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
