"""`plan` and `apply`: read the workspace, diff it against the spec, and carry out the plan."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TextIO

from reconciler.apply import ApplyEvent, Executor, stale_objects
from reconciler.cli.connection import Connection, add_connection_flags, connect
from reconciler.cli.output import Output
from reconciler.cli.progress import apply_progress
from reconciler.engine.batching import with_bill
from reconciler.engine.plan import Plan
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import check_thresholds
from reconciler.errors import (
    EXIT_CHANGES,
    EXIT_OK,
    PlanFileError,
    QuotaError,
    ReconcilerError,
    UnsafePlanError,
    UsageError,
)
from reconciler.live import read_live_state
from reconciler.model import DesiredState, LiveState
from reconciler.read_cache import ProjectCache
from reconciler.render import RENDERERS
from reconciler.render.text import change_headline
from reconciler.spec import load_specs

Subparsers = Any  # argparse's _SubParsersAction is private


# ---------------------------------------------------------------------------- plan


def _add_spec_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", "-w", default=None,
                        help="workspace name or id, overriding the spec's `workspace:`")
    parser.add_argument("--force", action="store_true",
                        help="go past the removal safety thresholds")


def register_plan(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("plan", parents=[common], help="show what apply would change",
                            description="Read the live workspace (a few list calls) and show the "
                                        "changes that would make it match the spec. Never writes.")
    parser.add_argument("specs", nargs="+", metavar="SPEC")
    parser.add_argument("--out", "-o", default=None, metavar="FILE",
                        help="save the plan (JSON) for `apply --plan FILE`")
    parser.add_argument("--format", "-f", choices=sorted(RENDERERS), default="text")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 2 when there are changes, 0 when there are none")
    parser.add_argument("--read-cache", default=None, metavar="FILE",
                        help="keep the workspace's projects in FILE and, on the next plan, read "
                             "only the projects changed since (one call instead of one per 200 "
                             "projects); apply always reads everything")
    _add_spec_flags(parser)
    add_connection_flags(parser)
    parser.set_defaults(handler=run_plan)


@dataclass(frozen=True)
class WorkspacePlan:
    desired: DesiredState
    live: LiveState
    plan: Plan
    unsafe: tuple[str, ...]  # threshold problems (empty when safe or forced)


def run_plan(args: argparse.Namespace, *, env: Mapping[str, str], out: Output, **_: Any) -> int:
    specs = _load(args)
    results: list[WorkspacePlan] = []
    cache = ProjectCache(args.read_cache) if args.read_cache else None
    if cache is not None:
        cache.check_usable()
    with connect(args, env, out) as connection:
        for desired in specs:
            results.append(plan_workspace(connection, desired, force=args.force, cache=cache))
    for result in results:
        _show_plan(result, args.format, out, heading=len(results) > 1)
    documents = [result.plan.to_json() for result in results]
    _write_step_summary(env, documents)
    # A refused plan is shown for review but never saved: `apply --plan` trusts what it loads.
    _raise_if_unsafe(results)
    if args.out:
        _save_plans(Path(args.out), documents)
        out.info(f"Saved the plan to {args.out}; apply it with: toggl-reconciler apply --plan {args.out}")
    pending = any(result.plan.has_changes for result in results)
    return EXIT_CHANGES if args.detailed_exitcode and pending else EXIT_OK


def _load(args: argparse.Namespace) -> list[DesiredState]:
    specs = load_specs(args.specs)
    if args.workspace is None:
        return specs
    override: str | int = int(args.workspace) if args.workspace.isdigit() else args.workspace
    return [replace(desired, workspace=override) for desired in specs]


def plan_workspace(connection: Connection, desired: DesiredState, *, force: bool,
                   cache: ProjectCache | None = None) -> WorkspacePlan:
    connection.ensure_sandbox_workspace(desired.workspace)
    live = read_live_state(connection.client, desired.workspace, cache)
    plan = with_bill(build_plan(desired, live), live)
    unsafe = () if force else tuple(check_thresholds(plan, live, desired.safety))
    return WorkspacePlan(desired, live, plan, unsafe)


def _show_plan(result: WorkspacePlan, fmt: str, out: Output, *, heading: bool) -> None:
    if heading and fmt == "text":
        out.out(f"=== Workspace '{_workspace_label(result.plan)}' ===")
    document = result.plan.to_json()
    if fmt == "text":
        out.out(RENDERERS["text"](document, color=out.color).rstrip("\n"))
    else:
        out.out(RENDERERS[fmt](document).rstrip("\n"))


def _workspace_label(plan: Plan) -> str:
    return plan.workspace_name or str(plan.workspace_id)


def _save_plans(path: Path, documents: list[dict[str, Any]]) -> None:
    # One workspace: the plan itself. Several: a bundle that `apply --plan` unpacks.
    content: Any = documents[0] if len(documents) == 1 else {"plans": documents}
    path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def _write_step_summary(env: Mapping[str, str], documents: list[dict[str, Any]]) -> None:
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if not summary_path:
        return
    with open(summary_path, "a", encoding="utf-8") as summary:
        for document in documents:
            summary.write(RENDERERS["markdown"](document) + "\n")


def _raise_if_unsafe(results: Sequence[WorkspacePlan]) -> None:
    problems = [f"[{_workspace_label(r.plan)}] {p}" for r in results for p in r.unsafe]
    if problems:
        raise UnsafePlanError("refused: the plan removes more than the safety thresholds allow.\n"
                              + "\n".join(problems))


# ---------------------------------------------------------------------------- apply


def register_apply(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("apply", parents=[common], help="make the workspace match the spec",
                            description="Plan, show the plan, ask for confirmation, then apply. "
                                        "With --plan FILE, apply a saved plan exactly, after "
                                        "checking that nothing it touches has changed.")
    parser.add_argument("specs", nargs="*", metavar="SPEC")
    parser.add_argument("--plan", dest="plan_file", default=None, metavar="FILE",
                        help="apply a plan saved by `plan --out FILE` (no confirmation asked)")
    parser.add_argument("--auto-approve", action="store_true",
                        help="apply without asking (required when not on a terminal)")
    parser.add_argument("--wait-for-quota", action="store_true",
                        help="when Toggl's hourly quota runs out, wait for the reset and carry on")
    _add_spec_flags(parser)
    add_connection_flags(parser)
    parser.set_defaults(handler=run_apply)


def run_apply(args: argparse.Namespace, *, env: Mapping[str, str], out: Output,
              stdin: TextIO, **_: Any) -> int:
    if args.plan_file:
        return _apply_saved(args, env, out)
    if not args.specs:
        raise UsageError("apply needs SPEC files, or --plan FILE")
    specs = _load(args)
    with connect(args, env, out) as connection:
        for desired in specs:
            _apply_workspace(connection, desired, args, out, stdin, heading=len(specs) > 1)
    return EXIT_OK


def _apply_workspace(connection: Connection, desired: DesiredState, args: argparse.Namespace,
                     out: Output, stdin: TextIO, *, heading: bool) -> None:
    result = plan_workspace(connection, desired, force=args.force)
    _show_plan(result, "text", out, heading=heading)
    _raise_if_unsafe([result])
    if not result.plan.has_changes:
        return
    _confirm(result.plan, args.auto_approve, out, stdin)
    _execute(connection, result.plan, result.live, args.wait_for_quota, out)


def _confirm(plan: Plan, auto_approve: bool, out: Output, stdin: TextIO) -> None:
    if auto_approve:
        return
    if not getattr(stdin, "isatty", lambda: False)():
        raise UsageError("refusing to apply without confirmation: this is not an interactive "
                         "terminal. Review the plan, then pass --auto-approve, or save it with "
                         "`plan --out FILE` and run `apply --plan FILE`.")
    count = len(plan.changes)
    out.stdout.write(f"\nApply {'this change' if count == 1 else f'these {count} changes'} to "
                     f"workspace '{_workspace_label(plan)}'? Only 'yes' will be accepted: ")
    out.stdout.flush()
    if stdin.readline().strip() != "yes":
        raise ReconcilerError("apply cancelled; nothing was changed.")


def _execute(connection: Connection, plan: Plan, live: LiveState, wait_for_quota: bool,
             out: Output) -> None:
    _check_quota_bill(plan.bill.writes, live, wait_for_quota)
    with apply_progress(out, connection.client, fallback=_progress_printer(out),
                        total=len(plan.changes)) as on_event:
        result = Executor(connection.client, plan, live, wait_for_quota=wait_for_quota,
                          on_event=on_event).run()
    out.out(f"Apply complete: {result.applied} of {result.total} changes applied "
            f"({_count(result.writes, 'write')}, {_count(result.reads, 'extra read')}).")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _check_quota_bill(writes: int, live: LiveState, wait_for_quota: bool) -> None:
    """Refuse up front when the writes cannot fit in what is left of the hourly quota."""
    remaining = live.quota.remaining  # as reported by the reads just made, not a saved plan
    if wait_for_quota or remaining is None or writes <= remaining:
        return
    resets = live.quota.resets_in
    raise QuotaError(
        f"this apply needs {writes} writes but Toggl reports {remaining} requests left "
        f"this hour (resets in {resets if resets is not None else '?'} s). Nothing was applied. "
        "Re-run after the reset, or pass --wait-for-quota to apply what fits and wait."
    )


def _progress_printer(out: Output) -> Callable[[ApplyEvent], None]:
    def show(event: ApplyEvent) -> None:
        if event.kind == "done" and event.change is not None:
            headline = change_headline(event.change.to_json(), color=out.color, done=True)
            out.out(f"[{event.done}/{event.total}] {headline}")
        elif event.kind == "wait":
            out.info(f"Waiting for Toggl's hourly quota: {event.seconds_left:.0f} s left "
                     f"({event.done} of {event.total} changes applied)")
        else:
            out.info(f"Note: {event.message}")

    return show


def _apply_saved(args: argparse.Namespace, env: Mapping[str, str], out: Output) -> int:
    plans = load_plan_file(Path(args.plan_file))
    if args.specs:
        _check_spec_hash(plans, load_specs(args.specs))
    with connect(args, env, out) as connection:
        for plan in plans:
            live = read_live_state(connection.client, plan.workspace_id)
            stale = stale_objects(plan, live)
            if stale:
                raise UnsafePlanError(
                    "the saved plan is stale: the workspace changed since it was made. "
                    "Nothing was applied. Run `plan --out` again.\n" + "\n".join(stale))
            if plan.has_changes:
                _execute(connection, plan, live, args.wait_for_quota, out)
            else:
                out.out(f"No changes in the saved plan for workspace '{_workspace_label(plan)}'.")
    return EXIT_OK


def load_plan_file(path: Path) -> list[Plan]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanFileError(f"{path}: not a readable JSON plan ({error})") from None
    documents = document.get("plans") if isinstance(document, dict) and "plans" in document else [document]
    if not isinstance(documents, list) or not documents:
        raise PlanFileError(f"{path}: holds no plan")
    try:
        return [Plan.from_json(item) for item in documents]
    except PlanFileError as error:
        raise PlanFileError(f"{path}: {error}") from None


def _check_spec_hash(plans: Sequence[Plan], specs: Sequence[DesiredState]) -> None:
    saved = sorted(plan.spec_hash for plan in plans)
    current = sorted(desired.spec_hash for desired in specs)
    if saved != current:
        raise UnsafePlanError("the spec files changed since the plan was saved; run `plan --out` "
                              "again. Nothing was applied.")
