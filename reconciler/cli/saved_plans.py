"""Saved plans (`plan --out`, `apply --plan`): signing, and every check before the first write.

A saved plan is applied only if all of these hold, for every workspace it covers, before any
workspace is written to:
- its signature verifies with the key derived from this run's credential (exit 1 otherwise:
  the file is not one this credential's `plan --out` wrote, which is bad input, like a corrupt
  file; re-planning is the only remedy, and no state of the workspace could make it right);
- it is applied where it was made: same transport and API root (and Maton connection), or for
  the embedded sandbox the same database (exit 3: refused for safety);
- `--workspace`, if given, names the plan's workspace (exit 1: a flag that contradicts the plan);
- nothing it touches or depends on changed since (exit 3, stale);
- with SPEC: every change in it is one the spec implies against the workspace as it is now
  (exit 3). The spec may have moved on (another pull request merged first): changes the spec
  asks for beyond the plan are left for the next plan, never applied unreviewed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

from reconciler.cli.connection import Connection
from reconciler.engine.plan import (
    Change,
    Plan,
    check_format_version,
    plan_file_document,
    verify_plan_file,
)
from reconciler.errors import PlanFileError, UnsafePlanError, UsageError
from reconciler.model import name_key
from reconciler.untrusted import quoted

SIGNING_LABEL = b"toggl-reconciler/saved-plan-signature/v1"


def signing_key(connection: Connection) -> bytes:
    """HMAC key for plan files, derived from the credential (and the sandbox's database)."""
    label = SIGNING_LABEL
    if connection.sandbox is not None:
        # The embedded sandbox accepts a well-known token: bind to its database instead.
        label += b"\0sandbox\0" + sandbox_identity(connection).encode("utf-8")
    return connection.client.credential_key(label)


def connection_target(connection: Connection) -> dict[str, Any]:
    """Where requests go, as recorded in a plan: a plan applies only where it was made."""
    if connection.sandbox is not None:
        return {"transport": "sandbox", "database": sandbox_identity(connection)}
    transport = connection.client.transport
    target: dict[str, Any] = {"transport": transport.kind, "api_root": transport.root}
    if transport.kind == "maton":
        target["maton_connection"] = transport.connection
    return target


def sandbox_identity(connection: Connection) -> str:
    # Its port changes every run; its database file (and when that database was created, so
    # that a new file at the same path is another sandbox) is what identifies it.
    sandbox = connection.sandbox
    db = str(sandbox.config.db)
    where = db if db == ":memory:" else os.path.realpath(db)
    return f"{where}#created={sandbox.store.created_ts()!r}"


def save_plan_file(path: Path, documents: list[dict[str, Any]], key: bytes) -> None:
    content = plan_file_document(documents, key)
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def read_plan_document(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanFileError(f"{path}: not a readable JSON plan ({error})") from None
    except RecursionError:  # nested deeper than any plan: not one `plan --out` wrote
        raise PlanFileError(f"{path}: not a readable JSON plan (nested too deeply)") from None


def load_plan_file(path: Path, key: bytes, target: dict[str, Any]) -> list[Plan]:
    """The plans of a saved file made for `target`, once its signature is known to be good.

    The target is compared first only to say the more useful thing: a plan carried to another
    API (exit 3) is refused as such, before its signature, which would fail for the same reason
    when the key differs there, is checked.
    """
    document = read_plan_document(path)
    try:
        if isinstance(document, dict):
            check_format_version(document.get("format_version"))
            for item in document.get("plans") or [document]:
                if isinstance(item, dict) and isinstance(item.get("target"), dict):
                    check_target(item["target"], target)
        return [Plan.from_json(item) for item in verify_plan_file(document, key)]
    except PlanFileError as error:
        raise PlanFileError(f"{path}: {error}") from None


def check_workspace_flag(plans: Sequence[Plan], workspace: str | None) -> None:
    """`apply --plan FILE --workspace W`: W must be the plan's workspace, never a redirect."""
    if workspace is None:
        return
    for plan in plans:
        names = {str(plan.workspace_id)} | ({name_key(plan.workspace_name)} if plan.workspace_name else set())
        if workspace not in names and name_key(workspace) not in names:
            label = f"{quoted(plan.workspace_name)} (id {plan.workspace_id})" if plan.workspace_name \
                else f"id {plan.workspace_id}"
            raise UsageError(
                f"--workspace {workspace} does not name the workspace the saved plan was made for "
                f"({label}); a saved plan applies only there. Nothing was applied. Make a plan "
                f"for {workspace} with `plan SPEC --workspace {workspace} --out FILE`.")


def check_target(saved: dict[str, Any], current: dict[str, Any]) -> None:
    if saved != current:
        raise UnsafePlanError(
            f"the saved plan was made against {_describe(saved)}, but this apply would go "
            f"to {_describe(current)}. Nothing was applied. Make the plan against the API you "
            "apply to.")


def _describe(target: dict[str, Any]) -> str:
    if target.get("transport") == "sandbox":
        return f"the embedded sandbox (database {target.get('database')})"
    connection = target.get("maton_connection")
    text = f"{target.get('transport')} at {target.get('api_root')}"
    return f"{text}, connection {connection}" if connection else text


def unimplied_changes(saved: Plan, fresh: Plan) -> list[str]:
    """Changes of the saved plan that the spec, planned now, does not make."""
    implied = {_identity(change) for change in fresh.changes}
    return [f"{change.action.value} {change.kind} {quoted(change.address)}"
            for change in saved.changes if _identity(change) not in implied]


def _identity(change: Change) -> str:
    # Everything that decides what is written; display-only parts (reason, blast radius) and
    # fingerprints (checked as staleness) are left out.
    data = change.to_json()
    key = {name: data[name] for name in ("action", "kind", "name", "client", "live_id", "fields",
                                         "options")}
    if change.live_id is None:
        key["address"] = name_key(change.address)
    return json.dumps(key, sort_keys=True, default=str)
