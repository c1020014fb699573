"""What the workspace kinds cost a plan (issue 12): requests and wall time.

    python benchmarks/workspace_kinds.py           # 10,000 projects; updates results.md
    python benchmarks/workspace_kinds.py --quick   # 1,000 projects; prints only

Two workspaces of one sandbox hold the same 10,000 projects (the benchmark's usual shape:
one client and one tag per ten projects). The second also holds 20,000 tasks (ten on each of
2,000 projects), three members on each of those projects (two users and a group: 6,000), the
groups, and its settings; its spec lists all of it. Each spec is planned with no change to
make, through the CLI in this process against the sandbox in its own process (as Toggl's
servers do not share the user's CPU) over loopback HTTP, timed median of 5; the figures are
the plan's requests (its JSON bill) and the ratio of the two wall times.
With `--read-cache`, a second plan asks only for what changed since the first (projects and
tasks); that row is measured too. Last, both plans are timed once against a sandbox that
refuses more than PACED_RATE requests a second (the Maton gateway's documented rate; Toggl's
own is 1), the client pacing itself to it: there the requests, not the CPU, set the time.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from reconciler.cli import main as cli_main  # noqa: E402
from reconciler.sandbox import SandboxConfig, Store  # noqa: E402
from reconciler.sandbox import settings as workspace_settings  # noqa: E402

from benchmarks.sandbox_process import SandboxProcess, api_env  # noqa: E402
from benchmarks.workload import (  # noqa: E402
    Workload,
    load_into_store,
    proportional_workload,
    spec_document,
)

RESULTS_FILE = REPO_ROOT / "benchmarks" / "results.md"
SECTION = "## Workspace kinds (issue 12)"
USERS = tuple(f"user{i:02d}@bench.test" for i in range(12))
GROUPS = ("Designers", "Developers", "Analysts")
TASKS_PER_PROJECT = 10
REPEATS = 5
MAX_RATIO = 1.5
PACED_RATE = 10  # requests/s: the Maton gateway's limit; Toggl's own (1/s) takes 10x longer


@dataclass(frozen=True)
class Figure:
    label: str
    reads: int
    writes: int
    seconds: float
    changes: int


def _kinds_projects(workload: Workload, with_kinds: int) -> list[str]:
    """The projects that get tasks and members: the first `with_kinds` active ones."""
    return [p.name for p in workload.projects if p.active][:with_kinds]


def _kinds_spec(workload: Workload, names: Sequence[str]) -> dict[str, Any]:
    document = spec_document(workload, extra={
        "settings": {"rounding": 1, "rounding_minutes": 15, "default_currency": "EUR"},
        "groups": [{"name": group, "members": list(USERS[i * 4:(i + 1) * 4])}
                   for i, group in enumerate(GROUPS)],
    })
    listed = set(names)
    for index, entry in enumerate(p for p in document["projects"] if p["name"] in listed):
        entry["members"] = [{"user": USERS[index % len(USERS)], "manager": True},
                            {"user": USERS[(index + 1) % len(USERS)]},
                            {"group": GROUPS[index % len(GROUPS)]}]
        entry["tasks"] = [f"Task {n:02d}" if n % 2 else
                          {"name": f"Task {n:02d}", "estimated_hours": n + 1}
                          for n in range(TASKS_PER_PROJECT)]
    return document


def _seed_kinds(store: Store, wid: int, document: dict[str, Any]) -> None:
    with store.transaction():
        workspace_settings.update_settings(store, wid, document["settings"])
    user_ids = dict(zip(USERS, store.add_users(USERS)))
    group_ids = {group["name"]: store.add_group(group["name"], [wid],
                                                [user_ids[u] for u in group["members"]])
                 for group in document["groups"]}
    project_ids = {row["name"]: row["id"] for row in store.projects(wid)}
    tasks: list[dict[str, Any]] = []
    for entry in document["projects"]:
        if "tasks" not in entry:
            continue
        pid = project_ids[entry["name"]]
        for task in entry["tasks"]:
            name = task if isinstance(task, str) else task["name"]
            hours = None if isinstance(task, str) else task["estimated_hours"]
            tasks.append({"project_id": pid, "name": name, "active": True, "user_id": None,
                          "estimated_seconds": None if hours is None else hours * 3600})
        for member in entry["members"]:
            if "user" in member:
                store.add_project_user(wid, pid, user_ids[member["user"]],
                                       manager=bool(member.get("manager")))
            else:
                store.add_project_group(wid, pid, group_ids[member["group"]])
    store.bulk_add_tasks(wid, tasks)


def _run(url: str, spec: Path, *flags: str, rate: float | None = None) -> tuple[float, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    env = api_env(url) if rate is None else {**api_env(url), "TOGGL_RECONCILER_RATE": str(rate)}
    started = time.perf_counter()
    code = cli_main(["plan", str(spec), "--detailed-exitcode", *flags], env=env,
                    stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"plan of {spec.name} exited {code} (expected no changes):\n"
                         + (stdout.getvalue() + stderr.getvalue())[-3000:])
    return seconds, stdout.getvalue()


def _bill(url: str, spec: Path, *flags: str, rate: float | None = None) -> dict[str, Any]:
    _, text = _run(url, spec, "--format", "json", *flags, rate=rate)
    document = json.loads(text)
    return dict((document[0] if isinstance(document, list) else document)["bill"])


def _figure(label: str, url: str, spec: Path, repeats: int, *flags: str) -> Figure:
    bill = _bill(url, spec, *flags)
    seconds = statistics.median(_run(url, spec, *flags)[0] for _ in range(repeats))
    return Figure(label, int(bill["reads"]), int(bill["writes"]), seconds, 0)


def _paced_figures(db: Path, specs: Sequence[tuple[str, Path]]) -> list[Figure]:
    """Each plan once against a server that refuses more than PACED_RATE requests a second."""
    sandbox = SandboxProcess(db, ("--rate-limit", str(PACED_RATE), "--maton-rate-limit", "0"))
    url = sandbox.start()
    try:
        figures = []
        for label, spec in specs:
            bill = _bill(url, spec, rate=PACED_RATE)
            seconds = _run(url, spec, rate=PACED_RATE)[0]
            figures.append(Figure(label, int(bill["reads"]), int(bill["writes"]), seconds, 0))
        return figures
    finally:
        sandbox.stop()


def measure(projects: int, with_kinds: int, repeats: int, work_dir: Path,
            paced: bool = True) -> list[Figure]:
    workload = proportional_workload(projects)
    kinds = Workload(workload.clients, workload.projects, workload.tags,
                     workspace="Bench Kinds")
    kinds_document = _kinds_spec(kinds, _kinds_projects(kinds, with_kinds))
    db = work_dir / "sandbox.db"
    store = Store(SandboxConfig(db=str(db), seed_demo=False))
    try:
        load_into_store(store, workload)
        _seed_kinds(store, load_into_store(store, kinds), kinds_document)
        # Last changed over the past days, a second apart, as a real workspace's objects are
        # (made in one instant, every one would be newer than a `since=` read's margin).
        with store.transaction() as connection:
            for table in ("clients", "projects", "tags", "tasks", "project_users",
                          "project_groups"):
                connection.execute(f"UPDATE {table} SET at_ts = at_ts - 86400 - (id % 200000)")
    finally:
        store.close()
    plain_spec = work_dir / "without-kinds.yaml"
    kinds_spec = work_dir / "with-kinds.yaml"
    plain_spec.write_text(yaml.dump(spec_document(workload), Dumper=yaml.CSafeDumper,
                                    sort_keys=False, width=200), encoding="utf-8")
    kinds_spec.write_text(yaml.dump(kinds_document, Dumper=yaml.CSafeDumper, sort_keys=False,
                                    width=200), encoding="utf-8")
    sandbox = SandboxProcess(db)
    url = sandbox.start()
    try:
        cache = work_dir / "read-cache.json"
        plain_cache = work_dir / "read-cache-without-kinds.json"
        _run(url, kinds_spec, "--read-cache", str(cache))  # fills the caches
        _run(url, plain_spec, "--read-cache", str(plain_cache))
        figures = [_figure("without the kinds", url, plain_spec, repeats),
                   _figure("with the kinds", url, kinds_spec, repeats),
                   _figure("with the kinds, --read-cache", url, kinds_spec, repeats,
                           "--read-cache", str(cache)),
                   _figure("without the kinds, --read-cache", url, plain_spec, repeats,
                           "--read-cache", str(plain_cache))]
    finally:
        sandbox.stop()
    if paced:
        figures += _paced_figures(db, [("without the kinds", plain_spec),
                                       ("with the kinds", kinds_spec)])
    return figures


def table(figures: Sequence[Figure], projects: int, with_kinds: int, repeats: int) -> str:
    plain, kinds, warm, warm_plain = figures[:4]
    ratio = kinds.seconds / plain.seconds
    tasks = with_kinds * TASKS_PER_PROJECT
    lines = [
        SECTION, "",
        f"`python benchmarks/workspace_kinds.py`: a plan with no change to make of {projects:,} "
        f"projects, without and with the workspace kinds ({tasks:,} tasks and "
        f"{with_kinds * 3:,} members on {with_kinds:,} projects, {len(GROUPS)} groups of "
        f"{len(USERS)} users, settings), through the CLI in process against the sandbox over "
        f"loopback; wall time median of {repeats}.", "",
        "| Plan | Reads | Writes | Wall time | Ratio to the plan without the kinds | Goal | Met |",
        "|---|---|---|---|---|---|---|",
        f"| without the kinds | {plain.reads} | {plain.writes} | {plain.seconds:.3f} s | 1.00 | | |",
        f"| with the kinds | {kinds.reads} | {kinds.writes} | {kinds.seconds:.3f} s | "
        f"{ratio:.2f} | <= {MAX_RATIO} | {'yes' if ratio <= MAX_RATIO else 'no'} |",
        f"| with the kinds, second plan with --read-cache | {warm.reads} | {warm.writes} | "
        f"{warm.seconds:.3f} s | {warm.seconds / plain.seconds:.2f} | | |",
        f"| without the kinds, second plan with --read-cache | {warm_plain.reads} | "
        f"{warm_plain.writes} | {warm_plain.seconds:.3f} s | "
        f"{warm_plain.seconds / plain.seconds:.2f} | | |",
        "",
        f"Extra reads for the kinds, first plan: {kinds.reads - plain.reads} (tasks are listed "
        "200 a page (Toggl documents 50 and no maximum; 200 is the projects' maximum): "
        f"{-(-tasks // 200)} pages for {tasks:,} tasks; members, groups, users and settings are one call each, two for "
        "members: project users and project groups). With --read-cache the tasks, like the "
        f"projects, cost one `since=` call: {warm.reads - warm_plain.reads:+d} reads against the "
        "plan without the kinds, both with --read-cache.",
    ]
    if len(figures) == 6:
        lines += ["", *_paced_table(*figures[4:])]
    return "\n".join(lines) + "\n"


def _paced_table(plain: Figure, kinds: Figure) -> list[str]:
    ratio = kinds.seconds / plain.seconds
    return [
        f"Paced: the same two plans, once each, against the sandbox refusing more than "
        f"{PACED_RATE} requests a second (the Maton gateway's rate; Toggl's own is 1), the "
        "client pacing itself to it. Here the requests set the wall time, as against Toggl:",
        "",
        "| Plan | Reads | Wall time | Reads / rate | Ratio to the plan without the kinds "
        "| Goal | Met |",
        "|---|---|---|---|---|---|---|",
        f"| without the kinds | {plain.reads} | {plain.seconds:.2f} s | "
        f"{plain.reads / PACED_RATE:.1f} s | 1.00 | | |",
        f"| with the kinds | {kinds.reads} | {kinds.seconds:.2f} s | "
        f"{kinds.reads / PACED_RATE:.1f} s | {ratio:.2f} | <= {MAX_RATIO} | "
        f"{'yes' if ratio <= MAX_RATIO else 'no'} |",
    ]


def write_results(text: str, path: Path = RESULTS_FILE) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    start = current.find(SECTION)
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION))
        updated = current[:start] + text + ("" if end == -1 else current[end:].lstrip("\n")
                                            .join(["\n", ""]))
    path.write_text(updated, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 projects; print only")
    args = parser.parse_args(argv)
    projects, with_kinds, repeats = (1_000, 200, 3) if args.quick else (10_000, 2_000, REPEATS)
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as work:
        figures = measure(projects, with_kinds, repeats, Path(work), paced=not args.quick)
    text = table(figures, projects, with_kinds, repeats)
    print(text)
    if not args.quick:
        write_results(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
