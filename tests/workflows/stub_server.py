"""The HTTP plumbing the local stand-ins for GitHub's and GitLab's APIs share: a threaded server
on 127.0.0.1 whose requests all go to the stub's `_handle(handler, method)`."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class LocalStub:
    """Subclasses implement `_handle(handler, method)`; `url` is the API root (plus `api_path`)."""

    api_path = ""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{self.api_path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Any:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError


def _handler_for(stub: LocalStub) -> type[BaseHTTPRequestHandler]:
    def dispatch(method: str) -> Any:
        return lambda handler: stub._handle(handler, method)

    attributes: dict[str, Any] = {f"do_{method}": dispatch(method) for method in METHODS}
    attributes["log_message"] = lambda handler, *args: None
    return type("StubHandler", (BaseHTTPRequestHandler,), attributes)
