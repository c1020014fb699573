"""What the client trusts of a server: nothing it has not bounded.

Three guards sit between `requests` and the client:
- a total deadline per attempt: `requests`' timeout is per socket read, so a server that trickles
  one byte every few seconds would be waited on forever. A watchdog shuts the attempt's socket
  down when the deadline passes, whatever phase (headers or body) the attempt is in;
- a bound on the decoded size of one answer: bodies are read raw and inflated here, chunk by
  chunk with zlib's `max_length`, so a 200 KB gzip bomb costs a few MB of memory, never 200 MB;
- redirects are never followed by `requests` (the client decides, see client.py).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import zlib
from typing import Any, Callable, Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# Toggl's largest page (200 projects) is well under 1 MB, and the unpaginated lists (clients,
# tags) of a big workspace are a few MB. 16 MiB is far above any real answer and small enough
# that a hostile one cannot exhaust memory.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
# Of an error answer only the message matters: the rest is skipped, never an error itself.
MAX_ERROR_BODY_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024  # raw bytes per socket read
_PIECE = 1024 * 1024  # at most this much inflated output per zlib call
_ACCEPTED_CODINGS = "gzip, deflate"  # what we can inflate ourselves; never br or zstd


class AnswerTooLarge(Exception):
    """The decoded body passed its bound; `limit` is that bound in bytes."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit
        self.declared = declared


class BodyCutShort(Exception):
    """The connection ended (or broke) before the whole body arrived."""

    def __init__(self, received: int, reason: str) -> None:
        super().__init__(reason)
        self.received = received
        self.reason = reason


class DeadlinePassed(Exception):
    """The attempt's total deadline passed before the whole answer arrived."""


class BadEncoding(Exception):
    """A Content-Encoding we did not ask for, or a body that does not inflate."""


# ---------------------------------------------------------------- the deadline watchdog

_active = threading.local()


class Watch:
    """One attempt's deadline: when it passes, every connection the attempt used is shut down,
    which wakes a blocked read with an error or an end of file."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline_at = time.monotonic() + seconds
        self.expired = threading.Event()
        self.cancelled = False
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    def track(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
        if self.expired.is_set():
            self._shut(connection)

    def expire(self) -> None:
        self.expired.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            self._shut(connection)

    @staticmethod
    def _shut(connection: Any) -> None:
        sock = getattr(connection, "sock", None)
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread for every Watch of the process (a thread per attempt, as with
    threading.Timer, costs ~0.4 ms per request). Finished watches are dropped lazily."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None

    def add(self, watch: Watch) -> None:
        with self._wake:
            if self._cancelled > 256 and self._cancelled * 2 > len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled = 0
            heapq.heappush(self._heap, (watch.deadline_at, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():  # first use, or after a fork
                self._thread = threading.Thread(target=self._run, name="toggl-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0][2] is watch:
                self._wake.notify()

    def cancel(self, watch: Watch) -> None:
        with self._wake:
            if not watch.cancelled:
                watch.cancelled = True
                self._cancelled += 1

    def _run(self) -> None:
        while True:
            due: list[Watch] = []
            with self._wake:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].cancelled or self._heap[0][0] <= now):
                    _, _, watch = heapq.heappop(self._heap)
                    if watch.cancelled:
                        self._cancelled = max(0, self._cancelled - 1)
                    else:
                        due.append(watch)
                if not due:
                    self._wake.wait(self._heap[0][0] - now if self._heap else None)
            for watch in due:
                watch.expire()


_WATCHDOG = _Watchdog()


@contextlib.contextmanager
def watching(seconds: float) -> Iterator[Watch]:
    """Run one attempt under a deadline of `seconds` (only on sessions from `new_session`)."""
    watch = Watch(seconds)
    previous = getattr(_active, "watch", None)
    _active.watch = watch
    _WATCHDOG.add(watch)
    try:
        yield watch
    finally:
        _WATCHDOG.cancel(watch)
        _active.watch = previous


def _track(connection: Any) -> None:
    watch: Watch | None = getattr(_active, "watch", None)
    if watch is not None:
        watch.track(connection)


class _WatchedHTTPPool(HTTPConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _track(conn)
        return super()._make_request(conn, *args, **kwargs)


class _WatchedHTTPSPool(HTTPSConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _track(conn)
        return super()._make_request(conn, *args, **kwargs)


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose pooled connections the current attempt's Watch can shut down."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = True  # proxies from the environment still work (without the watchdog)
    for prefix in ("http://", "https://"):
        session.mount(prefix, _WatchedAdapter())
    return session


def accept_encoding() -> str:
    return _ACCEPTED_CODINGS


# ---------------------------------------------------------------- bounded, streamed decoding


class _Inflater:
    """gzip or deflate (zlib-wrapped or raw), inflated in bounded pieces."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._first = True
        self._decoder = self._new()

    def _new(self) -> Any:
        # 16 + MAX_WBITS: gzip only; 32 + MAX_WBITS: zlib or gzip header, auto-detected.
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self.coding == "gzip" else 32 + zlib.MAX_WBITS)

    def feed(self, data: bytes, room: Callable[[], int], sink: Callable[[bytes], None]) -> None:
        while True:
            try:
                piece = self._decoder.decompress(data, min(_PIECE, room()))
            except zlib.error as error:
                if not (self.coding == "deflate" and self._first):
                    raise BadEncoding(f"the {self.coding} body does not inflate ({error})") from None
                # Some servers send raw deflate without the zlib header: retry that way once.
                self._decoder, self._first = zlib.decompressobj(-zlib.MAX_WBITS), False
                continue
            self._first = False
            sink(piece)
            data = self._decoder.unconsumed_tail
            if self._decoder.eof and self._decoder.unused_data and self.coding == "gzip":
                data, self._decoder = self._decoder.unused_data, self._new()  # a further gzip member
                continue
            if not data and len(piece) < min(_PIECE, room()):
                return


def _codings(headers: Any) -> list[str]:
    value = str(headers.get("Content-Encoding", "") or "")
    return [part.strip().lower() for part in value.split(",") if part.strip() and part.strip().lower() != "identity"]


def read_body(
    response: requests.Response,
    *,
    limit: int,
    watch: Watch | None,
    deadline_at: float,
    clock: Callable[[], float] = time.monotonic,
    truncate: bool = False,
) -> bytes:
    """The decoded body, at most `limit` bytes: past it, AnswerTooLarge (or, with `truncate`,
    the first `limit` bytes). Connection failures mid-body raise BodyCutShort; a passed deadline
    raises DeadlinePassed."""
    codings = _codings(response.headers)
    if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
        raise BadEncoding(f"unsupported Content-Encoding {', '.join(codings)!r} (asked for {_ACCEPTED_CODINGS})")
    declared = _declared_length(response)
    if not codings and declared is not None and declared > limit and not truncate:
        raise AnswerTooLarge(limit, declared)
    inflater = _Inflater("gzip" if codings and codings[0] == "x-gzip" else codings[0]) if codings else None
    body = bytearray()
    received = 0

    def room() -> int:
        return max(1, limit + 1 - len(body))

    def sink(piece: bytes) -> None:
        body.extend(piece)
        if len(body) > limit:
            raise AnswerTooLarge(limit)

    try:
        while True:
            if (watch is not None and watch.expired.is_set()) or clock() > deadline_at:
                raise DeadlinePassed
            try:
                chunk = _read_some(response, watch)
            except BodyCutShort as cut:
                raise BodyCutShort(received, cut.reason) from cut.__cause__
            if not chunk:
                break
            received += len(chunk)
            if inflater is None:
                sink(chunk)
            else:
                inflater.feed(chunk, room, sink)
    except AnswerTooLarge:
        if truncate:
            return bytes(body[:limit])
        raise
    if watch is not None and watch.expired.is_set():
        raise DeadlinePassed  # the watchdog's shutdown can look like a clean end of file
    if declared is not None and received < declared:
        raise BodyCutShort(received, f"answer cut short after {received} of {declared} bytes")
    return bytes(body)


def _read_some(response: requests.Response, watch: Watch | None) -> bytes:
    """At most one socket read of the raw (still encoded) body."""
    raw = response.raw
    try:
        reader = getattr(raw, "read1", None)
        data = reader(READ_CHUNK, decode_content=False) if reader else raw.read(READ_CHUNK, decode_content=False)
    except Exception as error:  # noqa: BLE001 - urllib3, http.client, ssl and socket all raise here
        if watch is not None and watch.expired.is_set():
            raise DeadlinePassed from error
        raise BodyCutShort(0, _failure_text(error)) from error
    return data or b""


def _declared_length(response: requests.Response) -> int | None:
    if response.headers.get("Transfer-Encoding", "").lower().strip() == "chunked":
        return None
    try:
        value = int(str(response.headers.get("Content-Length", "")).strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _failure_text(error: BaseException) -> str:
    name = type(error).__name__
    if "IncompleteRead" in name or "ChunkedEncoding" in name or "InvalidChunkLength" in name:
        return "answer cut short (the connection ended mid-body)"
    if isinstance(error, ConnectionResetError) or "reset" in str(error).lower():
        return "answer cut short (connection reset mid-body)"
    return f"answer cut short ({name})"
