"""The server's clock as seen from its answers: for cheap `since=` read-backs during an apply.

An ambiguous write (a 5xx after sending, a dropped connection) is settled by asking Toggl what
changed since just before it was sent. "Just before" must be the server's time, never this
machine's (a wrong local clock would hide the very object being looked for), so it is taken
from the `Date` header of the last answer (the server's clock, whole seconds) and from the `at`
stamps the server puts on objects, whichever is later, less a margin. Any write the server
commits after that answer carries a later `at`, so a `since=` listing from that point contains it.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Iterable, Mapping

from reconciler.toggl import TogglClient

# `Date` and `at` have one-second resolution, whether `since` is inclusive is undocumented, and
# through a gateway (Maton) `Date` is the gateway's clock, not Toggl's: 30 s covers a skew far
# beyond NTP's while keeping the read-back small (Toggl admits about one request a second, so an
# apply writes at most ~30 objects in that window: one page).
SINCE_MARGIN_SECONDS = 30


class ServerClock:
    """The latest server time seen; `since()` is the `since=` that covers every later write."""

    def __init__(self, client: TogglClient | None = None) -> None:
        self.latest: float | None = None
        if client is not None:
            client.observe_responses(self.saw_headers)

    def saw_headers(self, headers: Mapping[str, str]) -> None:
        self._advance(http_date(headers.get("Date")))

    def saw_stamps(self, stamps: Iterable[str | None]) -> None:
        for stamp in stamps:
            self._advance(iso_time(stamp))

    def since(self) -> int | None:
        """A unix time no later than any write the server commits from now on; None if unknown."""
        if self.latest is None:
            return None
        return max(0, int(self.latest) - SINCE_MARGIN_SECONDS)

    def _advance(self, moment: float | None) -> None:
        if moment is not None and (self.latest is None or moment > self.latest):
            self.latest = moment


def http_date(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def iso_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        return None
