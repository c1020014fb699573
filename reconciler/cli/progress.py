"""The apply's progress: one live line on a terminal, one line per change everywhere else.

On a terminal (stdout a TTY, TERM not `dumb`, no --verbose) a 380-change apply would scroll 380
`[k/N] ...` lines past the plan the user just read; instead one line is redrawn in place
(`\\r` + erase-line) with done/total, elapsed time, rate, ETA and the quota Toggl reported, and
every wait (a 429 backoff, the pacing Toggl's rate limit forces, an hourly-quota wait) shows on
that line as a countdown instead of silence. Pipes, logs and --verbose keep the per-change lines,
which are what a CI log needs (and --verbose's request log would tear a live line apart).

A small ticker thread redraws the line about once a second so the clock and countdowns move
while a request or a sleep is in progress; every write happens under one lock.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, TextIO

from reconciler.apply import ApplyEvent
from reconciler.cli.output import Output
from reconciler.render.text import change_headline

EventHandler = Callable[[ApplyEvent], None]

CARRIAGE_ERASE = "\r\x1b[2K"  # back to column 0, erase the whole line (VT100, every terminal)
TICK_SECONDS = 0.25  # how often the ticker looks; it redraws only when the text changed
MIN_REDRAW_SECONDS = 0.1  # events faster than this (a fast bulk PATCH) do not each redraw
DEFAULT_WIDTH = 80
MIN_RATE_SECONDS = 1.0  # before this, a rate (and so an ETA) is noise: 2 changes in 8 ms
# A retry wait this long is worth a line in a log; the pacing between requests is not.
LOGGED_WAIT_SECONDS = 1.0
_QUOTA_WAIT = "hourly quota spent, resets in {}"
_PACING_WAIT = "pacing for Toggl's rate limit, next request in {}"


def wants_live_line(stream: TextIO, env: Mapping[str, str], verbose: bool) -> bool:
    """A live line only where someone watches it: a terminal that understands `\\r` + erase."""
    if verbose:
        return False
    if env.get("TERM", "") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # a closed or exotic stream: no terminal
        return False


@contextlib.contextmanager
def apply_progress(out: Output, client: Any, fallback: EventHandler, *, total: int = 0,
                   env: Mapping[str, str] | None = None) -> Iterator[EventHandler]:
    """The on_event handler for one Executor run, and the client's waits shown while it runs.

    `fallback` is the per-change printer used when there is no terminal to draw on. `client` is
    the TogglClient whose `on_wait` hook reports backoffs and pacing; it is restored afterwards.
    """
    env = os.environ if env is None else env
    live = wants_live_line(out.stdout, env, out.verbose)
    reporter: _Reporter = LiveLine(out, total=total) if live else _LineReporter(out, fallback)
    previous_hook = getattr(client, "on_wait", None)
    client.on_wait = reporter.on_wait
    reporter.start(lambda: getattr(getattr(client, "quota", None), "remaining", None))
    finished = False
    try:
        yield reporter.on_event
        finished = True
    finally:
        client.on_wait = previous_hook
        reporter.stop(finished)


class _Reporter:
    def start(self, quota_left: Callable[[], int | None]) -> None:
        """Begin reporting; `quota_left` reads the requests Toggl says are left this hour."""

    def on_event(self, event: ApplyEvent) -> None:
        raise NotImplementedError

    def on_wait(self, seconds: float, reason: str) -> None:
        """The client is about to sleep `seconds` (reason: `pacing`, `429`, `503`, `no answer`)."""

    def stop(self, finished: bool) -> None:
        """Reporting is over (`finished`: the apply ran to its end)."""


class _LineReporter(_Reporter):
    """Pipes, logs, --verbose: the per-change printer, plus a line for each real retry wait."""

    def __init__(self, out: Output, printer: EventHandler) -> None:
        self.out = out
        self.printer = printer

    def on_event(self, event: ApplyEvent) -> None:
        self.printer(event)

    def on_wait(self, seconds: float, reason: str) -> None:
        if reason != "pacing" and seconds >= LOGGED_WAIT_SECONDS:
            self.out.info(f"Waiting {seconds:.0f} s, then retrying: {describe_reason(reason)}.")


def describe_reason(reason: str) -> str:
    if reason == "429":
        return "Toggl answered 429 (too many requests)"
    if reason == "pacing":
        return "pacing requests for Toggl's rate limit"
    if reason == "no answer":
        return "Toggl did not answer"
    return f"Toggl answered {reason}"


@dataclass
class _Wait:
    label: str  # with `{}` where the countdown goes
    until: float  # clock time


@dataclass
class _State:
    done: int = 0
    total: int = 0
    last: str = ""  # the latest change done, as its headline
    wait: _Wait | None = None
    retries: int = 0  # waits before a retry (429, 5xx, no answer)
    paced: int = 0  # requests held back for the rate limit
    quota_waits: int = 0  # --wait-for-quota waits for the hourly reset
    waited: float = 0.0  # seconds of all of them


class LiveLine(_Reporter):
    """One line redrawn in place on the terminal behind `out.stdout`."""

    def __init__(self, out: Output, *, clock: Callable[[], float] = time.monotonic,
                 width: Callable[[], int] | None = None, ticker: bool = True,
                 total: int = 0) -> None:
        self.out = out
        self.clock = clock
        self.width = width or (lambda: terminal_width(out.stdout))
        self.state = _State(total=total)
        self.started = clock()
        self.quota_left: Callable[[], int | None] = lambda: None
        self._lock = threading.Lock()
        self._shown = ""  # the text on screen now ("" when the line is blank)
        self._drawn_at = float("-inf")
        self._use_ticker = ticker
        self._stopping = threading.Event()
        self._ticker: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self, quota_left: Callable[[], int | None]) -> None:
        self.quota_left = quota_left
        self.started = self.clock()
        if self._use_ticker:
            self._ticker = threading.Thread(target=self._tick, name="progress-line", daemon=True)
            self._ticker.start()
        self.redraw(force=True)

    def stop(self, finished: bool) -> None:
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2.0)
        with self._lock:
            self.state.wait = None
            self._replace_line(self.final_line(finished) + "\n")

    def _tick(self) -> None:
        while not self._stopping.wait(TICK_SECONDS):
            self.redraw(force=False)

    # ------------------------------------------------------------------ input

    def on_event(self, event: ApplyEvent) -> None:
        with self._lock:
            self.state.done, self.state.total = event.done, event.total
            if event.kind == "done" and event.change is not None:
                self.state.last = change_headline(event.change.to_json(), done=True)
                self.state.wait = None
            elif event.kind == "wait":
                if self.state.wait is None or self.state.wait.label != _QUOTA_WAIT:
                    self.state.quota_waits += 1  # later events of this wait only update its clock
                    self.state.waited += event.seconds_left
                self.state.wait = _Wait(_QUOTA_WAIT, self.clock() + event.seconds_left)
            else:  # a note (an adopted object, a retried bulk call): keep it on screen
                self._replace_line(f"Note: {event.message}\n")
                self._drawn_at = float("-inf")
        self.redraw(force=event.kind != "done" or event.done == event.total)

    def on_wait(self, seconds: float, reason: str) -> None:
        with self._lock:
            label = _PACING_WAIT if reason == "pacing" else f"{_short_reason(reason)}, retrying in {{}}"
            if reason == "pacing":
                self.state.paced += 1
            else:
                self.state.retries += 1
            self.state.waited += seconds
            self.state.wait = _Wait(label, self.clock() + seconds)
        self.redraw(force=True)

    # ------------------------------------------------------------------ drawing

    def redraw(self, *, force: bool) -> None:
        with self._lock:
            now = self.clock()
            if not force and now - self._drawn_at < MIN_REDRAW_SECONDS:
                return
            text = self.fit(self.status_line(now))
            if text != self._shown:
                self._replace_line(text)
                self._drawn_at = now

    def status_line(self, now: float) -> str:
        state = self.state
        elapsed = max(0.0, now - self.started)
        parts = [f"Applying {state.done}/{state.total}", f"{format_duration(elapsed)} elapsed"]
        if state.done and elapsed >= MIN_RATE_SECONDS:
            rate = state.done / elapsed
            parts.append(f"{rate:.1f}/s")
            if state.done < state.total:
                eta = (state.total - state.done) / rate
                if state.wait is not None:  # nothing moves before the wait is over
                    eta = max(eta, state.wait.until - now)
                parts.append(f"ETA {format_duration(eta)}")
        quota = self.quota_left()
        if quota is not None:
            parts.append(f"quota {quota} left")
        return ", ".join(parts) + (f" | {tail}" if (tail := self._tail(now)) else "")

    def _tail(self, now: float) -> str:
        """What is happening: the wait under way, with its countdown, else the last change."""
        wait = self.state.wait
        if wait is not None and wait.until > now:
            return wait.label.format(format_duration(wait.until - now, countdown=True))
        return self.state.last

    def final_line(self, finished: bool) -> str:
        state = self.state
        elapsed = max(0.0, self.clock() - self.started)
        verb = "Applied" if finished else "Stopped after"
        text = f"{verb} {state.done} of {state.total} changes in {format_duration(elapsed)}"
        if state.done and elapsed >= MIN_RATE_SECONDS:
            text += f" ({state.done / elapsed:.1f}/s)"
        counts = [_count(state.retries, "retry", "retries"),
                  _count(state.paced, "paced request", "paced requests"),
                  _count(state.quota_waits, "hourly quota wait", "hourly quota waits")]
        counts = [count for count in counts if count]
        if counts:
            text += (f"; waited {format_duration(state.waited, countdown=True)} for Toggl "
                     f"({', '.join(counts)})")
        return text + "."

    def fit(self, text: str) -> str:
        # A line longer than the terminal wraps, and `\r` then redraws only its last row.
        room = max(10, self.width() - 1)
        return text if len(text) <= room else text[: room - 3] + "..."

    def _replace_line(self, text: str) -> None:
        """Erase what is shown and write `text` (a trailing newline makes it permanent)."""
        body, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
        self.out.stdout.write(CARRIAGE_ERASE + self.out.scrub(_inert(body)) + newline)
        self.out.stdout.flush()
        self._shown = "" if text.endswith("\n") else text


def _count(number: int, singular: str, plural: str) -> str:
    return "" if number == 0 else f"{number} {singular if number == 1 else plural}"


def _inert(text: str) -> str:
    """Control characters as visible escapes: a name must not move the cursor or clear the line."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text)


def _short_reason(reason: str) -> str:
    if reason == "429":
        return "rate limited (429)"
    if reason == "no answer":
        return "no answer"
    return f"Toggl answered {reason}"


def format_duration(value: float, *, countdown: bool = False) -> str:
    """`0:07`, `1:02`, `1:02:03`; a countdown under a minute reads `3 s` (rounded up)."""
    value = max(0.0, value)
    if countdown and value < 60:
        return f"{math.ceil(value)} s"
    hours, rest = divmod(int(value), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_WIDTH
    except (AttributeError, ValueError, OSError):
        return DEFAULT_WIDTH
