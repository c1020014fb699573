"""A small hostile HTTP server on 127.0.0.1 for transport tests: it trickles, stays silent,
cuts bodies short, redirects, inflates, paginates forever, or forwards to a real server and
then breaks the answer. Reusable: `with HostileServer() as server: server.on("GET", path, ...)`.

Every behaviour is a function `(handler, server) -> None` that writes the raw answer itself;
`server.requests` records what arrived (method, path, query, headers), so a test can assert
that nothing was sent somewhere.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, urlsplit

Behaviour = Callable[["_Handler", "HostileServer"], None]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        hostile = self.server.hostile
        hostile.record(Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers), body))
        behaviour = hostile.behaviour_for(self.command, parts.path)
        try:
            behaviour(self, hostile)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ---- writing helpers for behaviours

    def send_raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def head(self, status: int, headers: Mapping[str, str], body: bytes = b"") -> None:
        """Status line and headers (and `body`) in one write: two small writes would wait on
        Nagle's algorithm and the peer's delayed ACK, ~40 ms per answer."""
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Whatever')}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    hostile: HostileServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients hanging up on a hostile answer is the point of these tests."""


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
            307: "Temporary Redirect", 308: "Permanent Redirect", 402: "Payment Required",
            404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway"}


class HostileServer:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        self._routes: dict[tuple[str, str], list[Behaviour]] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hostile = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def on(self, method: str, path: str, *behaviours: Behaviour) -> HostileServer:
        """Answer `method path` with each behaviour in turn; the last one repeats."""
        with self._lock:
            self._routes[(method, path)] = list(behaviours)
        return self

    def behaviour_for(self, method: str, path: str) -> Behaviour:
        with self._lock:
            queue = self._routes.get((method, path)) or self._routes.get((method, "*"))
            if not queue:
                return answer(404, '"not found"')
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# ---------------------------------------------------------------- behaviours


def answer(status: int = 200, body: str | bytes = "", headers: Mapping[str, str] | None = None,
           content_type: str = "application/json") -> Behaviour:
    """A plain, well-formed answer."""
    data = body.encode() if isinstance(body, str) else body

    def behave(handler: _Handler, _server: HostileServer) -> None:
        handler.head(status, {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})}, data)

    return behave


def json_answer(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Behaviour:
    return answer(status, json.dumps(data), headers)


def redirect(status: int, location: str) -> Behaviour:
    return answer(status, "", {"Location": location})


def silent(handler: _Handler, server: HostileServer) -> None:
    """Read the request, then say nothing until the server stops."""
    server.stopping.wait(60)
    handler.close_connection = True


def trickle_body(interval: float, length: int = 1000) -> Behaviour:
    """Headers at once, then one body byte every `interval` seconds: each socket read succeeds
    well within a per-read timeout, but the answer never completes in any sane time."""

    def behave(handler: _Handler, server: HostileServer) -> None:
        handler.head(200, {"Content-Type": "application/json", "Content-Length": str(length)})
        handler.send_raw(b"[")
        for _ in range(length - 1):
            if server.stopping.wait(interval):
                return
            handler.send_raw(b" ")

    return behave


def trickle_headers(interval: float) -> Behaviour:
    """The status line, then one header byte every `interval` seconds."""

    def behave(handler: _Handler, server: HostileServer) -> None:
        handler.send_raw(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X-Padding: " + b"a" * 10000:
            if server.stopping.wait(interval):
                return
            handler.send_raw(bytes([byte]))

    return behave


def cut_short(declared: int = 1000, sent: bytes = b'[{"id": 1, "name": "cut') -> Behaviour:
    """Declare `declared` bytes, send fewer, close."""

    def behave(handler: _Handler, _server: HostileServer) -> None:
        handler.head(200, {"Content-Type": "application/json", "Content-Length": str(declared)})
        handler.send_raw(sent)
        _hang_up(handler)

    return behave


def chunked_cut_short(handler: _Handler, _server: HostileServer) -> None:
    """A chunked answer whose connection ends in the middle of a chunk."""
    handler.head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    handler.send_raw(b"400\r\n[" + b" " * 100)
    _hang_up(handler)


def _hang_up(handler: _Handler) -> None:
    handler.close_connection = True
    handler.wfile.flush()
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def encoded(payload: bytes, coding: str, *, chunked: bool = False, status: int = 200) -> Behaviour:
    """`payload`, already encoded with `coding` (see gzip_bomb), sent as it is."""

    def behave(handler: _Handler, _server: HostileServer) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": coding}
        if chunked:
            handler.head(status, {**headers, "Transfer-Encoding": "chunked"})
            for start in range(0, len(payload), 16384):
                piece = payload[start:start + 16384]
                handler.send_raw(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            handler.send_raw(b"0\r\n\r\n")
        else:
            handler.head(status, {**headers, "Content-Length": str(len(payload))})
            handler.send_raw(payload)

    return behave


def endless_chunks(piece: bytes = b" " * 65536) -> Behaviour:
    """A chunked identity body that never ends (until the reader hangs up or the server stops)."""

    def behave(handler: _Handler, server: HostileServer) -> None:
        handler.head(200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        handler.send_raw(b"%x\r\n[\r\n" % 1)
        while not server.stopping.is_set():
            handler.send_raw(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")

    return behave


def endless_pages(per_page_key: str = "per_page") -> Behaviour:
    """Every page of a listing is full of new projects, however far the client pages."""

    def behave(handler: _Handler, server: HostileServer) -> None:
        seen = server.requests[-1]
        page = int(seen.query.get("page", ["1"])[0])
        size = int(seen.query.get(per_page_key, ["200"])[0])
        items = [{"id": page * 100000 + index, "workspace_id": 1, "name": f"p{page}-{index}",
                  "active": True} for index in range(size)]
        json_answer(items)(handler, server)

    return behave


def forward_then(target: str, after: Callable[[_Handler, int, Mapping[str, str], bytes], None],
                 strip: str = "") -> Behaviour:
    """Forward the request to `target` (e.g. a sandbox), so it is really applied there, then
    give the answer to `after`, which may break it. `strip` is a path prefix to drop."""
    import requests

    def behave(handler: _Handler, server: HostileServer) -> None:
        seen = server.requests[-1]
        query = "&".join(f"{k}={v}" for k, values in seen.query.items() for v in values)
        path = seen.path.removeprefix(strip)
        url = f"{target}{path}" + (f"?{query}" if query else "")
        headers = {k: v for k, v in seen.headers.items() if k.lower() not in ("host", "content-length", "accept-encoding")}
        upstream = requests.request(seen.method, url, data=seen.body, headers=headers, timeout=30)
        after(handler, upstream.status_code, upstream.headers, upstream.content)

    return behave


def forward(target: str, strip: str = "") -> Behaviour:
    def whole(handler: _Handler, status: int, headers: Mapping[str, str], body: bytes) -> None:
        kept = {k: v for k, v in headers.items() if k.lower().startswith("x-toggl") or k.lower() == "content-type"}
        handler.head(status, {**kept, "Content-Length": str(len(body))}, body)

    return forward_then(target, whole, strip)


def forward_cut_short(target: str) -> Behaviour:
    """Apply the request upstream, then send only half of the answer and hang up."""

    def half(handler: _Handler, status: int, headers: Mapping[str, str], body: bytes) -> None:
        handler.head(status, {"Content-Type": "application/json", "Content-Length": str(len(body))})
        handler.send_raw(body[: len(body) // 2])
        _hang_up(handler)

    return forward_then(target, half)


# ---------------------------------------------------------------- payloads


def gzip_bomb(decoded_bytes: int = 200 * 1024 * 1024, coding: str = "gzip") -> bytes:
    """`decoded_bytes` of spaces, compressed without ever holding them in memory."""
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw-deflate": -zlib.MAX_WBITS}[coding]
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b" " * (1024 * 1024)
    parts = [compressor.compress(b"[")]
    for _ in range(decoded_bytes // len(block)):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(b"]"))
    parts.append(compressor.flush())
    return b"".join(parts)


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode())
