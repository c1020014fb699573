"""Pacing to the server's rate: a client-side token bucket, so that an apply meets no 429.

Toggl's leaky bucket allows about one request per second per token (API-NOTES.md, documented;
no Retry-After); the Maton gateway adds its own 10 requests/s per account, so through Maton the
pace is the smaller of the two. A root the user chose (TOGGL_API_URL, --api-url: a sandbox, a
proxy) has no known rate, so it is not paced until it says 429, unless a rate is given
(`--rate`, TOGGL_RECONCILER_RATE). The bucket is a GCRA (a token bucket written as "the time
the next request may leave"), one request deep like Toggl's, sending a few percent slower than
the server drains: the server measures arrivals, not departures, and a request that arrives a
millisecond early is refused.
"""

from __future__ import annotations

import math
from typing import Callable

from reconciler.toggl.transport import DIRECT_ROOT, MATON_ROOT, Transport

TOGGL_RATE = 1.0  # requests per second per token (Toggl's documented leaky bucket)
MATON_RATE = 10.0  # requests per second per Maton account (the gateway's documented limit)
RATE_ENV = "TOGGL_RECONCILER_RATE"


def server_rate(transport: Transport, chosen: float | None = None) -> float | None:
    """Requests per second to keep to on this route; None: unknown (pace only after a 429).

    `chosen` (a flag or variable) replaces the rate of Toggl or of a user-chosen root; 0 or a
    negative number turns pacing off. Through Maton the gateway's limit always caps it.
    """
    if chosen is not None:
        if not math.isfinite(chosen) or chosen <= 0:
            return None
        rate: float | None = chosen
    elif transport.root in (DIRECT_ROOT, MATON_ROOT):
        rate = TOGGL_RATE
    else:
        rate = None
    if transport.kind == "maton":
        rate = MATON_RATE if rate is None else min(rate, MATON_RATE)
    return rate


def parse_rate(text: str | None) -> float | None:
    """A rate as written in the environment or a flag: a number, or `off`; None if unusable."""
    if text is None or not text.strip():
        return None
    if text.strip().lower() in ("off", "none", "0"):
        return 0.0
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


class Pacer:
    """A token bucket at the server's rate, and what a 429 teaches when it is unknown or off.

    With a known rate, requests leave at most `rate` per second (less the margin), with a bucket
    of `burst`. A 429 means the server's bucket is full now (another process, a previous run):
    the next request waits one interval; a second 429 within RELAX_EVERY successes slows the
    pace x1.5 (cap: one request per 10 s), and each RELAX_EVERY successes in a row give back x0.9,
    never faster than the known rate. Without a known rate the first 429 starts pacing at
    Toggl's 1 request/s, and relaxing ends pacing once the interval is negligible.
    """

    MARGIN = 0.025  # send this share slower than the server drains: arrival jitter
    SLACK = 0.002  # and this many seconds more per request (a loopback server's jitter)
    START, GROWTH, CAP = 1.0 / TOGGL_RATE, 1.5, 10.0
    RELAX_EVERY, RELAX_FACTOR, FLOOR = 10, 0.9, 0.05

    def __init__(self, sleep: Callable[[float], None], clock: Callable[[], float],
                 rate: float | None = None, burst: int = 1) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.nominal = self.interval_for(rate) if rate else 0.0
        self.interval = self.nominal
        self._sleep, self._clock = sleep, clock
        self._next: float | None = None  # when the next request may leave (GCRA's TAT)
        self._successes = self.RELAX_EVERY  # since the last 429
        self._fastest: float | None = None  # the shortest send-to-answer time seen

    @classmethod
    def interval_for(cls, rate: float) -> float:
        return (1.0 + cls.MARGIN) / rate + cls.SLACK

    def delay(self) -> float:
        """Seconds until the bucket lets the next request leave (0: now)."""
        if self.interval <= 0 or self._next is None:
            return 0.0
        return max(0.0, self._next - (self.burst - 1) * self.interval - self._clock())

    def wait(self) -> float:
        """Sleep until the bucket lets the next request leave; the seconds slept."""
        delay = self.delay()
        if delay > 0:
            self._sleep(delay)
        return delay

    def mark_sent(self) -> None:
        now = self._clock()
        self._next = max(self._next if self._next is not None else now, now) + self.interval

    def mark_answered(self, sent_at: float) -> None:
        """The answer to a request sent at `sent_at` began to arrive.

        The server counted the request somewhere between sending and answering. The fastest
        round trip seen is the usual delay around that moment; a request slower than that
        (a new connection, a busy network) is taken to have reached the server late by the
        difference, so the next one leaves that much later and never arrives too close.
        """
        took = max(0.0, self._clock() - sent_at)
        # The first answer has nothing to compare with (and opened the connection): it is
        # taken to have been counted as it was answered, which costs one round trip per run.
        late = took if self._fastest is None else max(0.0, took - self._fastest)
        self._fastest = took if self._fastest is None else min(self._fastest, took)
        if self.interval > 0 and self._next is not None:
            self._next = max(self._next, sent_at + late + self.interval)

    def on_rate_limited(self) -> None:
        """A 429: the server's bucket is full now; slow down if it happens again soon."""
        repeated = self._successes < self.RELAX_EVERY
        self._successes = 0
        if self.interval <= 0:
            self.interval = self.START
        elif repeated or not self.nominal:
            self.interval = min(max(self.CAP, self.nominal), self.interval * self.GROWTH)
        # Full now: one interval from this answer before anything else leaves.
        self._next = self._clock() + self.burst * self.interval

    def on_success(self) -> None:
        self._successes += 1
        if self.interval <= self.nominal or self._successes % self.RELAX_EVERY:
            return
        relaxed = max(self.nominal, self.interval * self.RELAX_FACTOR)
        self.interval = relaxed if relaxed >= self.FLOOR or self.nominal else 0.0
