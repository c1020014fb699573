"""`--target`/`--exclude` and the billing gate for `plan` and `apply` (flags and checks).

The selection itself is pure (reconciler.engine.targeting); this module reads the flags, builds
the list of known addresses a no-match error compares against, and raises the gate's refusal.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import replace
from typing import Sequence

from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.targeting import (
    fitting_targets,
    known_addresses,
    select,
    selection_of,
    unmatched_everywhere,
    workspace_kind_addresses,
)
from reconciler.errors import UnsafePlanError, UsageError
from reconciler.model import DesiredState, LiveState, project_address
from reconciler.untrusted import quoted

_SELECTOR_HELP = ("KIND:PATTERN, repeatable: KIND is client, project, tag, group, member, task, "
                  "settings or workspace; PATTERN an address as the plan prints it (projects "
                  "Client/Project, tasks Client/Project/Task), globs allowed, any case")


def add_targeting_flags(parser: argparse.ArgumentParser, *, apply: bool = False) -> None:
    parser.add_argument("--target", action="append", default=[], metavar="KIND:PATTERN",
                        help="plan only matching changes, plus what they need; " + _SELECTOR_HELP)
    parser.add_argument("--exclude", action="append", default=[], metavar="KIND:PATTERN",
                        help="leave matching changes out, and what needs them; " + _SELECTOR_HELP)
    if apply:
        parser.add_argument("--allow-billing-changes", action="store_true",
                            help="apply billing changes (rates, billable, estimates, moves, "
                                 "deleted time) when the spec sets safety.billing_changes: "
                                 "require-flag")


def narrow(plan: Plan, args: argparse.Namespace, desired: DesiredState, live: LiveState, *,
           strict: bool = True) -> Plan:
    """The plan with the spec's billing policy, narrowed to the command line's selectors."""
    plan = replace(plan, billing_policy=desired.safety.billing_changes)
    selection = selection_of(getattr(args, "target", None), getattr(args, "exclude", None))
    if not selection.active:
        return plan
    return select(plan, selection, _known(desired, live), strict=strict)


def raise_unmatched(plans: Sequence[Plan]) -> None:
    """Exit 1 for a selector that matched nothing in any workspace of a multi-workspace plan."""
    if len(plans) < 2 or not all(plan.targeting for plan in plans):
        return
    nowhere = unmatched_everywhere([plan.targeting for plan in plans])
    if nowhere:
        raise UsageError("\n".join(f"{quoted(text)} matches nothing in any of the "
                                   f"{len(plans)} workspaces" for text in nowhere))


def _known(desired: DesiredState, live: LiveState) -> dict[str, list[tuple[str, str]]]:
    client_names = {client.id: client.name for client in live.clients}
    projects = [p.address for p in desired.projects] + [
        project_address(client_names.get(p.client_id) if p.client_id else None, p.name)
        for p in live.projects]
    return {**known_addresses([c.name for c in desired.clients] + [c.name for c in live.clients],
                              projects,
                              [t.name for t in desired.tags] + [t.name for t in live.tags]),
            **workspace_kind_addresses(desired, live)}


def refuse_selectors_with_saved_plan(args: argparse.Namespace) -> None:
    """A saved plan applies exactly what it shows: narrow it when it is made, not here."""
    if getattr(args, "target", None) or getattr(args, "exclude", None):
        raise UsageError("--target/--exclude choose changes when a plan is made; a saved plan "
                         "applies exactly what it shows. Run `plan --out FILE` with them instead.")


def check_billing_gate(plans: Sequence[Plan], args: argparse.Namespace,
                       spec_policy: str | None = None) -> None:
    """Exit 3 before any write when a plan holds billing changes its policy gates."""
    if getattr(args, "allow_billing_changes", False):
        return
    gated = [plan for plan in plans
             if "require-flag" in (plan.billing_policy, spec_policy) and plan.billing_changes]
    if not gated:
        return
    lines = [f"  {change.action.value} {change.kind} {quoted(change.address)}"
             f"{_billing_detail(change)}"
             for plan in gated for change in plan.billing_changes]
    raise UnsafePlanError(
        f"refused: the plan holds {len(lines)} billing change{'' if len(lines) == 1 else 's'} "
        "and the spec sets safety.billing_changes: require-flag. Nothing was applied.\n"
        + "\n".join(lines)
        + "\nReview them, then re-run with --allow-billing-changes, or leave them out with "
          "--exclude KIND:PATTERN.")


def _billing_detail(change: Change) -> str:
    if change.action is Action.DELETE:
        return " (deletes its tracked time)"
    fields = sorted({f.field for f in change.fields if f.field in change.billing_fields
                     and f.before != f.after
                     and not (change.action is Action.CREATE and f.field == "client")})
    return f" ({', '.join(fields)})" if fields else ""


def quota_hint(plan: Plan, remaining: int | None, *, saved: bool = False) -> str:
    """The `--target` flags of the changes that fit the quota left, for the exit-4 message
    (for a saved plan, which applies exactly what it shows: flags for a new `plan --out`)."""
    if remaining is None or remaining <= 0 or not plan.changes:
        return ""
    lines = fitting_targets(plan, remaining)
    if not lines:
        return ""
    flags = " ".join(f"--target {shlex.quote(line)}" for line in lines)
    how = "make a new plan with `plan SPEC --out FILE` and" if saved else "add"
    return (f"\nTo apply what fits now ({len(lines)} of {len(plan.changes)} changes), {how}: "
            f"{flags}")
