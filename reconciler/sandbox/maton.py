"""The Maton side of the sandbox: connection management (`ctrl.maton.ai/connections`) and the
gateway's own rules (which connection a request uses, its rate limit).

Documented (API-NOTES.md; Maton's public skill docs): `GET /connections?app=&status=` lists
`{"connections": [...]}`, `POST /connections {"app": "toggl-track"}` creates one and answers a
`url` to open, `GET /connections/{id}` answers `{"connection": {...}}`, `DELETE` removes it.
Without a `Maton-Connection` header the gateway uses the oldest ACTIVE connection of the app;
with none: 400. Above 10 requests/s per Maton account the gateway itself answers 429.

Not settled by any source (our choices): the POST and DELETE answers' bodies (POST answers
`{"connection": {...}}` like GET; DELETE answers `{}`), the gateway's error wordings, and a
new connection's status (ACTIVE at once: the sandbox has no OAuth consent step; see
SandboxConfig.maton_new_connections_active).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.timefmt import micro_z_style

APP = "toggl-track"
FIRST_CONNECTION_ID = "2b7c9a4e-0f3d-4c1a-9e57-5a1d0c6b8f21"  # a fixed, fake connection
NO_CONNECTION_MESSAGE = f"No active connection found for {APP}"  # our wording
CONNECTION_NOT_FOUND = "Connection not found"  # our wording
RATE_LIMIT_MESSAGE = "Rate limit exceeded: at most 10 requests per second per account"  # ours
_CONNECTION_PATH = re.compile(r"^/connections/(?P<id>[^/]+)/?$")
_STATUSES = ("ACTIVE", "PENDING", "FAILED")
MAX_CONNECTIONS = 100  # ours: a runaway client cannot grow the sandbox's memory without end
MAX_APP_LENGTH = 64


class MatonError(ApiError):
    """An error of the gateway or of ctrl, not of Toggl: answered as a JSON object
    `{"error": message}` (the gateway is not Toggl; the exact body is our choice)."""


@dataclass
class Connection:
    connection_id: str
    app: str
    status: str
    created: float
    updated: float

    def to_json(self, connect_url: str) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id, "status": self.status,
            "creation_time": micro_z_style(self.created),
            "last_updated_time": micro_z_style(self.updated),
            "url": f"{connect_url}?session_token={self.connection_id.replace('-', '')}",
            "app": self.app, "metadata": {},
        }


@dataclass
class Connections:
    """The Maton account's connections (all credentials share one account in the sandbox)."""

    created: float
    activate_new: bool = True
    connect_url: str = "https://connect.maton.ai/"
    items: list[Connection] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.items:
            self.items.append(Connection(FIRST_CONNECTION_ID, APP, "ACTIVE", self.created,
                                         self.created))

    # ------------------------------------------------------------ the gateway's choice

    def choose(self, wanted: str | None) -> Connection:
        """The connection a gateway request uses: the one named, else the oldest active."""
        with self.lock:
            active = [c for c in self.items if c.app == APP and c.status == "ACTIVE"]
        if wanted is not None:
            for connection in active:
                if connection.connection_id == wanted:
                    return connection
            raise MatonError(400, NO_CONNECTION_MESSAGE)
        if not active:
            raise MatonError(400, NO_CONNECTION_MESSAGE)
        return min(active, key=lambda c: c.created)

    # ------------------------------------------------------------ ctrl.maton.ai

    def handle(self, method: str, path: str, query: Mapping[str, str], body: Any) -> Any:
        if path.rstrip("/") == "/connections":
            if method == "GET":
                return self.listed(query)
            if method == "POST":
                return {"connection": self.create(body)}
            raise ApiError(405, None)
        match = _CONNECTION_PATH.match(path)
        if match is None:
            raise MatonError(404, "Not Found")
        if method == "GET":
            return {"connection": self._find(match.group("id")).to_json(self.connect_url)}
        if method == "DELETE":
            self.delete(match.group("id"))
            return {}
        raise ApiError(405, None)

    def listed(self, query: Mapping[str, str]) -> dict[str, Any]:
        """Both filters are optional (documented); absent means any app / any status."""
        app, status = query.get("app"), query.get("status")
        if status is not None and status.upper() not in _STATUSES:
            raise MatonError(400, f"Invalid status: {status}")  # our wording
        with self.lock:
            kept = [c for c in self.items
                    if (app is None or c.app == app)
                    and (status is None or c.status == status.upper())]
        ordered = sorted(kept, key=lambda c: c.created)
        return {"connections": [c.to_json(self.connect_url) for c in ordered]}

    def create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("app"), str) \
                or not body["app"].strip() or len(body["app"]) > MAX_APP_LENGTH:
            raise MatonError(400, "app is required")  # our wording
        now = time.time()
        connection = Connection(str(uuid.uuid4()), body["app"].strip(),
                                "ACTIVE" if self.activate_new else "PENDING", now, now)
        with self.lock:
            if len(self.items) >= MAX_CONNECTIONS:
                raise MatonError(400, f"At most {MAX_CONNECTIONS} connections")  # our wording
            self.items.append(connection)
        return connection.to_json(self.connect_url)

    def delete(self, connection_id: str) -> None:
        with self.lock:
            for position, connection in enumerate(self.items):
                if connection.connection_id == connection_id:
                    del self.items[position]
                    return
        raise MatonError(404, CONNECTION_NOT_FOUND)

    def _find(self, connection_id: str) -> Connection:
        with self.lock:
            for connection in self.items:
                if connection.connection_id == connection_id:
                    return connection
        raise MatonError(404, CONNECTION_NOT_FOUND)
