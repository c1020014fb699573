#!/usr/bin/env python3
"""The GitLab side of the toggl-reconciler pipeline (standard library only; it never sees a Toggl
credential). Copy it to ci/toggl_gitlab.py next to your .gitlab-ci.yml.

  toggl_gitlab.py note --mr IID --key KEY --exit-code N --markdown FILE --stderr FILE [--next-step T]
  toggl_gitlab.py reviewed --out DIR   (the plans of the merge requests this push merged)

Environment: CI_API_V4_URL, CI_PROJECT_ID, GITLAB_API_TOKEN (a project access token, scope api),
CI_COMMIT_SHA, CI_COMMIT_BEFORE_SHA, CI_PIPELINE_URL.

The note is found by its marker AND its author (the token's own user), so a merge-request author
who posts the marker first cannot capture it. A reviewed plan is the `plan.json` of the `plan`
job of the newest successful pipeline for the merged merge request's head commit, read alone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

NOTE_BUDGET = 900_000  # GitLab refuses notes over 1,000,000 characters
MAX_PLAN_BYTES = 50 * 1024 * 1024
ZERO_SHA = "0" * 40


class GitLab:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.api = env["CI_API_V4_URL"].rstrip("/")
        self.project = urllib.parse.quote(env["CI_PROJECT_ID"], safe="")
        self.token = env.get("GITLAB_API_TOKEN", "")
        if not self.token:
            raise SystemExit("toggl_gitlab: GITLAB_API_TOKEN is not set (a project access token)")

    def _request(self, method: str, path: str, body: Any = None) -> tuple[Mapping[str, str], bytes]:
        url = path if path.startswith("http") else f"{self.api}{path}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("PRIVATE-TOKEN", self.token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return dict(response.headers), response.read(MAX_PLAN_BYTES + 1)
        except urllib.error.HTTPError as error:
            raise SystemExit(f"toggl_gitlab: GitLab API answered {error.code} for {method} "
                             f"{urllib.parse.urlparse(url).path}") from None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        _, payload = self._request(method, path, body)
        return json.loads(payload) if payload else None

    def raw(self, path: str) -> bytes:
        return self._request("GET", path)[1]

    def paginate(self, path: str) -> Iterator[Any]:
        page = "1"
        for _ in range(50):
            headers, payload = self._request("GET", f"{path}{'&' if '?' in path else '?'}per_page=100&page={page}")
            yield from json.loads(payload)
            page = headers.get("X-Next-Page") or headers.get("x-next-page") or ""
            if not page:
                return


def marker(key: str) -> str:
    return f"<!-- toggl-reconciler sticky: {re.sub(r'[^A-Za-z0-9._/-]', '-', key)} -->"


def fenced(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def headline(command: str, exit_code: int) -> str:
    if exit_code == 3:
        return "### :no_entry: Refused for safety: nothing was applied"
    if exit_code == 4:
        return "### :hourglass: Stopped by Toggl's hourly quota"
    if exit_code not in (0, 2):
        return f"### :x: `{command}` failed (exit {exit_code})"
    if command == "apply":
        return "### :white_check_mark: Applied"
    return "### Plan: changes to review" if exit_code == 2 else "### Plan: no changes"


def compose(key: str, command: str, exit_code: int, markdown: str, stderr: str,
            pipeline_url: str, next_step: str) -> str:
    parts = [marker(key), headline(command, exit_code)]
    if pipeline_url.startswith("http"):
        parts.append(f"[pipeline]({pipeline_url})")
    if exit_code not in (0, 2) and stderr.strip():
        parts.append(fenced(stderr.strip()[-8_000:]))
    if next_step and exit_code not in (0, 2):
        parts.append(f"**Next step:** {next_step}")
    body = "\n\n".join(parts)
    if markdown.strip():
        room = NOTE_BUDGET - len(body)
        plan = markdown.strip()
        if len(plan) > room:
            plan = plan[:room] + "\n\n_The plan was cut here; the whole plan is the job's artifact._"
        body += "\n\n" + plan
    return body


def upsert_note(gitlab: GitLab, mr: int, key: str, body: str) -> Mapping[str, Any]:
    me = gitlab.call("GET", "/user")["id"]
    tag = marker(key)
    notes_path = f"/projects/{gitlab.project}/merge_requests/{mr}/notes"
    ours = [n for n in gitlab.paginate(notes_path + "?sort=asc&order_by=created_at")
            if (n.get("author") or {}).get("id") == me and (n.get("body") or "").startswith(tag)]
    if ours:
        current = max(ours, key=lambda n: int(n["id"]))
        return gitlab.call("PUT", f"{notes_path}/{current['id']}", {"body": body})
    return gitlab.call("POST", notes_path, {"body": body})


def merged_requests(gitlab: GitLab, env: Mapping[str, str]) -> list[Mapping[str, Any]]:
    sha, before = env["CI_COMMIT_SHA"], env.get("CI_COMMIT_BEFORE_SHA", "")
    commits = [sha]
    if before and before != ZERO_SHA:
        query = urllib.parse.urlencode({"from": before, "to": sha})
        compare = gitlab.call("GET", f"/projects/{gitlab.project}/repository/compare?{query}")
        commits = [c["id"] for c in compare.get("commits", [])] or [sha]
    found: dict[int, Mapping[str, Any]] = {}
    for commit in commits:
        for mr in gitlab.call("GET", f"/projects/{gitlab.project}/repository/commits/{commit}/merge_requests"):
            merged_by_it = commit in (mr.get("merge_commit_sha"), mr.get("squash_commit_sha"))
            same_project = str(mr.get("source_project_id")) == str(mr.get("project_id"))
            if mr.get("state") == "merged" and merged_by_it and same_project:
                found[int(mr["iid"])] = mr
    return [found[iid] for iid in sorted(found)]


def fetch_reviewed(gitlab: GitLab, mr: Mapping[str, Any], target: Path) -> bool:
    head = mr["sha"]
    pipelines = gitlab.call("GET", f"/projects/{gitlab.project}/merge_requests/{mr['iid']}/pipelines")
    for pipeline in sorted(pipelines, key=lambda p: -int(p["id"])):
        if pipeline.get("sha") != head or pipeline.get("status") != "success":
            continue
        jobs = gitlab.call("GET", f"/projects/{gitlab.project}/pipelines/{pipeline['id']}/jobs?scope=success")
        for job in jobs:
            if job.get("name") == "plan":
                payload = gitlab.raw(f"/projects/{gitlab.project}/jobs/{job['id']}/artifacts/plan.json")
                if len(payload) > MAX_PLAN_BYTES:
                    return False
                target.write_bytes(payload)
                return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    parser = argparse.ArgumentParser(prog="toggl_gitlab.py")
    sub = parser.add_subparsers(dest="what", required=True)
    note = sub.add_parser("note")
    note.add_argument("--mr", type=int, action="append", required=True)
    note.add_argument("--key", default="toggl-reconciler")
    note.add_argument("--command", default="plan")
    note.add_argument("--exit-code", type=int, required=True)
    note.add_argument("--markdown", default="")
    note.add_argument("--stderr", default="")
    note.add_argument("--next-step", default="")
    reviewed = sub.add_parser("reviewed")
    reviewed.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    gitlab = GitLab(env)
    if args.what == "note":
        read = lambda p: Path(p).read_text(encoding="utf-8", errors="replace") if p and os.path.exists(p) else ""  # noqa: E731
        body = compose(f"{args.key}-{args.command}", args.command, args.exit_code,
                       read(args.markdown), read(args.stderr), env.get("CI_PIPELINE_URL", ""),
                       args.next_step)
        for mr in args.mr:
            upsert_note(gitlab, mr, f"{args.key}-{args.command}", body)
            print(f"Posted the plan on merge request !{mr}")
        return 0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    iids = []
    for mr in merged_requests(gitlab, env):
        iids.append(str(mr["iid"]))
        if fetch_reviewed(gitlab, mr, out / f"mr-{mr['iid']}-plan.json"):
            print(f"Reviewed plan: merge request !{mr['iid']}")
        else:
            print(f"No reviewed plan for merge request !{mr['iid']} (head {str(mr['sha'])[:12]})")
    (out / "merge-requests.txt").write_text(" ".join(iids), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
