"""Child process of the memory figure: one no-change plan, then its peak RSS as one JSON line.

Usage: python benchmarks/plan_child.py SPEC   (TOGGL_API_URL / TOGGL_API_TOKEN in the environment)
Run by benchmarks/timing.py; a separate process so the figure holds this plan and nothing else.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys

from reconciler.cli import main as cli_main
from reconciler.cli.main import build_parser


def _peak_kb() -> int:
    """This process's peak resident set, in KiB.

    Linux carries ru_maxrss over fork and exec: a child of the (large) benchmark process starts
    with its parent's peak. VmHWM in /proc/self/status belongs to the address space made at exec,
    so it is this process's own peak; ru_maxrss is the fallback elsewhere (macOS: in bytes).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss // 1024 if sys.platform == "darwin" else maxrss


def main(argv: list[str]) -> int:
    build_parser()  # the commands' imports, so the baseline holds every module the plan uses
    baseline_kb = _peak_kb()
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["plan", argv[0], "--detailed-exitcode"], env=dict(os.environ),
                    stdout=out, stderr=err)
    if code != 0:
        sys.stderr.write(err.getvalue()[-2000:])
        return 1
    report = {"peak_kb": _peak_kb(), "baseline_kb": baseline_kb,
              "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
