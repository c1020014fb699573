#!/usr/bin/env python3
"""The GitHub side of the toggl-reconciler action: the sticky pull-request comment, and the plans
reviewed on the pull requests a push merged. Standard library only: it runs before, and apart
from, the tool's own virtualenv, and it never sees a Toggl credential.

  github_ci.py comment  --issue N --key KEY --command plan|apply|drift --exit-code N
                        --markdown FILE --stderr FILE [--next-step TEXT]
  github_ci.py reviewed --sha SHA --workflow PATH --artifact NAME --out DIR [--before SHA]
  github_ci.py reviewed --run-id ID --workflow PATH --artifact NAME --out DIR

Environment: GITHUB_API_URL, GITHUB_TOKEN, GITHUB_REPOSITORY (and GITHUB_GRAPHQL_URL,
GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_OUTPUT as the runner sets them).

The comment is found by its marker AND its author: a pull-request author who posts the marker
first must not capture the bot's comment. Reviewed plans are found by the merged pull request's
head commit, in this repository only (never a fork's run, never by branch name), and only the
artifact's `plan.json` is read, into a fresh folder.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

COMMENT_LIMIT = 65_536  # GitHub refuses longer comment bodies (characters)
BODY_BUDGET = 64_000  # the whole comment, head and notes included, stays under the limit
DEFAULT_BOT = "github-actions[bot]"  # who GITHUB_TOKEN (an installation token) comments as
MAX_PLAN_BYTES = 50 * 1024 * 1024
MAX_COMMITS = 250  # a compare lists at most 250 commits
ZERO_SHA = "0" * 40


class GitHubError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"GitHub API answered {status}: {message}")
        self.status = status


# ---------------------------------------------------------------------------- HTTP


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # handled by hand: the token must not follow to the artifact storage host


class GitHub:
    """A few REST calls, authenticated with GITHUB_TOKEN, against GITHUB_API_URL."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.api = env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
        self.graphql_url = env.get("GITHUB_GRAPHQL_URL", f"{self.api}/graphql")
        self.repo = env["GITHUB_REPOSITORY"]
        self.token = env.get("GITHUB_TOKEN", "")
        if not self.token:
            raise SystemExit("github_ci: GITHUB_TOKEN is empty (the action's github-token input)")
        self._opener = urllib.request.build_opener(_NoRedirect)

    def _request(self, method: str, url: str, body: Any = None,
                 auth: bool = True) -> tuple[int, Mapping[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "toggl-reconciler-action")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self._opener.open(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            payload = error.read()
            if error.code in (301, 302, 303, 307, 308):
                return error.code, dict(error.headers), payload
            raise GitHubError(error.code, _message(payload)) from None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        url = path if path.startswith("http") else f"{self.api}{path}"
        _, _, payload = self._request(method, url, body)
        return json.loads(payload) if payload else None

    def paginate(self, path: str, key: str | None = None) -> Iterator[Any]:
        url: str | None = f"{self.api}{path}{'&' if '?' in path else '?'}per_page=100"
        pages = 0
        while url and pages < 50:
            _, headers, payload = self._request("GET", url)
            data = json.loads(payload)
            yield from (data[key] if key else data)
            url = _next_link(headers.get("Link") or headers.get("link") or "")
            pages += 1

    def download(self, path: str) -> bytes:
        status, headers, payload = self._request("GET", f"{self.api}{path}")
        if status in (301, 302, 303, 307, 308):
            location = headers.get("Location") or headers.get("location") or ""
            _, _, payload = self._request("GET", location, auth=False)
        if len(payload) > MAX_PLAN_BYTES:
            raise GitHubError(413, "artifact too large")
        return payload

    def login(self, override: str = "") -> str:
        """Who this token comments as. An installation token cannot read /user: the Actions bot."""
        if override:
            return override
        try:
            user = self.call("GET", "/user")
        except GitHubError:
            return DEFAULT_BOT
        return str(user.get("login") or DEFAULT_BOT)


def _message(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("message", ""))[:200]
    except (ValueError, AttributeError):
        return payload[:200].decode("utf-8", "replace")


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        match = re.search(r'<([^>]+)>\s*;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


# ---------------------------------------------------------------------------- the comment body


def marker(key: str) -> str:
    return f"<!-- toggl-reconciler sticky: {re.sub(r'[^A-Za-z0-9._/-]', '-', key)} -->"


def fenced(text: str) -> str:
    """`text` in a code block whose fence no backtick run inside can close: no Markdown, no
    HTML, no mention or link is interpreted in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def headline(command: str, exit_code: int, has_changes: bool) -> str:
    if exit_code == 3:
        return "### :no_entry: Refused for safety: nothing was applied"
    if exit_code == 4:
        return "### :hourglass: Stopped by Toggl's hourly quota"
    if exit_code not in (0, 2):
        return f"### :x: `{command}` failed (exit {exit_code})"
    if command == "apply":
        return "### :white_check_mark: Applied" if has_changes else "### No changes to apply"
    if command == "drift":
        return "### :warning: Drift: the live workspace no longer matches the spec" \
            if exit_code == 2 else "### No drift"
    return "### Plan: changes to review" if exit_code == 2 else "### Plan: no changes"


def compose_body(*, key: str, command: str, exit_code: int, has_changes: bool, markdown: str,
                 stderr: str, context: str, next_step: str = "") -> str:
    parts = [marker(key), headline(command, exit_code, has_changes)]
    if context:
        parts.append(context)
    message = stderr.strip()
    if exit_code not in (0, 2) and message:
        parts.append(fenced(message[-8_000:]))
    if next_step and exit_code not in (0, 2):
        parts.append(f"**Next step:** {next_step}")
    head = "\n\n".join(parts)
    return head + "\n\n" + fit(markdown.strip(), BODY_BUDGET - len(head) - 2) if markdown.strip() \
        else head


def fit(markdown: str, budget: int) -> str:
    """At most `budget` characters: cut at a line end, close the sections left open, say so."""
    if len(markdown) <= budget:
        return markdown
    note = ("\n\n_The plan was cut here to fit GitHub's comment limit; the whole plan is in the "
            "run's step summary and its JSON plan artifact._")
    room = max(0, budget - len(note) - 200)
    kept = markdown[:room]
    kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
    open_sections = kept.count("<details>") - kept.count("</details>")
    fences = kept.count("\n```")
    closing = ("\n```" if fences % 2 else "") + "\n</details>" * max(0, open_sections)
    return kept + closing + note


# ---------------------------------------------------------------------------- the sticky comment


def upsert_comment(github: GitHub, issue: int, key: str, body: str, bot: str) -> dict[str, Any]:
    """Update the bot's own sticky comment in place, or create it; older copies become outdated."""
    tag = marker(key)
    ours = [c for c in github.paginate(f"/repos/{github.repo}/issues/{issue}/comments")
            if (c.get("user") or {}).get("login") == bot and (c.get("body") or "").startswith(tag)]
    if not ours:
        return github.call("POST", f"/repos/{github.repo}/issues/{issue}/comments", {"body": body})
    current, *older = sorted(ours, key=lambda c: c["id"], reverse=True)
    updated = github.call("PATCH", f"/repos/{github.repo}/issues/comments/{current['id']}",
                          {"body": body})
    for comment in older:
        mark_outdated(github, comment, updated.get("html_url", ""))
    return updated


def mark_outdated(github: GitHub, comment: Mapping[str, Any], current_url: str) -> None:
    """Drop the marker (so it is never matched again), say where the current one is, and
    minimize it as OUTDATED where the GraphQL API allows."""
    note = f"_Outdated: superseded by [the current plan comment]({current_url})._"
    github.call("PATCH", f"/repos/{github.repo}/issues/comments/{comment['id']}", {"body": note})
    node_id = comment.get("node_id")
    if not node_id:
        return
    query = ("mutation($id: ID!) { minimizeComment(input: {subjectId: $id, classifier: OUTDATED}) "
             "{ minimizedComment { isMinimized } } }")
    try:
        github.call("POST", github.graphql_url, {"query": query, "variables": {"id": node_id}})
    except GitHubError:
        pass  # the note above already says it; minimizing is a courtesy


# ---------------------------------------------------------------------------- reviewed plans


def merged_pull_requests(github: GitHub, commits: Sequence[str]) -> list[dict[str, Any]]:
    """The pull requests of this repository that these commits merged (merge, squash or the last
    commit of a rebase), oldest first: never `.[0]` of whatever lists a commit."""
    found: dict[int, dict[str, Any]] = {}
    for sha in commits:
        for pr in github.call("GET", f"/repos/{github.repo}/commits/{sha}/pulls") or []:
            base_repo = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
            if pr.get("merged_at") and pr.get("merge_commit_sha") == sha and base_repo == github.repo:
                found[int(pr["number"])] = pr
    return [found[number] for number in sorted(found)]


def commits_to_cover(github: GitHub, sha: str, workflow: str, before: str) -> list[str]:
    """The commits merged since the last successful apply run of this workflow on this branch
    (so a run GitHub cancelled while pending leaves its pull requests to the next one), else
    since the push's `before`, else the pushed commit alone."""
    base = _last_applied_sha(github, workflow) or (before if before and before != ZERO_SHA else "")
    if not base or base == sha:
        return [sha]
    try:
        compare = github.call("GET", f"/repos/{github.repo}/compare/{base}...{sha}")
    except GitHubError:
        return [sha]
    commits = [c["sha"] for c in (compare.get("commits") or [])][-MAX_COMMITS:]
    return commits or [sha]


def _last_applied_sha(github: GitHub, workflow: str) -> str:
    runs = github.call("GET", f"/repos/{github.repo}/actions/runs?status=success&per_page=50")
    for run in (runs or {}).get("workflow_runs", []):
        if run.get("path") == workflow and run.get("event") in ("push", "workflow_dispatch") \
                and _in_this_repo(github, run):
            return str(run["head_sha"])
    return ""


def _in_this_repo(github: GitHub, run: Mapping[str, Any]) -> bool:
    return ((run.get("head_repository") or {}).get("full_name") == github.repo
            and (run.get("repository") or {}).get("full_name", github.repo) == github.repo)


def pull_request_run(github: GitHub, head_sha: str, workflow: str) -> dict[str, Any] | None:
    """The newest successful pull-request run of this workflow for exactly this head commit, in
    this repository (a fork's run of the same commit does not qualify)."""
    query = urllib.parse.urlencode({"head_sha": head_sha, "event": "pull_request",
                                    "status": "success", "per_page": 100})
    runs = github.call("GET", f"/repos/{github.repo}/actions/runs?{query}") or {}
    candidates = [run for run in runs.get("workflow_runs", [])
                  if run.get("head_sha") == head_sha and run.get("path") == workflow
                  and run.get("event") == "pull_request" and run.get("conclusion") == "success"
                  and _in_this_repo(github, run)]
    return max(candidates, key=lambda run: int(run["id"])) if candidates else None


def fetch_plan(github: GitHub, run_id: int, artifact: str, target: Path) -> bool:
    """Download the run's artifact and write its `plan.json`, and nothing else, to `target`."""
    listing = github.call("GET", f"/repos/{github.repo}/actions/runs/{run_id}/artifacts") or {}
    matches = [a for a in listing.get("artifacts", [])
               if a.get("name") == artifact and not a.get("expired")]
    if not matches:
        return False
    newest = max(matches, key=lambda a: int(a["id"]))
    payload = github.download(f"/repos/{github.repo}/actions/artifacts/{newest['id']}/zip")
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        try:
            info = archive.getinfo("plan.json")
        except KeyError:
            return False
        if info.file_size > MAX_PLAN_BYTES:
            return False
        target.write_bytes(archive.read(info))
    return True


def run_reviewed(github: GitHub, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"github_ci: {out} is not empty; reviewed plans go to a fresh folder")
    files: list[str] = []
    prs: list[int] = []
    if args.run_id:
        if not re.fullmatch(r"[0-9]{1,20}", args.run_id):
            raise SystemExit(f"github_ci: reviewed run id must be digits, got {args.run_id!r}")
        run = github.call("GET", f"/repos/{github.repo}/actions/runs/{args.run_id}")
        if not (_in_this_repo(github, run) and run.get("path") == args.workflow
                and run.get("event") in ("push", "workflow_dispatch")):
            raise SystemExit(f"github_ci: run {args.run_id} is not an apply run of "
                             f"{args.workflow} in {github.repo}")
        target = out / f"run-{args.run_id}-plan.json"
        if fetch_plan(github, int(args.run_id), args.artifact, target):
            files.append(str(target))
        else:
            print(f"::warning::run {args.run_id} has no '{args.artifact}' artifact with a plan.json")
        prs = [int(pr["number"]) for pr in merged_pull_requests(github, [run["head_sha"]])]
    else:
        commits = commits_to_cover(github, args.sha, args.workflow, args.before or "")
        for pr in merged_pull_requests(github, commits):
            prs.append(int(pr["number"]))
            head = pr.get("head") or {}
            if (head.get("repo") or {}).get("full_name") != github.repo:
                print(f"::notice::pull request #{pr['number']} came from a fork: it has no "
                      "reviewed plan here (its plan ran without secrets)")
                continue
            run = pull_request_run(github, str(head.get("sha")), args.workflow)
            target = out / f"pr-{pr['number']}-plan.json"
            if run is None or not fetch_plan(github, int(run["id"]), args.artifact, target):
                print(f"::notice::pull request #{pr['number']}: no successful plan run for its "
                      f"head commit {str(head.get('sha'))[:12]}")
                continue
            files.append(str(target))
    _set_outputs(env, {"files": "\n".join(files), "prs": " ".join(map(str, prs)),
                       "count": str(len(files))})
    print(f"Reviewed plans: {len(files)} (pull requests: {' '.join(f'#{n}' for n in prs) or 'none'})")
    return 0


def workflow_path(env: Mapping[str, str]) -> str:
    """`.github/workflows/x.yml` from GITHUB_WORKFLOW_REF (`owner/repo/.github/...yml@refs/...`)."""
    ref = env.get("GITHUB_WORKFLOW_REF", "")
    repo = env.get("GITHUB_REPOSITORY", "")
    path = ref.split("@", 1)[0]
    if repo and path.startswith(repo + "/"):
        path = path[len(repo) + 1:]
    if not path.startswith(".github/workflows/"):
        raise SystemExit("github_ci: cannot tell this workflow's file from GITHUB_WORKFLOW_REF")
    return path


def _set_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            delimiter = f"EOF_{os.urandom(8).hex()}"
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


# ---------------------------------------------------------------------------- entry point


def run_comment(github: GitHub, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    markdown = _read(args.markdown)
    stderr = _read(args.stderr)
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    run_id = env.get("GITHUB_RUN_ID", "")
    sha = env.get("TOGGL_COMMIT_SHA", "")
    context = " · ".join(part for part in (
        f"commit `{sha[:12]}`" if re.fullmatch(r"[0-9a-f]{7,64}", sha) else "",
        f"[run {run_id}]({server}/{github.repo}/actions/runs/{run_id})" if run_id.isdigit() else "",
    ) if part)
    body = compose_body(key=args.key, command=args.command, exit_code=args.exit_code,
                        has_changes=args.has_changes == "true", markdown=markdown, stderr=stderr,
                        context=context, next_step=args.next_step)
    bot = github.login(args.bot_login)
    for issue in args.issue:
        comment = upsert_comment(github, issue, args.key, body, bot)
        print(f"Plan comment: {comment.get('html_url', comment.get('id'))}")
    return 0


def _read(path: str | None) -> str:
    if not path or not os.path.exists(path):
        return ""
    return Path(path).read_text(encoding="utf-8", errors="replace")


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="github_ci.py")
    sub = parser.add_subparsers(dest="what", required=True)
    comment = sub.add_parser("comment")
    comment.add_argument("--issue", type=int, action="append", required=True)
    comment.add_argument("--key", default="toggl-reconciler")
    comment.add_argument("--command", required=True)
    comment.add_argument("--exit-code", type=int, required=True)
    comment.add_argument("--has-changes", default="false")
    comment.add_argument("--markdown")
    comment.add_argument("--stderr")
    comment.add_argument("--next-step", default="")
    comment.add_argument("--bot-login", default="")
    reviewed = sub.add_parser("reviewed")
    reviewed.add_argument("--sha", default="")
    reviewed.add_argument("--before", default="")
    reviewed.add_argument("--run-id", default="")
    reviewed.add_argument("--workflow", default="",
                          help="the workflow file's path (default: from GITHUB_WORKFLOW_REF)")
    reviewed.add_argument("--artifact", default="toggl-plan")
    reviewed.add_argument("--out", required=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    args = parse(sys.argv[1:] if argv is None else argv)
    github = GitHub(env)
    if args.what == "reviewed" and not args.workflow:
        args.workflow = workflow_path(env)
    try:
        if args.what == "comment":
            return run_comment(github, args, env)
        return run_reviewed(github, args, env)
    except GitHubError as error:
        print(f"::error::{error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
