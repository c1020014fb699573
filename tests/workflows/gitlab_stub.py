"""A local stand-in for the GitLab API calls of examples/gitlab/ci/toggl_gitlab.py, on 127.0.0.1:
merge-request notes with authors, merged merge requests, their pipelines and the plan job's
artifact files."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.workflows.stub_server import LocalStub

PROJECT_ID = "42"
BOT_TOKEN = "glpat-project-bot-token"
BOT = {"id": 77, "username": "project_42_bot"}
AUTHOR = {"id": 5, "username": "mallory"}


@dataclass
class State:
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  # default branch commits, oldest first
    pipelines: list[dict[str, Any]] = field(default_factory=list)  # {id, sha, status, mr, jobs}
    artifacts: dict[int, dict[str, bytes]] = field(default_factory=dict)  # job id -> files
    next_id: int = 500

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class GitLabStub(LocalStub):
    api_path = "/api/v4"

    def __init__(self) -> None:
        self.state = State()
        super().__init__()

    def add_note(self, mr: int, body: str, author: dict[str, Any]) -> dict[str, Any]:
        note = {"id": self.state.new_id(), "body": body, "author": dict(author)}
        self.state.notes.setdefault(mr, []).append(note)
        return note

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(handler.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        token = handler.headers.get("PRIVATE-TOKEN")
        user = {BOT_TOKEN: BOT}.get(token or "")
        with self.lock:
            if user is None:
                return _send(handler, 401, {"message": "401 Unauthorized"})
            try:
                status, payload, headers = self._route(method, parsed.path, query, body, user)
            except (LookupError, StopIteration):
                status, payload, headers = 404, {"message": "404 Not found"}, {}
        if isinstance(payload, bytes):
            handler.send_response(status)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
            return
        _send(handler, status, payload, headers)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any,
               user: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        project = f"/api/v4/projects/{PROJECT_ID}"
        if path == "/api/v4/user":
            return 200, user, {}
        if match := re.fullmatch(rf"{project}/merge_requests/(\d+)/notes", path):
            mr = int(match.group(1))
            if method == "POST":
                return 201, self.add_note(mr, body["body"], user), {}
            notes = self.state.notes.get(mr, [])
            per_page, page = int(query.get("per_page", 20)), int(query.get("page", 1))
            headers = {"X-Next-Page": str(page + 1) if page * per_page < len(notes) else ""}
            return 200, notes[(page - 1) * per_page: page * per_page], headers
        if match := re.fullmatch(rf"{project}/merge_requests/(\d+)/notes/(\d+)", path):
            note = next(n for n in self.state.notes.get(int(match.group(1)), [])
                        if n["id"] == int(match.group(2)))
            if note["author"]["id"] != user["id"]:
                return 403, {"message": "403 Forbidden"}, {}
            note["body"] = body["body"]
            return 200, note, {}
        if path == f"{project}/repository/compare":
            history = self.state.history
            start, end = history.index(query["from"]), history.index(query["to"])
            return 200, {"commits": [{"id": sha} for sha in history[start + 1: end + 1]]}, {}
        if match := re.fullmatch(rf"{project}/repository/commits/(\w+)/merge_requests", path):
            sha = match.group(1)
            return 200, [mr for mr in self.state.merge_requests
                         if sha in (mr["merge_commit_sha"], mr["squash_commit_sha"], mr["sha"])], {}
        if match := re.fullmatch(rf"{project}/merge_requests/(\d+)/pipelines", path):
            iid = int(match.group(1))
            return 200, [{k: p[k] for k in ("id", "sha", "status")}
                         for p in self.state.pipelines if p["mr"] == iid], {}
        if match := re.fullmatch(rf"{project}/pipelines/(\d+)/jobs", path):
            pipeline = next(p for p in self.state.pipelines if p["id"] == int(match.group(1)))
            return 200, [j for j in pipeline["jobs"] if j["status"] == "success"], {}
        if match := re.fullmatch(rf"{project}/jobs/(\d+)/artifacts/(.+)", path):
            return 200, self.state.artifacts[int(match.group(1))][match.group(2)], {}
        raise LookupError


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any,
          headers: dict[str, str] | None = None) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
