"""A local stand-in for the parts of GitHub's REST API the action uses, on 127.0.0.1.

It keeps what GitHub would: issue comments with their authors, pull requests with their head and
merge commits, the main branch's history, workflow runs and their artifacts (zip files served from
a separate "storage" path that refuses a request carrying the API token, as signed storage URLs
do). Tokens map to users; the Actions installation token cannot read /user, as on GitHub.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.workflows.stub_server import LocalStub

BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
BOT_TOKEN = "ghs_installation_token_for_tests"
AUTHOR_TOKEN = "ghp_pull_request_author_token"
AUTHOR = {"login": "mallory", "id": 666, "type": "User"}
REPO = "acme/toggl-config"
WORKFLOW = ".github/workflows/toggl-workspace.yml"


@dataclass
class State:
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    main: list[str] = field(default_factory=list)  # commit shas, oldest first
    runs: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    minimized: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class GitHubStub(LocalStub):
    def __init__(self) -> None:
        self.state = State()
        super().__init__()

    # ------------------------------------------------------------------ fixtures for tests

    def add_comment(self, issue: int, body: str, user: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return self._create_comment(issue, body, user)

    def comments(self, issue: int) -> list[dict[str, Any]]:
        return list(self.state.comments.get(issue, []))

    def open_pull(self, number: int, head_sha: str, head_ref: str,
                  head_repo: str = REPO) -> dict[str, Any]:
        pr = {"number": number, "state": "open", "merged_at": None, "merge_commit_sha": None,
              "head": {"sha": head_sha, "ref": head_ref, "repo": {"full_name": head_repo}},
              "base": {"ref": "main", "repo": {"full_name": REPO}}}
        self.state.pulls.append(pr)
        return pr

    def merge_pull(self, number: int, merge_sha: str) -> None:
        for pr in self.state.pulls:
            if pr["number"] == number:
                pr.update(state="closed", merged_at="2026-12-01T10:00:00Z", merge_commit_sha=merge_sha)
        self.state.main.append(merge_sha)

    def start_run(self, *, event: str, head_sha: str, head_branch: str,
                  head_repo: str = REPO, path: str = WORKFLOW) -> dict[str, Any]:
        run = {"id": self.state.new_id(), "event": event, "head_sha": head_sha,
               "head_branch": head_branch, "path": path, "status": "in_progress",
               "conclusion": None, "head_repository": {"full_name": head_repo},
               "repository": {"full_name": REPO}}
        self.state.runs.append(run)
        return run

    def finish_run(self, run: dict[str, Any], success: bool) -> None:
        run.update(status="completed", conclusion="success" if success else "failure")

    def upload(self, run_id: int, name: str, files: dict[str, bytes]) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for member, content in files.items():
                archive.writestr(member, content)
        artifact_id = self.state.new_id()
        self.state.artifacts[artifact_id] = {"id": artifact_id, "name": name, "run_id": run_id,
                                             "expired": False, "zip": buffer.getvalue()}

    # ------------------------------------------------------------------ HTTP

    def _user(self, handler: BaseHTTPRequestHandler) -> dict[str, Any] | None:
        auth = handler.headers.get("Authorization", "")
        token = re.sub(r"^(Bearer|token) ", "", auth)
        return {BOT_TOKEN: BOT, AUTHOR_TOKEN: AUTHOR}.get(token)

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(handler.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        with self.lock:
            self.state.requests.append((method, handler.path))
            if parsed.path.startswith("/storage/"):
                return self._storage(handler, parsed.path)
            user = self._user(handler)
            if user is None:
                return _send(handler, 401, {"message": "Bad credentials"})
            try:
                status, payload, headers = self._route(method, parsed.path, query, body, user)
            except LookupError:
                status, payload, headers = 404, {"message": "Not Found"}, {}
        _send(handler, status, payload, headers)

    def _storage(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        if handler.headers.get("Authorization"):
            return _send(handler, 400, {"message": "storage refuses an Authorization header"})
        artifact = self.state.artifacts[int(path.rsplit("/", 1)[1])]
        handler.send_response(200)
        handler.send_header("Content-Type", "application/zip")
        handler.send_header("Content-Length", str(len(artifact["zip"])))
        handler.end_headers()
        handler.wfile.write(artifact["zip"])

    def _route(self, method: str, path: str, query: dict[str, str], body: Any,
               user: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        repo = f"/repos/{REPO}"
        if path == "/user":
            if user is BOT:
                return 403, {"message": "Resource not accessible by integration"}, {}
            return 200, user, {}
        if path == "/graphql" and method == "POST":
            self.state.minimized.append(body["variables"]["id"])
            return 200, {"data": {"minimizeComment": {"minimizedComment": {"isMinimized": True}}}}, {}
        if match := re.fullmatch(rf"{repo}/issues/(\d+)/comments", path):
            issue = int(match.group(1))
            if method == "POST":
                return 201, self._create_comment(issue, body["body"], user), {}
            return self._page(self.state.comments.get(issue, []), query, path)
        if match := re.fullmatch(rf"{repo}/issues/comments/(\d+)", path):
            comment = self._find_comment(int(match.group(1)))
            if comment["user"]["login"] != user["login"]:
                return 403, {"message": "only the author may edit"}, {}
            comment["body"] = body["body"]
            return 200, comment, {}
        if match := re.fullmatch(rf"{repo}/commits/(\w+)/pulls", path):
            sha = match.group(1)
            return 200, [pr for pr in self.state.pulls
                         if sha in (pr["merge_commit_sha"], pr["head"]["sha"])], {}
        if match := re.fullmatch(rf"{repo}/compare/(\w+)\.\.\.(\w+)", path):
            base, head = match.groups()
            history = self.state.main
            if base not in history or head not in history:
                raise LookupError
            commits = history[history.index(base) + 1: history.index(head) + 1]
            return 200, {"commits": [{"sha": sha} for sha in commits]}, {}
        if path == f"{repo}/actions/runs":
            runs = [r for r in reversed(self.state.runs) if _run_matches(r, query)]
            return 200, {"total_count": len(runs), "workflow_runs": runs}, {}
        if match := re.fullmatch(rf"{repo}/actions/runs/(\d+)", path):
            return 200, next(r for r in self.state.runs if r["id"] == int(match.group(1))), {}
        if match := re.fullmatch(rf"{repo}/actions/runs/(\d+)/artifacts", path):
            run_id = int(match.group(1))
            found = [{k: v for k, v in a.items() if k != "zip"}
                     for a in self.state.artifacts.values() if a["run_id"] == run_id]
            return 200, {"total_count": len(found), "artifacts": found}, {}
        if match := re.fullmatch(rf"{repo}/actions/artifacts/(\d+)/zip", path):
            artifact_id = int(match.group(1))
            if artifact_id not in self.state.artifacts:
                raise LookupError
            return 302, None, {"Location": f"{self.url}/storage/{artifact_id}"}
        raise LookupError

    def _create_comment(self, issue: int, body: str, user: dict[str, Any]) -> dict[str, Any]:
        comment_id = self.state.new_id()
        comment = {"id": comment_id, "node_id": f"IC_{comment_id}", "body": body,
                   "user": dict(user), "html_url": f"https://github.test/{REPO}/pull/{issue}#c{comment_id}"}
        self.state.comments.setdefault(issue, []).append(comment)
        return comment

    def _find_comment(self, comment_id: int) -> dict[str, Any]:
        for comments in self.state.comments.values():
            for comment in comments:
                if comment["id"] == comment_id:
                    return comment
        raise LookupError

    def _page(self, items: list[Any], query: dict[str, str], path: str) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        return 200, chunk, headers


def _run_matches(run: dict[str, Any], query: dict[str, str]) -> bool:
    if "head_sha" in query and run["head_sha"] != query["head_sha"]:
        return False
    if "event" in query and run["event"] != query["event"]:
        return False
    if "branch" in query and run["head_branch"] != query["branch"]:
        return False
    if query.get("status") == "success" and run["conclusion"] != "success":
        return False
    return True


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any,
          headers: dict[str, str] | None = None) -> None:
    data = b"" if payload is None else json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
