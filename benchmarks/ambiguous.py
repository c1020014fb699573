"""The request bill of an apply of creates when writes fail ambiguously (issue 16, item 1).

    python benchmarks/ambiguous.py           # 100 creates against 2,000 projects; updates results.md
    python benchmarks/ambiguous.py --quick   # 20 creates; prints only

An ambiguous write is one whose outcome the client cannot know: the sandbox commits it and
answers 500 (`fail_after`), or closes the connection unanswered (`drop`: half before the
commit, half after; the client cannot tell which). Each is settled by reading back; the
figure is how many reads that costs, next to the same apply without faults. Counting is not
timing, so the sandbox runs in this process and its own request log is the measure.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from reconciler.cli import main as cli_main  # noqa: E402
from reconciler.sandbox import Sandbox, SandboxConfig  # noqa: E402

from benchmarks.sandbox_process import BENCH_TOKEN, api_env  # noqa: E402

RESULTS_FILE = REPO_ROOT / "benchmarks" / "results.md"
SECTION = "## Ambiguous creates (issue 16)"
WORKSPACE = "Bench Ambiguous"
CLIENTS = 20
SEEDS = (1, 2, 3)
_SETTLED = re.compile(r"(\d+) extra reads?(?: to settle (\d+) ambiguous writes?)?\)")


@dataclass(frozen=True)
class Bill:
    faults: str
    seed: int | None
    reads: int  # every GET the sandbox answered during the apply (plan reads included)
    writes: int  # every write request it received (retries included)
    ambiguous: int  # writes the apply reported as settled by reading back
    extra_reads: int  # reads beyond the plan's, as the apply's summary reports them
    plan_reads: int


def measure(projects: int, creates: int, faults: dict[str, float], seed: int | None,
            work_dir: Path) -> Bill:
    sandbox = Sandbox(SandboxConfig(seed_demo=False, token=BENCH_TOKEN))
    wid = sandbox.store.ensure_workspace(WORKSPACE)
    _seed(sandbox, wid, projects)
    spec = work_dir / f"ambiguous-{seed}.yaml"
    spec.write_text(_spec(creates), encoding="utf-8")
    with sandbox:
        if faults:
            sandbox.configure(**faults, fault_seed=seed or 0)
        sandbox.reset_requests()
        stdout = _apply(spec, sandbox.url)
        records = list(sandbox.requests)
        sandbox.configure(fail_after=0.0, drop=0.0)
        _check_converged(sandbox, wid, projects + creates)
    reads = sum(1 for r in records if r.method == "GET")
    settled = _SETTLED.search(stdout)
    if settled is None:
        raise RuntimeError(f"no closing summary in: {stdout[-500:]}")
    extra, ambiguous = int(settled.group(1)), int(settled.group(2) or 0)
    label = ", ".join(f"{name} {value:.0%}" for name, value in faults.items()) or "no faults"
    return Bill(label, seed, reads, len(records) - reads, ambiguous, extra, reads - extra)


def _seed(sandbox: Sandbox, wid: int, projects: int) -> None:
    # Last changed an hour ago: a real workspace's projects were not all edited seconds ago.
    client_ids = sandbox.store.bulk_add_clients(wid, [f"Client {i:02}" for i in range(CLIENTS)])
    sandbox.store.bulk_add_projects(wid, [{"name": f"Project {i:05}", "client_id": client_ids[i % CLIENTS]}
                                          for i in range(projects)])
    with sandbox.store.transaction() as db:
        for table in ("clients", "projects"):
            db.execute(f"UPDATE {table} SET at_ts = at_ts - 3600 WHERE wid = ?", (wid,))


def _spec(creates: int) -> str:
    clients = "".join(f"  - name: Client {i:02}\n" for i in range(CLIENTS))
    projects = "".join(f"  - {{name: New {i:03}, client: Client {i % CLIENTS:02}}}\n"
                       for i in range(creates))
    return f"version: 1\nworkspace: {WORKSPACE}\nclients:\n{clients}projects:\n{projects}"


def _apply(spec: Path, url: str) -> str:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli_main(["apply", str(spec), "--auto-approve"], env={**api_env(url), "TOGGL_RECONCILER_RETRY_BASE": "0.001"},
                    stdin=io.StringIO(""), stdout=stdout, stderr=stderr)
    if code != 0:
        raise RuntimeError(f"apply exited {code}: {stderr.getvalue()[-1000:]}")
    return stdout.getvalue()


def _check_converged(sandbox: Sandbox, wid: int, expected: int) -> None:
    keys = [(p["client_id"], p["name"].casefold()) for p in sandbox.store.projects(wid)]
    if len(keys) != len(set(keys)) or len(keys) != expected:
        raise RuntimeError(f"expected {expected} distinct projects, found {len(keys)} "
                           f"({len(keys) - len(set(keys))} duplicates)")


def run(projects: int, creates: int, seeds: Sequence[int] = SEEDS) -> list[Bill]:
    with tempfile.TemporaryDirectory() as folder:
        work_dir = Path(folder)
        bills = [measure(projects, creates, {}, None, work_dir)]
        for faults in ({"fail_after": 0.2}, {"drop": 0.2}):
            bills += [measure(projects, creates, faults, seed, work_dir) for seed in seeds]
    return bills


def table(bills: Sequence[Bill], projects: int, creates: int) -> str:
    lines = [
        SECTION, "",
        f"`python benchmarks/ambiguous.py`: `apply` of {creates} project creates into a workspace "
        f"of {projects:,} projects ({CLIENTS} clients, all last changed an hour earlier), sandbox "
        "in process, its request log counted. Reads include the plan's own "
        f"({bills[0].plan_reads}: workspaces, clients, tags, {bills[0].plan_reads - 3} project "
        "pages). Every run converged in one apply with no duplicate. Before, each settle re-listed "
        f"every project: {bills[0].plan_reads - 3} reads per ambiguous write at this size (the "
        "page count measured here), against the 1 measured below.", "",
        "| Faults | Seed | Reads | Writes | Ambiguous writes | Extra reads to settle them | Extra reads per ambiguous write |",
        "|---|---|---|---|---|---|---|",
    ]
    for bill in bills:
        per = f"{bill.extra_reads / bill.ambiguous:.2f}" if bill.ambiguous else "-"
        lines.append(f"| {bill.faults} | {bill.seed if bill.seed is not None else '-'} | {bill.reads} | "
                     f"{bill.writes} | {bill.ambiguous} | {bill.extra_reads} | {per} |")
    return "\n".join(lines) + "\n"


def write_results(text: str, path: Path = RESULTS_FILE) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    before = current.split(SECTION)[0].rstrip("\n")
    path.write_text((before + "\n\n" if before else "") + text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 creates; print, write nothing")
    args = parser.parse_args(argv)
    projects, creates = 2_000, 20 if args.quick else 100
    text = table(run(projects, creates), projects, creates)
    print(text)
    if not args.quick:
        write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
