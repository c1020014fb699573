"""Toggl's two request budgets: a leaky bucket per credential (429) and the hourly quota per
organization over a sliding window (402 with X-Toggl-Quota-* headers)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

RATE_LIMIT_MESSAGE = "Too Many Requests"  # our wording; Toggl sends no Retry-After (documented)


def quota_message(resets_in: int) -> str:
    return f"You have hit your hourly API quota. It resets in {resets_in} seconds."


class LeakyBucket:
    """Per-credential buckets of `burst` requests draining at `rate` requests per second."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._levels: dict[str, tuple[float, float]] = {}  # credential -> (level, when)
        self._lock = threading.Lock()

    def admit(self, credential: str) -> bool:
        """True and one more request in the bucket, or False when it would overflow."""
        with self._lock:
            now = self.clock()
            level, when = self._levels.get(credential, (0.0, now))
            level = max(0.0, level - (now - when) * self.rate)
            if level + 1.0 > self.burst + 1e-9:
                self._levels[credential] = (level, now)
                return False
            self._levels[credential] = (level + 1.0, now)
            return True


@dataclass(frozen=True)
class QuotaState:
    remaining: int
    resets_in: int
    total: int


class HourlyQuota:
    """A sliding window of admitted requests (one organization: the sandbox has one)."""

    def __init__(
        self, total: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total = total
        self.window = window_seconds
        self.clock = clock
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> tuple[bool, QuotaState]:
        """Counts the request if the window has room; the state is as of after it."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            admitted = len(self._admitted) < self.total
            if admitted:
                self._admitted.append(now)
            return admitted, self._state(now)

    def state(self) -> QuotaState:
        with self._lock:
            now = self.clock()
            self._expire(now)
            return self._state(now)

    def _expire(self, now: float) -> None:
        while self._admitted and self._admitted[0] <= now - self.window:
            self._admitted.popleft()

    def _state(self, now: float) -> QuotaState:
        # Resets-in: when the oldest counted request leaves the window, freeing a slot.
        resets_in = self._admitted[0] + self.window - now if self._admitted else 0.0
        return QuotaState(
            remaining=self.total - len(self._admitted),
            resets_in=max(0, math.ceil(resets_in)),
            total=self.total,
        )
