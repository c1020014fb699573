"""The progress renderer on its own: what the live line says, when it is used, and the per-change
fallback. A fake clock and a fake terminal keep these exact and instant; the pseudo-terminal
run through the real CLI is tests/e2e/test_progress.py."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.apply import ApplyEvent
from reconciler.cli.output import Output
from reconciler.cli.progress import (
    CARRIAGE_ERASE,
    LiveLine,
    apply_progress,
    format_duration,
    wants_live_line,
)
from reconciler.engine.plan import Action, Change


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Quota:
    remaining: int | None = None


@dataclass
class FakeClient:
    quota: Quota = field(default_factory=Quota)
    on_wait: Any = None


def tag(name: str) -> Change:
    return Change(action=Action.CREATE, kind="tag", address=name, name=name)


def done(k: int, total: int, name: str) -> ApplyEvent:
    return ApplyEvent("done", k, total, name, tag(name))


def live_line(width: int = 200) -> tuple[LiveLine, Terminal, Clock]:
    terminal, clock = Terminal(), Clock()
    line = LiveLine(Output(stdout=terminal, stderr=io.StringIO()), clock=clock,
                    width=lambda: width, ticker=False, total=4)
    return line, terminal, clock


def frames(terminal: Terminal) -> list[str]:
    return [frame for frame in terminal.getvalue().split(CARRIAGE_ERASE) if frame]


def test_the_line_shows_done_total_elapsed_rate_eta_quota_and_the_last_change() -> None:
    line, terminal, clock = live_line()
    line.start(lambda: 612)
    clock.now += 2.0
    line.on_event(done(1, 4, "a"))
    clock.now += 2.0
    line.on_event(done(2, 4, "b"))
    assert frames(terminal)[-1] == \
        'Applying 2/4, 0:04 elapsed, 0.5/s, ETA 0:04, quota 612 left | + tag "b" created'


def test_a_retry_wait_counts_down_on_the_line_then_gives_way() -> None:
    line, terminal, clock = live_line()
    line.start(lambda: None)
    line.on_wait(3.2, "429")
    assert frames(terminal)[-1].endswith("| rate limited (429), retrying in 4 s")
    clock.now += 1.5
    line.redraw(force=False)
    assert frames(terminal)[-1].endswith("retrying in 2 s")
    clock.now += 2.0  # the wait is over: the line no longer claims one
    line.redraw(force=False)
    assert "retrying" not in frames(terminal)[-1]


def test_an_hourly_quota_wait_counts_down_in_minutes() -> None:
    line, terminal, clock = live_line()
    line.start(lambda: 0)
    line.on_event(ApplyEvent("wait", 1, 4, "waiting", seconds_left=125.0))
    assert frames(terminal)[-1].endswith("quota 0 left | hourly quota spent, resets in 2:05")
    clock.now += 10
    line.on_event(ApplyEvent("wait", 1, 4, "waiting", seconds_left=115.0))
    line.stop(finished=True)
    assert frames(terminal)[-1].startswith("Applied 1 of 4 changes in 0:10")
    assert frames(terminal)[-1].endswith("(1 hourly quota wait).\n")  # one wait, announced twice


def test_a_note_is_kept_above_the_line_and_a_failure_freezes_where_it_stopped() -> None:
    line, terminal, clock = live_line()
    line.start(lambda: None)
    line.on_event(done(1, 4, "a"))
    line.on_event(ApplyEvent("note", 1, 4, "adopted tag 'b' that already existed"))
    clock.now += 1
    line.redraw(force=True)
    line.stop(finished=False)
    text = terminal.getvalue()
    assert f"{CARRIAGE_ERASE}Note: adopted tag 'b' that already existed\n" in text
    assert text.endswith(f"{CARRIAGE_ERASE}Stopped after 1 of 4 changes in 0:01 (1.0/s).\n")


def test_the_line_never_outgrows_the_terminal() -> None:
    line, terminal, _ = live_line(width=40)
    line.start(lambda: 12345)
    line.on_event(done(1, 4, "a very long tag name that would wrap the line " * 3))
    assert all(len(frame) <= 39 for frame in frames(terminal) if not frame.endswith("\n"))
    assert frames(terminal)[-1].endswith("...")


def test_a_secret_in_a_name_never_reaches_the_terminal() -> None:
    terminal = Terminal()
    out = Output(stdout=terminal, stderr=io.StringIO(), secrets=("s3cr3t-token-value",))
    line = LiveLine(out, ticker=False, width=lambda: 200, total=1)
    line.start(lambda: None)
    line.on_event(done(1, 1, "s3cr3t-token-value"))
    line.stop(finished=True)
    assert "s3cr3t-token-value" not in terminal.getvalue()


@pytest.mark.parametrize("tty, term, verbose, expected", [
    (True, "xterm", False, True), (True, "dumb", False, False), (True, "xterm", True, False),
    (False, "xterm", False, False), (True, "", False, True),
])
def test_a_live_line_only_on_a_terminal_that_can_redraw(tty: bool, term: str, verbose: bool,
                                                        expected: bool) -> None:
    stream = Terminal() if tty else io.StringIO()
    assert wants_live_line(stream, {"TERM": term}, verbose) is expected


def test_a_pipe_gets_the_fallback_printer_and_a_line_per_real_retry_wait() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(stdout=stdout, stderr=stderr)
    client = FakeClient()
    seen: list[ApplyEvent] = []
    with apply_progress(out, client, fallback=seen.append, total=1, env={}) as on_event:
        assert client.on_wait is not None
        client.on_wait(2.0, "429")
        client.on_wait(1.5, "pacing")  # every paced request would flood a log: not shown
        client.on_wait(0.2, "503")  # too short to matter
        on_event(done(1, 1, "a"))
    assert client.on_wait is None  # the hook is given back
    assert [event.kind for event in seen] == ["done"]
    assert stderr.getvalue() == \
        "Waiting 2 s, then retrying: Toggl answered 429 (too many requests).\n"
    assert stdout.getvalue() == ""


def test_the_hook_is_given_back_when_the_apply_fails() -> None:
    terminal = Terminal()
    client = FakeClient()
    with pytest.raises(RuntimeError):
        with apply_progress(Output(stdout=terminal, stderr=io.StringIO()), client,
                            fallback=lambda event: None, total=3, env={"TERM": "xterm"}):
            raise RuntimeError("boom")
    assert client.on_wait is None
    assert terminal.getvalue().endswith("Stopped after 0 of 3 changes in 0:00.\n")


@pytest.mark.parametrize("seconds, countdown, text", [
    (0, False, "0:00"), (61.9, False, "1:01"), (3723, False, "1:02:03"),
    (0.2, True, "1 s"), (59.1, True, "60 s"), (75, True, "1:15"),
])
def test_durations_read_as_clocks_and_short_countdowns_in_seconds(seconds: float, countdown: bool,
                                                                   text: str) -> None:
    assert format_duration(seconds, countdown=countdown) == text


def test_control_characters_in_a_name_cannot_drive_the_terminal() -> None:
    line, terminal, _ = live_line()
    line.start(lambda: None)
    line.on_event(done(1, 4, "\x1b[2J\x1b]0;owned\x07\rX"))
    line.stop(finished=False)
    shown = terminal.getvalue().replace(CARRIAGE_ERASE, "")
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown


def test_the_final_line_counts_each_kind_of_wait() -> None:
    line, terminal, clock = live_line()
    line.start(lambda: None)
    line.on_wait(0.5, "429")
    line.on_wait(1.0, "pacing")
    line.on_wait(1.0, "pacing")
    line.on_wait(2.0, "no answer")
    clock.now += 5
    line.on_event(done(4, 4, "d"))
    line.stop(finished=True)
    assert frames(terminal)[-1] == \
        "Applied 4 of 4 changes in 0:05 (0.8/s); waited 5 s for Toggl (2 retries, 2 paced requests).\n"
