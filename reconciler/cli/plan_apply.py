"""`plan` and `apply`: read the workspace, diff it against the spec, and carry out the plan."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TextIO

from reconciler.apply import (
    ApplyEvent,
    ApplyFailed,
    ApplyInterrupted,
    ApplyResult,
    Executor,
    stale_objects,
)
from reconciler.cli import targeting
from reconciler.cli.connection import (
    DEFAULT_SANDBOX_DB,
    Connection,
    add_connection_flags,
    connect,
)
from reconciler.cli.output import Output
from reconciler.cli.saved_plans import (
    check_target,
    check_workspace_flag,
    connection_target,
    load_plan_file,
    save_plan_file,
    signing_key,
    unimplied_changes,
)
from reconciler.cli.workspace_refs import WorkspaceSpec, resolve_specs
from reconciler.cli.progress import apply_progress
from reconciler.durations import duration
from reconciler.engine.batching import with_bill
from reconciler.engine.fingerprint import fingerprint_plan
from reconciler.engine.plan import Plan
from reconciler.engine.planner import build_plan
from reconciler.engine.safety import check_thresholds
from reconciler.errors import (
    EXIT_CHANGES,
    EXIT_OK,
    QuotaError,
    ReconcilerError,
    UnsafePlanError,
    UsageError,
)
from reconciler.live import ResolvedWorkspace, plan_reads, read_live_state, workspace_reads
from reconciler.model import DesiredState, LiveState
from reconciler.read_cache import ProjectCache
from reconciler.render import RENDERERS, render_markdown_plans
from reconciler.render.text import change_headline
from reconciler.server_clock import ServerClock
from reconciler.spec import load_specs
from reconciler.untrusted import shown

Subparsers = Any  # argparse's _SubParsersAction is private


# ---------------------------------------------------------------------------- plan


SPEC_HELP = ("spec file, or folder: every *.yaml/*.yml file in it and its subfolders (any "
             "letter case; hidden files and folders skipped)")


def _add_spec_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", "-w", default=None,
                        help="workspace name or id, overriding the spec's `workspace:`")
    parser.add_argument("--force", action="store_true",
                        help="go past the removal safety thresholds")


def register_plan(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("plan", parents=[common], help="show what apply would change",
                            description="Read the live workspace (a few list calls) and show the "
                                        "changes that would make it match the spec. Never writes.")
    parser.add_argument("specs", nargs="+", metavar="SPEC", help=SPEC_HELP)
    parser.add_argument("--out", "-o", default=None, metavar="FILE",
                        help="save the plan (JSON) for `apply --plan FILE`")
    parser.add_argument("--format", "-f", choices=sorted(RENDERERS), default="text",
                        help="text (a terminal; the default), markdown (a pull-request comment) "
                             "or json (the plan contract, as `--out` saves it)")
    parser.add_argument("--compact", action="store_true",
                        help="text and markdown: one line per kind and action, with counts and "
                             "the first few names, instead of every field (for large plans)")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 2 when there are changes, 0 when there are none")
    parser.add_argument("--read-cache", default=None, metavar="FILE",
                        help="keep the workspace's projects in FILE and, on the next plan, read "
                             "only the projects changed since (one call instead of one per 200 "
                             "projects); apply always reads everything")
    _add_spec_flags(parser)
    targeting.add_targeting_flags(parser)
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
        workspaces, lookup_reads = resolve_specs(connection, specs, out)
        for number, spec in enumerate(workspaces):
            results.append(plan_workspace(connection, spec, force=args.force, cache=cache,
                                          extra_reads=lookup_reads if number == 0 else 0,
                                          args=args, strict=len(workspaces) == 1))
        targeting.raise_unmatched([result.plan for result in results])
        key = signing_key(connection)
    documents = [result.plan.to_json() for result in results]
    if args.format == "markdown":  # one comment for all workspaces, within one size budget
        out.report(render_markdown_plans(documents, compact=args.compact).rstrip("\n"))
    else:
        for result in results:
            _show_plan(result, args.format, out, heading=len(results) > 1,
                       compact=args.compact)
    _write_step_summary(env, documents)
    # A refused plan is shown for review but never saved: `apply --plan` trusts what it loads.
    _raise_if_unsafe(results)
    if args.out:
        save_plan_file(Path(args.out), documents, key)
        out.info(f"Saved the plan to {shown(args.out)}; apply it with: {shown(apply_hint(args))}")
    pending = any(result.plan.has_changes for result in results)
    return EXIT_CHANGES if args.detailed_exitcode and pending else EXIT_OK


def apply_hint(args: argparse.Namespace) -> str:
    """The `apply --plan` command that works when pasted: the same target flags as this plan
    (a saved plan is refused against another API), every argument shell-quoted."""
    words = ["toggl-reconciler", "apply", "--plan", args.out]
    if args.sandbox:
        words.append("--sandbox")
        if args.sandbox_db != DEFAULT_SANDBOX_DB:
            words += ["--sandbox-db", args.sandbox_db]
    else:
        if args.transport:
            words += ["--transport", args.transport]
        if args.api_url:
            words += ["--api-url", args.api_url]
    return " ".join(shlex.quote(word) for word in words)


def _load(args: argparse.Namespace) -> list[DesiredState]:
    specs = load_specs(args.specs)
    if args.workspace is None:
        return specs
    override: str | int = int(args.workspace) if args.workspace.isdigit() else args.workspace
    return [replace(desired, workspace=override) for desired in specs]


def plan_workspace(connection: Connection, spec: WorkspaceSpec, *, force: bool,
                   cache: ProjectCache | None = None, extra_reads: int = 0,
                   args: argparse.Namespace | None = None, strict: bool = True) -> WorkspacePlan:
    """Read and plan one workspace; `extra_reads` (the workspace lookup) go on its bill;
    `args` carries `--target`/`--exclude` (not `strict`: one workspace of several, where a
    selector matching nothing is a warning)."""
    desired = spec.desired
    live = read_live_state(connection.client, spec.workspace, cache, workspace_reads(desired),
                           organization=desired.organization)
    live = replace(live, reads=live.reads + extra_reads,
                   read_counts=_with_lookup(live.read_counts, extra_reads))
    plan = targeting.narrow(build_plan(desired, live), args or argparse.Namespace(), desired, live,
                            strict=strict)
    plan = fingerprint_plan(plan, live)
    plan = replace(with_bill(plan, live), target=connection_target(connection))
    unsafe = () if force else tuple(check_thresholds(plan, live, desired.safety))
    return WorkspacePlan(desired, live, plan, unsafe)


def _with_lookup(read_counts: Mapping[str, int], lookup_reads: int) -> dict[str, int]:
    """The per-kind reads with the `/me/workspaces` lookup in front, so that they add up."""
    if not lookup_reads:
        return dict(read_counts)
    return {"workspaces": lookup_reads + read_counts.get("workspaces", 0),
            **{kind: count for kind, count in read_counts.items() if kind != "workspaces"}}


def _show_plan(result: WorkspacePlan, fmt: str, out: Output, *, heading: bool,
               compact: bool = False) -> None:
    if heading and fmt == "text":
        out.out(f"=== Workspace '{_workspace_label(result.plan)}' ===")
    document = result.plan.to_json()
    if fmt == "text":
        out.out(RENDERERS["text"](document, color=out.color, compact=compact).rstrip("\n"))
    elif fmt == "json":  # a data document: written exactly, never scrubbed
        out.document(RENDERERS["json"](document))
    else:
        out.out(RENDERERS[fmt](document).rstrip("\n"))


def _workspace_label(plan: Plan) -> str:
    return shown(plan.workspace_name) if plan.workspace_name else str(plan.workspace_id)


def _write_step_summary(env: Mapping[str, str], documents: list[dict[str, Any]]) -> None:
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if not summary_path:
        return
    with open(summary_path, "a", encoding="utf-8") as summary:
        summary.write(render_markdown_plans(documents) + "\n")


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
    parser.add_argument("specs", nargs="*", metavar="SPEC", help=SPEC_HELP)
    parser.add_argument("--plan", dest="plan_file", default=None, metavar="FILE",
                        help="apply a plan saved by `plan --out FILE` (no confirmation asked)")
    parser.add_argument("--auto-approve", action="store_true",
                        help="apply without asking (required when not on a terminal)")
    parser.add_argument("--wait-for-quota", action="store_true",
                        help="when Toggl's hourly quota runs out, wait for the reset and carry on")
    _add_spec_flags(parser)
    targeting.add_targeting_flags(parser, apply=True)
    add_connection_flags(parser)
    from reconciler.cli import reviewed  # here: cli/reviewed.py imports this module
    reviewed.add_reviewed_flags(parser)
    parser.set_defaults(handler=run_apply)


def run_apply(args: argparse.Namespace, *, env: Mapping[str, str], out: Output,
              stdin: TextIO, **_: Any) -> int:
    from reconciler.cli import reviewed
    if reviewed.wants_reviewed_apply(args):
        return reviewed.run_reviewed_apply(args, env, out)
    if args.plan_file:
        return _apply_saved(args, env, out)
    if not args.specs:
        raise UsageError("apply needs SPEC files, or --plan FILE")
    specs = _load(args)
    tally: list[int] = []  # changes applied per workspace so far
    try:
        with connect(args, env, out) as connection:
            clock = ServerClock(connection.client)  # before the reads: settles need server time
            workspaces, lookup_reads = resolve_specs(connection, specs, out)
            for number, spec in enumerate(workspaces):
                result = plan_workspace(connection, spec, force=args.force,
                                        extra_reads=lookup_reads if number == 0 else 0,
                                        args=args, strict=len(workspaces) == 1)
                _apply_workspace(connection, result, args, out, stdin, clock, tally,
                                 heading=len(workspaces) > 1)
    except KeyboardInterrupt:  # outside the writes: while reading, planning or asking
        applied = sum(tally)
        raise ApplyInterrupted(
            f"interrupted between writes: {applied} change{'' if applied == 1 else 's'} applied "
            "in this run, none in flight. Run apply again: it continues where this one stopped.",
            applied, applied) from None
    return EXIT_OK


def _apply_workspace(connection: Connection, result: WorkspacePlan, args: argparse.Namespace,
                     out: Output, stdin: TextIO, clock: ServerClock, tally: list[int], *,
                     heading: bool) -> None:
    _show_plan(result, "text", out, heading=heading)
    _raise_if_unsafe([result])
    if not result.plan.has_changes:
        return
    targeting.check_billing_gate([result.plan], args)
    _confirm(result.plan, args.auto_approve, out, stdin)
    _check_quota_bill(result.plan.bill.writes, result.live.quota, args.wait_for_quota,
                      result.plan)
    tally.append(_execute(connection, result.plan, result.live, args.wait_for_quota, out, clock))


def _confirm(plan: Plan, auto_approve: bool, out: Output, stdin: TextIO) -> None:
    if auto_approve:
        return
    if not getattr(stdin, "isatty", lambda: False)():
        raise UsageError("refusing to apply without confirmation: this is not an interactive "
                         "terminal. Review the plan, then pass --auto-approve, or save it with "
                         "`plan --out FILE` and run `apply --plan FILE`.")
    count = len(plan.changes)
    out.prompt(f"\nApply {'this change' if count == 1 else f'these {count} changes'} to "
               f"workspace '{_workspace_label(plan)}'? Only 'yes' will be accepted: ")
    if stdin.readline().strip() != "yes":
        raise ReconcilerError("apply cancelled; nothing was changed.")


def _execute(connection: Connection, plan: Plan, live: LiveState, wait_for_quota: bool,
             out: Output, clock: ServerClock, *, saved: bool = False) -> int:
    """Carry out one workspace's plan; the number of changes applied."""
    try:
        with apply_progress(out, connection.client, fallback=_progress_printer(out),
                            total=len(plan.changes)) as on_event:
            result = Executor(connection.client, plan, live, wait_for_quota=wait_for_quota,
                              on_event=on_event, server_clock=clock).run()
    except ApplyInterrupted as interrupted:
        if not saved:
            raise
        raise ApplyInterrupted(f"{interrupted}\n{SAVED_PLAN_RESUME}", interrupted.applied,
                               interrupted.total) from None
    except (ApplyFailed, QuotaError) as stopped:
        if not saved:
            raise
        raise type(stopped)(f"{stopped}\n{SAVED_PLAN_RESUME}") from None
    out.out(f"Apply complete: {result.applied} of {result.total} changes applied "
            f"({_count(result.writes, 'write')}, {_settle_summary(result)}).")
    return result.applied


# A saved plan stopped mid-way is stale for what it did: re-running it would be refused.
SAVED_PLAN_RESUME = ("The saved plan is now partly applied, so `apply --plan` would refuse it as "
                     "stale: to continue, run `apply SPEC`, or `plan --out` again and apply that.")


def _settle_summary(result: ApplyResult) -> str:
    """E.g. "3 extra reads to settle 3 ambiguous writes": every recovery read is accounted for."""
    reads = _count(result.reads, "extra read")
    if result.ambiguous_writes:
        return f"{reads} to settle {_count(result.ambiguous_writes, 'ambiguous write')}"
    return reads


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _check_quota_bill(writes: int, quota: Any, wait_for_quota: bool,
                      plan: Plan | None = None, *, saved: bool = False) -> None:
    """Refuse up front when the writes cannot fit in what is left of the hourly quota."""
    remaining = quota.remaining  # as reported by the reads just made, not a saved plan
    if wait_for_quota or remaining is None or writes <= remaining:
        return
    resets = quota.resets_in
    raise QuotaError(
        f"this apply needs {writes} writes but Toggl reports {remaining} requests left "
        f"this hour ({f'resets in {duration(resets)}' if resets is not None else 'reset unknown'}). "
        "Nothing was applied. "
        "Re-run after the reset, or pass --wait-for-quota to apply what fits and wait."
        + (targeting.quota_hint(plan, remaining, saved=saved) if plan is not None else "")
    )


def _progress_printer(out: Output) -> Callable[[ApplyEvent], None]:
    def show(event: ApplyEvent) -> None:
        if event.kind == "done" and event.change is not None:
            headline = change_headline(event.change.to_json(), color=out.color, done=True)
            out.out(f"[{event.done}/{event.total}] {headline}")
        elif event.kind == "wait":
            out.info(f"Waiting for Toggl's hourly quota: {duration(event.seconds_left)} left "
                     f"({event.done} of {event.total} changes applied)")
        else:
            out.info(f"Note: {event.message}")

    return show


def _apply_saved(args: argparse.Namespace, env: Mapping[str, str], out: Output) -> int:
    """Check every workspace of the saved plan before the first write, then apply them in order."""
    targeting.refuse_selectors_with_saved_plan(args)
    specs = load_specs(args.specs) if args.specs else None
    with connect(args, env, out) as connection:
        clock = ServerClock(connection.client)
        target = connection_target(connection)
        plans = load_plan_file(Path(args.plan_file), signing_key(connection), target)
        check_workspace_flag(plans, args.workspace)
        for plan in plans:
            check_target(dict(plan.target), target)
        wanted = _specs_by_workspace(connection, specs, out) if specs is not None else None
        checked = [(plan, _checked_live(connection, plan, wanted, out)) for plan in plans]
        targeting.check_billing_gate(plans, args, _spec_policy(specs))
        _check_quota_bill(sum(plan.bill.writes for plan in plans), connection.client.quota,
                          args.wait_for_quota, plans[0] if len(plans) == 1 else None, saved=True)
        for plan, live in checked:
            if len(checked) > 1:
                out.out(f"=== Workspace '{_workspace_label(plan)}' ===")
            if plan.has_changes:
                _execute(connection, plan, live, args.wait_for_quota, out, clock, saved=True)
            else:
                out.out(f"No changes in the saved plan for workspace '{_workspace_label(plan)}'.")
    return EXIT_OK


def _spec_policy(specs: Sequence[DesiredState] | None) -> str | None:
    """The strictest billing policy of the specs given with `apply --plan FILE SPEC`."""
    if not specs:
        return None
    policies = {spec.safety.billing_changes for spec in specs}
    return "require-flag" if "require-flag" in policies else "allow"


def _specs_by_workspace(connection: Connection, specs: Sequence[DesiredState],
                        out: Output) -> dict[int, WorkspaceSpec]:
    workspaces, _ = resolve_specs(connection, specs, out)
    return {spec.workspace.id: spec for spec in workspaces}


def _checked_live(connection: Connection, plan: Plan,
                  wanted: dict[int, WorkspaceSpec] | None, out: Output) -> LiveState:
    """The workspace as it is now, once the plan is known to still fit it (exit 3 otherwise)."""
    spec = wanted.get(plan.workspace_id) if wanted is not None else None
    reads = plan_reads(change.kind for change in plan.changes)
    if spec is not None:  # the spec's re-derived plan must see what the spec mentions, too
        reads = reads.union(workspace_reads(spec.desired))
    live = read_live_state(connection.client, _saved_workspace(plan), None, reads,
                           organization=_created_in(plan))
    stale = stale_objects(plan, live)
    if stale:
        raise UnsafePlanError(
            f"the saved plan is stale: workspace '{_workspace_label(plan)}' changed since it was "
            "made. Nothing was applied (to any workspace). Run `plan --out` again.\n"
            + "\n".join(stale))
    if wanted is not None:
        _check_implied(plan, live, wanted, out)
    return live


def _saved_workspace(plan: Plan) -> ResolvedWorkspace | str:
    """The plan's workspace; one it creates (id 0) is looked up by name again, so that a plan
    whose workspace was created since is stale rather than run twice."""
    if plan.workspace_id == 0:
        return plan.workspace_name or ""
    return ResolvedWorkspace(plan.workspace_id, plan.workspace_name)


def _created_in(plan: Plan) -> int | None:
    """The organization a plan creates its workspace in, if it does."""
    for change in plan.changes:
        if change.kind == "workspace":
            return int(change.options["organization_id"])
    return None


def _check_implied(plan: Plan, live: LiveState, wanted: dict[int, WorkspaceSpec],
                   out: Output) -> None:
    spec = wanted.get(plan.workspace_id)
    if spec is None:
        raise UnsafePlanError(
            f"the spec does not describe workspace '{_workspace_label(plan)}' (id "
            f"{plan.workspace_id}), which the saved plan changes. Nothing was applied.")
    fresh = build_plan(spec.desired, replace(live, tier=spec.workspace.tier or live.tier))
    extra = unimplied_changes(plan, fresh)
    if extra:
        raise UnsafePlanError(
            "the saved plan makes changes that the spec does not ask for (the plan was made from "
            "another spec, or edited). Nothing was applied. Run `plan --out` again.\n"
            + "\n".join(extra))
    if spec.desired.spec_hash != plan.spec_hash:
        # E.g. another pull request merged first: only the reviewed changes are applied.
        left = len(fresh.changes) - len(plan.changes)
        out.info("Note: the spec changed since the plan was made; every change in the plan is "
                 "still one it asks for, so the plan is applied"
                 + (f"; {left} other change(s) it asks for will show in the next plan." if left > 0
                    else "."))
