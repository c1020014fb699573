"""The HTTP side: a ThreadingHTTPServer whose handler turns sockets into `dispatch.Request`s,
and `Sandbox`, the object tests, benchmarks and the CLI start and stop."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.dispatch import MATON_CONNECTION_ID, Dispatcher, Outcome, Request
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.seed import seed_demo
from reconciler.sandbox.store import Store

MAX_BODY_BYTES = 5 * 1024 * 1024
_POLL_SECONDS = 0.02  # how quickly stop() is noticed; keeps test teardown fast
_FIXED_SETTINGS = frozenset({"db", "host", "port"})  # need a restart, not configure()


@dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox saw it; `status` 0 means the connection was dropped."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float  # time.monotonic() on arrival


@dataclass
class _RecordLog:
    records: list[RequestRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: RequestRecord) -> None:
        with self.lock:
            self.records.append(record)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    # Headers and body leave in one buffered write with Nagle off: split small writes on a
    # kept-alive connection otherwise meet the peer's delayed ACK (~40 ms per request).
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _SandboxHTTPServer

    def _serve(self) -> None:
        arrived = time.monotonic()
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        outcome = self._outcome(parts.path, query)
        self.server.log.add(
            RequestRecord(self.command, parts.path, query, outcome.status, arrived)
        )
        if outcome.dropped:
            self.close_connection = True  # no status line, no headers: the socket just closes
            return
        self._write(outcome)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _outcome(self, path: str, query: dict[str, str]) -> Outcome:
        try:
            body = self._read_body()
        except ApiError as error:
            self.close_connection = True  # the unread body would corrupt the next request
            return Outcome(error.status, f'"{error.message}"'.encode(),
                           {"Content-Type": "application/json; charset=utf-8"})
        headers = {name.lower(): value for name, value in self.headers.items()}
        return self.server.dispatcher.dispatch(
            Request(self.command, path, query, headers, body)
        )

    def _read_body(self) -> bytes:
        text = self.headers.get("Content-Length")
        if text is None:
            return b""
        try:
            length = int(text)
        except ValueError:
            raise ApiError(400, "Invalid Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise ApiError(400, "Request body too large")  # our wording
        return self.rfile.read(length)

    def _write(self, outcome: Outcome) -> None:
        self.send_response(outcome.status)
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(outcome.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: only the CLI prints (and a log line could carry a query's values)."""


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher, log: _RecordLog) -> None:
        self.dispatcher = dispatcher
        self.log = log
        super().__init__(address, _Handler)


class Sandbox:
    """A local Toggl-compatible API server (see the package docstring)."""

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        base = config or SandboxConfig()
        self.config = base.replace(**overrides) if overrides else base
        self.store = Store(self.config)
        if self.store.created_now and self.config.seed_demo:
            seed_demo(self.store)
        self._log = _RecordLog()
        self._dispatcher = Dispatcher(self.store, self.config)
        self._server: _SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def token(self) -> str:
        """The token tests should send (config.token, or any string when none is set)."""
        return self.config.effective_token

    @property
    def requests(self) -> list[RequestRecord]:
        return self._log.records

    def reset_requests(self) -> None:
        with self._log.lock:
            self._log.records.clear()

    def environment_hints(self) -> list[str]:
        """The banner's lines: the variables that point the tool (or any Toggl client) at this
        sandbox, directly and through its Maton gateway (`MATON_CTRL_URL` moves the client's
        connection management, normally https://ctrl.maton.ai, here too)."""
        url, token = self.url, self.token
        return [
            f"  export TOGGL_API_URL={url}",
            f"  export TOGGL_API_TOKEN={token}",
            "Or through its Maton gateway (unset TOGGL_API_TOKEN, which would win):",
            f"  export TOGGL_API_URL={url}/toggl-track",
            f"  export MATON_API_KEY={token}",
            f"  export MATON_CTRL_URL={url}",
            f"  export MATON_CONNECTION={MATON_CONNECTION_ID}  # optional: the oldest active is used",
        ]

    def configure(self, **changes: Any) -> None:
        """Change faults, limits, quota, tier or rules while running (not db/host/port)."""
        fixed = sorted(_FIXED_SETTINGS & set(changes))
        if fixed:
            raise ValueError(f"cannot change {', '.join(fixed)} while running")
        previous, self.config = self.config, self.config.replace(**changes)
        self.store.config = self.config
        self.store.ensure_config_users()
        self._dispatcher.apply_config(self.config, previous)

    def _bind(self) -> _SandboxHTTPServer:
        if self._server is None:
            address = (self.config.host, self.config.port)
            self._server = _SandboxHTTPServer(address, self._dispatcher, self._log)
            host, port = self._server.server_address[:2]
            self.url = f"http://{host}:{port}"
        return self._server

    def start(self) -> str:
        """Serves in a background thread; answers the base URL, e.g. http://127.0.0.1:54321."""
        server = self._bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": _POLL_SECONDS},
                name="toggl-sandbox", daemon=True,
            )
            self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serves in this thread until stop() (from another thread) or Ctrl-C."""
        server = self._bind()
        try:
            server.serve_forever(poll_interval=_POLL_SECONDS)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
            self._server = None
            self.store.checkpoint()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is not None:
            server.shutdown()
            if thread is not None:
                thread.join(timeout=5)
                server.server_close()
        self._server, self._thread = None, None
        self.store.checkpoint()  # the database file alone then holds every write (WAL mode)

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
