"""Plan JSON -> GitHub Markdown for a pull-request comment or $GITHUB_STEP_SUMMARY.

The summary, the bill and every removal come first, so a reviewer sees what would be lost
without opening anything; details follow in collapsed sections. The output never exceeds
`max_chars` (GitHub refuses comments over 65,536 characters): past the budget, details stop and
a closing note says how many changes were left out.

Names are user data: inline they are backslash-escaped and HTML-escaped, and `@` is split so a
name cannot mention anyone; in code blocks the fence is longer than any backtick run inside.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from reconciler.render.common import (
    ACTIONS,
    HTML_COMMENT,
    REMOVALS,
    SYMBOLS,
    action_counts,
    action_verb,
    adopt_intro,
    adopt_snippet,
    bill_line,
    change_note,
    change_subject,
    change_total,
    compact_groups,
    compact_names,
    destroys_time_entries,
    escape_unsafe,
    hours,
    kind_count,
    list_delta,
    plural,
    quote_value,
    rename_names,
    shown_fields,
)
from reconciler.render.kinds import kind_words, kinds_in_order
from reconciler.render.sections import markdown_sections
from reconciler.untrusted import escape_chars

__all__ = ["MAX_COMMENT_CHARS", "md_escape", "render_markdown", "render_markdown_plans"]

# GitHub refuses comments over 65,536 characters; the rest is room for the workflow's own
# lines (the sticky marker) around the plan.
MAX_COMMENT_CHARS = 60_000
_PLAN_SEPARATOR = "\n"

# ASCII punctuation that CommonMark lets a backslash escape; & < > become entities instead
# (so raw HTML such as `</details>` cannot close our sections) and @ is handled apart.
_MD_PUNCTUATION = re.compile(r"([!-%'-/:;=?\[-`{-~])")
_BACKTICK_RUN = re.compile(r"`+")
_ZERO_WIDTH_SPACE = "\u200b"
# After escaping: `\#` or `GH\-` (any case) before a digit; a run of 7 to 40 hex characters.
_ISSUE_REFERENCE = re.compile(r"(\\#|\b[Gg][Hh]\\-)(?=[0-9])")
_COMMIT_REFERENCE = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{7,40}(?![0-9A-Za-z])")


def render_markdown_plans(
    plans: Sequence[Mapping[str, Any]], *, max_chars: int = MAX_COMMENT_CHARS,
    plan_file_hint: str = "the JSON plan", compact: bool = False,
) -> str:
    """Several workspaces' plans as ONE comment of at most `max_chars` characters.

    The budget is shared: a plan that needs less than an even share leaves the rest to the
    others (largest last), so small plans are shown whole and big ones are cut, each by its
    own closing note.
    """
    if not plans:
        return ""
    budget = max_chars - len(_PLAN_SEPARATOR) * (len(plans) - 1)
    full = [render_markdown(plan, max_chars=budget, plan_file_hint=plan_file_hint,
                            comment_chars=max_chars, compact=compact) for plan in plans]
    if sum(map(len, full)) <= budget:
        return _PLAN_SEPARATOR.join(full)
    shares = _shares([len(text) for text in full], budget)
    texts = [text if len(text) <= share else
             render_markdown(plan, max_chars=share, plan_file_hint=plan_file_hint,
                             comment_chars=max_chars, compact=compact)
             for plan, text, share in zip(plans, full, shares)]
    return _PLAN_SEPARATOR.join(texts)


def _shares(needs: Sequence[int], budget: int) -> list[int]:
    """Split `budget` so that no one gets more than it needs and the rest is split evenly."""
    shares = [0] * len(needs)
    left = budget
    order = sorted(range(len(needs)), key=lambda index: needs[index])
    for position, index in enumerate(order):
        share = min(needs[index], left // (len(needs) - position))
        shares[index] = share
        left -= share
    return shares


def render_markdown(
    plan: Mapping[str, Any], *, max_chars: int = MAX_COMMENT_CHARS,
    plan_file_hint: str = "the JSON plan", comment_chars: int | None = None,
    compact: bool = False,
) -> str:
    """The plan as Markdown of at most `max_chars` characters; with `compact`, the details are
    one line per kind and action (counts and the first few names).

    `comment_chars` is the size limit of the whole comment, as the closing note states it,
    when this plan is one of several sharing it (default: `max_chars`).

    `plan_file_hint` is Markdown written by the caller (e.g. a link to the plan artifact) and is
    inserted as is.
    """
    changes = plan.get("changes") or []
    unmanaged = plan.get("unmanaged") or []
    # Room for the closing lines is set aside first, at their longest, so they always fit.
    limit = max_chars if comment_chars is None else comment_chars
    note_reserve = len(_omitted_note(len(changes), len(changes), limit, plan_file_hint))
    unmanaged_short = _unmanaged_omitted(len(unmanaged))
    reserve = note_reserve + len(unmanaged_short)
    head = _head(plan, max_chars - reserve)
    if compact:
        details, shown = _compact_details(plan), len(changes)
    else:
        details, shown = _details(changes, max_chars - reserve - len(head))
    room_left = max_chars - len(head) - len(details) - (note_reserve if shown < len(changes) else 0)
    parts = [head, details]
    if unmanaged:
        unmanaged_full = _unmanaged_section(unmanaged)
        parts.append(unmanaged_full if len(unmanaged_full) <= room_left else unmanaged_short)
    if shown < len(changes):
        parts.append(_omitted_note(len(changes) - shown, len(changes), limit, plan_file_hint))
    return _hard_limit("".join(parts), max_chars)


def md_escape(text: Any) -> str:
    """User text made inert in inline Markdown: no formatting, HTML, links or mentions.

    GitHub links `#12`, `org/repo#12`, `GH-12` and commit SHAs whatever the backslashes (its
    reference filter reads the rendered text), and notifies the issues so referenced: a
    zero-width space after the `#`, the `GH-` or every sixth character of a SHA breaks the reference
    while the reader sees the same name, as the one after `@` does for mentions. Backslashes
    before every punctuation mark also break `##[` and a leading `::` for a CI log (`cat`).
    """
    escaped = _MD_PUNCTUATION.sub(r"\\\1", escape_chars(str(text)))
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace("@", "@" + _ZERO_WIDTH_SPACE)
    escaped = _ISSUE_REFERENCE.sub(r"\1" + _ZERO_WIDTH_SPACE, escaped)
    return _COMMIT_REFERENCE.sub(_break_commit_reference, escaped)


def _break_commit_reference(match: re.Match[str]) -> str:
    sha = match.group()
    if not (re.search("[0-9]", sha) and re.search("[a-fA-F]", sha)):
        return sha  # a word or a number, not a SHA GitHub would link
    # Every piece shorter than the 7 characters of the shortest SHA GitHub links.
    return _ZERO_WIDTH_SPACE.join(sha[start:start + 6] for start in range(0, len(sha), 6))


# ---------------------------------------------------------------- head: always shown


def _head(plan: Mapping[str, Any], budget: int) -> str:
    """Heading, counts, bill, removals and warnings; lists shortened to stay within `budget`."""
    changes = plan.get("changes") or []
    # No user data; a by-kind bill's keys come from the plan file, so they are escaped.
    header = _heading(plan) + _counts(plan) + _bill(plan) + "\n\n"
    header += _caution(changes)
    room = budget - len(header)
    warnings = [_warning_line(text) for text in plan.get("warnings") or []]
    # Removals may use the room, but a share is kept so that warnings are not crowded out
    # (at least enough to say how many there are).
    warnings_length = sum(len(line) + 1 for line in warnings) + _WARNINGS_BLOCK_FRAME
    warnings_reserve = min(warnings_length, max(room // 5, _WARNINGS_BLOCK_FRAME))
    removals = [change for change in changes if change["action"] in REMOVALS]
    removals_block = _bounded_block(
        f"> [!WARNING]\n> {plural(len(removals), 'object')} will be archived or deleted:",
        (_item_line(change) for change in removals), len(removals),
        room - warnings_reserve, "> ", _more_not_listed,
    )
    sections = markdown_sections(plan, md_escape, room - warnings_reserve - len(removals_block))
    warnings_block = _bounded_block(
        "**Warnings**", warnings, len(warnings), room - len(removals_block) - len(sections), "",
        _more_not_listed,
    )
    return header + removals_block + sections + warnings_block


def _bill(plan: Mapping[str, Any]) -> str:
    # A by-kind line of its own: two trailing spaces are Markdown's line break.
    return bill_line(plan, md_escape).replace("\n", "  \n")


def _heading(plan: Mapping[str, Any]) -> str:
    workspace = plan.get("workspace") or {}
    name = workspace.get("name")
    workspace_id = workspace.get("id")
    # A workspace this plan creates has no id yet (the plan holds 0).
    creates = any(change["kind"] == "workspace" and change["action"] == "create"
                  for change in plan.get("changes") or ())
    where = "to be created" if creates and not workspace_id else f"id {workspace_id}"
    label = f"**{md_escape(name)}** ({where})" if name else str(workspace_id)
    return f"## Toggl plan for workspace {label}\n\n"


def _counts(plan: Mapping[str, Any]) -> str:
    if change_total(plan) == 0:
        return "No changes. The workspace matches the spec.\n\n"
    counts = action_counts(plan)
    titles = " | ".join(f"`{SYMBOLS[action]}` {action}" for action in ACTIONS)
    values = " | ".join(str(counts[action]) for action in ACTIONS)
    rule = "|".join(["---:"] * len(ACTIONS))
    return f"| {titles} | total |\n|{rule}|---:|\n| {values} | {change_total(plan)} |\n\n"


def _caution(changes: Sequence[Mapping[str, Any]]) -> str:
    destroying = [change for change in changes if destroys_time_entries(change)]
    if not destroying:
        return ""
    tracked = sum(int((change.get("blast") or {}).get("tracked_seconds", 0))
                  for change in destroying)
    return (
        "> [!CAUTION]\n"
        f"> Time entries will be DESTROYED: deleting {plural(len(destroying), 'project')} "
        f"destroys {hours(tracked)} of tracked time. These deletes are marked below.\n\n"
    )


def _warning_line(text: str) -> str:
    return "- " + " ".join(md_escape(line) for line in str(text).split("\n"))


def _more_not_listed(count: int) -> str:
    return f"- ... and {count} more not listed (the comment has a size limit)"


# Room for the warnings title and its overflow line, with any count of warnings.
_WARNINGS_BLOCK_FRAME = len("**Warnings**") + 2 + len(_more_not_listed(10**9)) + 1


# ---------------------------------------------------------------- bounded lists


def _bounded_block(
    title: str,
    lines: Iterable[str],
    total: int,
    budget: int,
    prefix: str,
    overflow: Callable[[int], str],
) -> str:
    """`title`, then as many `prefix`ed lines as fit in `budget`, then a line counting the rest.

    Empty when there are no lines. `lines` is consumed lazily: a 50,000-line list costs only
    the lines that fit.
    """
    frame = len(title) + 2  # the title's line break and the closing blank line
    overflow_length = len(prefix + overflow(total)) + 1  # fewer left out never reads longer
    if total == 0 or budget < frame + overflow_length:
        return ""
    kept = _take_fitting(
        (prefix + line + "\n" for line in lines), total, budget - frame - overflow_length,
        last_allowance=overflow_length,
    )
    tail = "" if len(kept) == total else prefix + overflow(total - len(kept)) + "\n"
    return f"{title}\n{''.join(kept)}{tail}\n"


def _take_fitting(
    pieces: Iterable[str], total: int, budget: int, last_allowance: int = 0
) -> list[str]:
    """The leading pieces that fit in `budget`. The last of all `total` pieces may also use
    `last_allowance`: the room kept for an overflow line, not needed once everything fits."""
    kept: list[str] = []
    used = 0
    for piece in pieces:
        allowance = last_allowance if len(kept) == total - 1 else 0
        if used + len(piece) > budget + allowance:
            break
        kept.append(piece)
        used += len(piece)
    return kept


# ---------------------------------------------------------------- details


def _details(changes: Sequence[Mapping[str, Any]], budget: int) -> tuple[str, int]:
    """Collapsed sections per kind, filled in order until the budget runs out."""
    sections: list[str] = []
    shown = 0
    for kind in kinds_in_order(change["kind"] for change in changes):
        of_kind = [change for change in changes if change["kind"] == kind]
        opening = f"<details><summary>{md_escape(kind_words(kind).title)}: " \
                  f"{plural(len(of_kind), 'change')}</summary>\n\n"
        closing = "\n</details>\n\n"
        items = _take_fitting(
            _change_items(of_kind), len(of_kind), budget - len(opening) - len(closing)
        )
        if not items:
            break
        section = opening + "".join(items) + closing
        sections.append(section)
        budget -= len(section)
        shown += len(items)
        if len(items) < len(of_kind):
            break  # past the budget: no more details at all, the closing note counts them
    return "".join(sections), shown


def _compact_details(plan: Mapping[str, Any]) -> str:
    """One line per kind and action: a few dozen lines at most, so it always fits."""
    lines = [f"- `{SYMBOLS[action]}` {action} {kind_count(len(addresses), kind, md_escape)}: "
             + compact_names(addresses, lambda address: f"**{md_escape(address)}**")
             for kind, action, addresses in compact_groups(plan)]
    return "**Changes**\n" + "\n".join(lines) + "\n\n" if lines else ""


def _change_items(changes: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    for change in changes:
        item = _item_line(change)
        if change.get("reason"):
            item += f" — {md_escape(change['reason'])}"
        diff = _diff(change)
        yield item + "\n" + (_fenced(diff, "diff", "  ") + "\n" if diff else "")


def _item_line(change: Mapping[str, Any]) -> str:
    return f"- {_subject(change)}{_note(change)}"


def _subject(change: Mapping[str, Any]) -> str:
    action = change["action"]
    subject = f"`{SYMBOLS[action]}` {md_escape(action_verb(change))} " \
              f"{change_subject(change, _bold, md_escape)}"
    if action == "rename":
        old_name, new_name = rename_names(change)
        subject += f" from **{md_escape(old_name)}** to **{md_escape(new_name)}**"
    return subject


def _bold(value: Any) -> str:
    return f"**{md_escape(value)}**"


def _note(change: Mapping[str, Any]) -> str:
    note = change_note(change, lambda value: md_escape(quote_value(value)))
    note = note.replace("DESTROYED", "**DESTROYED**")
    return f" ({note})" if note else ""


def _diff(change: Mapping[str, Any]) -> str:
    lines = []
    for field_change in shown_fields(change):
        name = escape_unsafe(str(field_change["field"]))
        if change["action"] != "create":
            lines.append(f"- {name}: {quote_value(field_change.get('before'))}")
        lines.append(f"+ {name}: {quote_value(field_change.get('after'))}")
        delta = list_delta(field_change, quote_value)
        if delta:
            lines.append(f"  {name} {delta}")
    # Values are JSON strings, where `\u003c` reads as `<`: no name spells the sticky marker.
    return "\n".join(lines).replace(HTML_COMMENT, "\\u003c!--")


def _fenced(body: str, info: str, indent: str = "") -> str:
    """A fenced code block whose fence no backtick run in `body` can close early."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [fence + info, *body.split("\n"), fence]
    return "\n".join(indent + line if line else line for line in lines)


# ---------------------------------------------------------------- tail


def _unmanaged_section(unmanaged: Sequence[Mapping[str, Any]]) -> str:
    return (
        f"<details><summary>Unmanaged: {plural(len(unmanaged), 'live object')} not in the spec"
        f"</summary>\n\n{adopt_intro(unmanaged)}\n\n"
        + _fenced(adopt_snippet(unmanaged).rstrip("\n"), "yaml")
        + "\n\n</details>\n\n"
    )


def _unmanaged_omitted(count: int) -> str:
    if count == 0:
        return ""
    return f"_{plural(count, 'unmanaged object')} not shown (the comment has a size limit)._\n\n"


def _omitted_note(left_out: int, total: int, max_chars: int, plan_file_hint: str) -> str:
    return (
        f"... {left_out} of {total} changes not shown (the comment is limited to "
        f"{max_chars:,} characters); see {plan_file_hint} for the full plan.\n"
    )


def _hard_limit(text: str, max_chars: int) -> str:
    # Only reachable with a budget too small for the fixed parts (heading, counts, notes).
    return text if len(text) <= max_chars else text[:max_chars]
