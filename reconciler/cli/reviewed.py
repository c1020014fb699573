"""`apply SPEC --reviewed-plan FILE...`: re-plan, and apply only what a reviewer has already seen.

`apply --plan FILE` applies one saved plan exactly and refuses it once anything it touches moved.
In CI that breaks on every pair of pull requests merged back to back: the second plan was made
before the first was applied. This mode re-plans the spec as merged and applies the new plan when
each of its changes was shown in one of the reviewed plans (the plans posted on the merged pull
requests); otherwise it refuses with exit 3, lists what nobody reviewed, and writes nothing.
`--plan-out` / `--markdown-out` save the new plan either way, so CI can post it for review.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Mapping, Sequence

from reconciler.cli.connection import connect
from reconciler.cli.output import Output
from reconciler.cli.plan_apply import (
    WorkspacePlan,
    _execute,
    _load,
    load_plan_file,
    plan_workspace,
)
from reconciler.cli.saved_plans import connection_target, save_plan_file, signing_key
from reconciler.cli.targeting import check_billing_gate
from reconciler.cli.workspace_refs import resolve_specs
from reconciler.engine.plan import Plan
from reconciler.engine.reviewed import Unreviewed, unreviewed_changes
from reconciler.errors import EXIT_OK, UnsafePlanError, UsageError
from reconciler.render import RENDERERS, render_markdown_plans
from reconciler.server_clock import ServerClock
from reconciler.untrusted import quoted
from reconciler.render.text import change_headline


def add_reviewed_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reviewed plans (CI after a merge)")
    group.add_argument("--reviewed-plan", dest="reviewed_plans", action="append", default=None,
                       metavar="FILE",
                       help="re-plan SPEC and apply only if every change was shown in one of "
                            "these saved plans (repeatable); exit 3 and nothing applied otherwise")
    group.add_argument("--plan-out", default=None, metavar="FILE",
                       help="with --reviewed-plan: save the new plan (JSON), applied or not")
    group.add_argument("--markdown-out", default=None, metavar="FILE",
                       help="with --reviewed-plan: write the new plan as Markdown")


def wants_reviewed_apply(args: argparse.Namespace) -> bool:
    if args.reviewed_plans:
        return True
    if getattr(args, "plan_out", None) or getattr(args, "markdown_out", None):
        raise UsageError("--plan-out and --markdown-out go with --reviewed-plan")
    return False


def run_reviewed_apply(args: argparse.Namespace, env: Mapping[str, str], out: Output) -> int:
    if args.plan_file:
        raise UsageError("--plan FILE applies one saved plan exactly; --reviewed-plan re-plans "
                         "SPEC: use one or the other")
    if not args.specs:
        raise UsageError("--reviewed-plan needs the SPEC files to re-plan")
    specs = _load(args)
    with connect(args, env, out) as connection:
        clock = ServerClock(connection.client)  # before the reads: settles need server time
        key, target = signing_key(connection), connection_target(connection)
        # Reviewed plans must be this credential's own `plan --out` files for this API: a plan
        # artifact forged or made elsewhere cannot widen what the merge applies.
        reviewed = [plan for path in args.reviewed_plans
                    for plan in load_plan_file(Path(path), key, target)]
        workspaces, lookup_reads = resolve_specs(connection, specs, out)
        results = [plan_workspace(connection, spec, force=args.force,
                                  extra_reads=lookup_reads if number == 0 else 0, args=args,
                                  strict=len(workspaces) == 1)
                   for number, spec in enumerate(workspaces)]
        _show_and_save(results, args, env, out, key)
        _refuse_unsafe(results)
        _refuse_unreviewed(results, reviewed, len(args.reviewed_plans), args.plan_out)
        check_billing_gate([result.plan for result in results], args)
        for result in results:
            if result.plan.has_changes:
                _execute(connection, result.plan, result.live, args.wait_for_quota, out, clock)
            else:
                out.out(f"No changes for workspace {_label(result.plan)}.")
    return EXIT_OK


def _show_and_save(results: Sequence[WorkspacePlan], args: argparse.Namespace,
                   env: Mapping[str, str], out: Output, key: bytes) -> None:
    documents = [result.plan.to_json() for result in results]
    for result, document in zip(results, documents):
        if len(results) > 1:
            out.out(f"=== Workspace {_label(result.plan)} ===")
        out.out(RENDERERS["text"](document, color=out.color).rstrip("\n"))
    markdown = out.scrub(render_markdown_plans(documents).rstrip("\n"))
    if args.markdown_out:
        Path(args.markdown_out).write_text(markdown + "\n", encoding="utf-8")
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(markdown + "\n")
    # As with `plan --out`: a plan over the thresholds is shown, never saved.
    if args.plan_out and not any(result.unsafe for result in results):
        save_plan_file(Path(args.plan_out), documents, key)


def _refuse_unsafe(results: Sequence[WorkspacePlan]) -> None:
    problems = [f"[{_label(r.plan)}] {p}" for r in results for p in r.unsafe]
    if problems:
        raise UnsafePlanError("refused: the plan removes more than the safety thresholds allow. "
                              "Nothing was applied.\n" + "\n".join(problems))


def _refuse_unreviewed(results: Sequence[WorkspacePlan], reviewed: Sequence[Plan],
                       files: int, saved_to: str | None) -> None:
    problems: list[Unreviewed] = []
    for result in results:
        problems.extend(unreviewed_changes(result.plan, reviewed))
    if not problems:
        return
    lines = [f"  {change_headline(p.change.to_json())}: {p.why}" for p in problems]
    count = len(problems)
    raise UnsafePlanError(
        f"refused: {count} change{'s' if count != 1 else ''} of the new plan "
        f"{'were' if count != 1 else 'was'} not shown in the {files} reviewed "
        f"plan{'s' if files != 1 else ''}. Nothing was applied.\n" + "\n".join(lines) +
        "\n" + (f"The new plan is saved in {saved_to} for review." if saved_to else
                "To apply it: save it with --plan-out FILE, review it, then pass "
                "--reviewed-plan FILE."))


def _label(plan: Plan) -> str:
    return quoted(plan.workspace_name) if plan.workspace_name else str(plan.workspace_id)
