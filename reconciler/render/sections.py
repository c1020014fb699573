"""The partial-plan note (`--target`/`--exclude`) and the billing section, for both renderers.

Pure, and self-contained so that each renderer calls it from one line: `text_sections(plan)`
after the summary, `markdown_sections(plan, md_escape)` after the removals.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from reconciler.render.common import billing_changes, escape_unsafe, plural, quote_value

# Past this many, a Markdown comment counts the rest (its size is bounded); text lists them all.
_MARKDOWN_ITEMS = 30


def billing_detail(change: Mapping[str, Any]) -> str:
    """What about the change moves money, e.g. `rate: 90 -> 120` or `destroys tracked time`."""
    if change.get("action") == "delete":
        return "destroys its tracked time"
    parts = []
    for item in change.get("fields") or ():
        if item["field"] in _MONEY_FIELDS and item.get("before") != item.get("after"):
            if change.get("action") == "create":
                if item["field"] == "client":  # where it is made: no money moves by it
                    continue
                parts.append(f"{item['field']}: {quote_value(item.get('after'))}")
            else:
                parts.append(f"{item['field']}: {quote_value(item.get('before'))} -> "
                             f"{quote_value(item.get('after'))}")
    return ", ".join(parts)


_MONEY_FIELDS = frozenset({"billable", "rate", "currency", "fixed_fee", "estimated_hours",
                           "auto_estimates", "client",
                           # workspace settings: what new projects bill, how time is rounded
                           "default_hourly_rate", "default_currency",
                           "projects_billable_by_default", "projects_enforce_billable",
                           "rounding", "rounding_minutes"})


def _billing_policy_note(plan: Mapping[str, Any]) -> str:
    policy = (plan.get("billing") or {}).get("policy")
    if policy == "require-flag":
        return "safety.billing_changes is require-flag: apply needs --allow-billing-changes."
    return ""


_MARKDOWN_POLICY = ("`safety.billing_changes` is `require-flag`: apply needs "
                    "`--allow-billing-changes`.")


def _partial_lines(plan: Mapping[str, Any]) -> list[str]:
    """What `--target`/`--exclude` left out, pulled in and dropped, as raw lines."""
    record = plan.get("targeting")
    if not record:
        return []
    selectors = [f"--target {t}" for t in record.get("targets", [])] + \
        [f"--exclude {e}" for e in record.get("excludes", [])]
    left_out = int(record.get("left_out", 0))
    total = int(record.get("total_changes", 0))
    lines = [f"This plan is partial ({escape_unsafe(' '.join(selectors))}): {left_out} of "
             f"{plural(total, 'change')} left out; apply carries out only the changes shown."]
    for label, entries in (("pulled in", record.get("pulled_in", [])),
                           ("dropped", record.get("dropped", []))):
        for entry in entries:
            lines.append(f"{label}: {_subject(entry)}{_because(entry.get('because') or {})}")
    return lines


def _because(because: Mapping[str, Any]) -> str:
    if not because:
        return ""
    return f", {escape_unsafe(str(because.get('relation')))} {_subject(because)}"


def text_sections(plan: Mapping[str, Any]) -> str:
    """The partial note and the billing section as text blocks ("" when neither applies)."""
    blocks = []
    partial = _partial_lines(plan)
    if partial:
        blocks.append("\n".join([partial[0], *("  " + line for line in partial[1:])]))
    billing = billing_changes(plan)
    if billing:
        lines = [f"Billing changes ({len(billing)}): these move money."]
        lines += [f"  {_subject(change)}: {billing_detail(change)}" for change in billing]
        note = _billing_policy_note(plan)
        blocks.append("\n".join(lines + ([note] if note else [])))
    return "\n\n".join(blocks)


def markdown_sections(plan: Mapping[str, Any], escape: Callable[[Any], str],
                      budget: int) -> str:
    """The partial note and the billing section as Markdown, within `budget` characters
    ("" when neither applies; items are counted instead of listed when they do not fit)."""
    partial = _partial_lines(plan)
    head = [f"> {escape(partial[0])}"] if partial else []
    note = _bounded("> [!NOTE]", head, [f"> - {escape(line)}" for line in partial[1:]],
                    budget // 2 if billing_changes(plan) else budget) if partial else ""
    billing = billing_changes(plan)
    if not billing:
        return note
    policy = _billing_policy_note(plan)
    items = [f"> - {escape(_subject(change))}: {escape(billing_detail(change))}"
             for change in billing[:_MARKDOWN_ITEMS]]
    head = [f"> **Billing changes** ({len(billing)}): these move money."
            + (f" {_MARKDOWN_POLICY}" if policy else "")]
    return note + _bounded("> [!IMPORTANT]", head, items, budget - len(note), len(billing))


def _bounded(title: str, head: list[str], items: Sequence[str], budget: int,
             total: int | None = None) -> str:
    """title, head lines, then the items that fit, then a line counting the rest."""
    total = len(items) if total is None else total
    fixed = [title, *head]
    overflow = f"> - ... and {total} more (see the JSON plan)"
    used = sum(len(line) + 1 for line in fixed) + 1 + len(overflow) + 1
    if used > budget:
        return ""
    kept = []
    for item in items:
        if used + len(item) + 1 > budget:
            break
        kept.append(item)
        used += len(item) + 1
    if len(kept) < total:
        kept.append(f"> - ... and {total - len(kept)} more (see the JSON plan)")
    return "\n".join(fixed + kept) + "\n\n"


def _subject(change: Mapping[str, Any]) -> str:
    return (f"{escape_unsafe(str(change['action']))} {escape_unsafe(str(change['kind']))} "
            f"{quote_value(change['address'])}")
