"""A local Toggl-compatible API server for tests, benchmarks and first runs.

Standard library only (http.server + sqlite3). As strict and quirky as Toggl where the
sources say how Toggl behaves (see /work/shared/toggl-api/API-NOTES.md and the recordings in
tests/contract/recorded/), and configurable where they do not (`SandboxConfig`). The core
never imports this package; the CLI's `sandbox` command does.

    with Sandbox(tier="free") as sandbox:
        wid = sandbox.store.ensure_workspace("Acme")
        requests.get(f"{sandbox.url}/api/v9/me", auth=(sandbox.token, "api_token"))
"""

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.server import RequestRecord, Sandbox
from reconciler.sandbox.store import Store

__all__ = ["RequestRecord", "Sandbox", "SandboxConfig", "Store"]
