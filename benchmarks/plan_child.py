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
    # Linux reports ru_maxrss in KiB (macOS in bytes; the benchmark targets Linux CI).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> int:
    build_parser()  # the commands' imports, so the baseline holds every module the plan uses
    baseline_kb = _peak_kb()
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["plan", argv[0], "--detailed-exitcode"], env=dict(os.environ),
                    stdout=out, stderr=err)
    if code != 0:
        sys.stderr.write(err.getvalue()[-2000:])
        return 1
    sys.stdout.write(json.dumps({"peak_kb": _peak_kb(), "baseline_kb": baseline_kb}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
