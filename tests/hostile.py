"""The shared corpus of hostile names, and what each output channel's consumer would see.

Every test of an output channel (text plan, Markdown, step summary, JSON, apply progress,
warnings, errors, doctor, export) runs these names through it and asserts with the checks
below: what a terminal, a GitHub Actions log or GitHub's Markdown renderer would act on.
"""

from __future__ import annotations

import html
import re
import unicodedata

STICKY_MARKER = "<!-- toggl-reconciler plan -->"

# Each string is a name as an attacker would set it in the workspace or the spec.
HOSTILE: dict[str, str] = {
    "cr": "Apply complete: 1 of 1 changes applied\rShort",
    "lf": "line\n::error::injected",
    "crlf": "a\r\n##[error]fake annotation",
    "ls": "Q1\u2028Q2",
    "ps": "P1\u2029P2",
    "nel": "Q1\x85Q2",
    "tab": "tab\there",
    "esc_clear": "\x1b[2J\x1b[Hscreen cleared",
    "esc_colour": "\x1b[31mred\x1b[0m",
    "osc_title": "\x1b]0;owned\x07title",
    "c1_csi": "\x9b31mC1 CSI",
    "del": "del\x7fete",
    "bidi": "\u202eevil\u202c txt",
    "isolate": "\u2067reorder\u2069",
    "zero_width": "zero\u200bwidth",
    "group": "##[group]Nothing to review",
    "add_mask": "x##[add-mask]",
    "set_env": "##[set-env name=X]1",
    "leading_colons": "::error::fake",
    "indented_colons": "  ::warning::fake",
    "percent": "tag%0A::error::x%0D%1B",
    "issue": "#1",
    "cross_repo": "acme/infra#12",
    "gh": "GH-7",
    "sha": "a5c3785ed8d6a35868bc169f07e40e889087fd2e",
    "team": "@org/team",
    "details": "</details>",
    "marker": STICKY_MARKER,
    "surrogate": "lone \ud800 surrogate",
    "slash": "Ops/Payroll",
    "long": "L" * 3000,
}

# The names a spec can hold by today's schema rules are decided by the spec itself (tests ask
# reconciler.spec); these can never be held: YAML cannot carry a lone surrogate and the schema
# refuses a line feed in a name.
NEVER_HOLDABLE = frozenset({"lf", "crlf", "surrogate"})

_OWN_MARKER = re.compile(r"^::(stop-commands::[0-9a-f]{32}|[0-9a-f]{32}::)$")
_COLOUR = re.compile("\x1b\\[(?:0|3[1-6])m")


def log_lines(text: str) -> list[str]:
    """Lines as the GitHub Actions runner splits them (LF; a CR before it is dropped)."""
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def runner_commands(text: str) -> list[str]:
    """The workflow commands a GitHub Actions runner would act on in this log, in order.

    A model of the runner: `::name ...::message` at a line's start (after whitespace) is a
    command unless `::stop-commands::TOKEN` has paused processing; only `::TOKEN::` resumes it.
    Pause and resume themselves are not listed.
    """
    commands: list[str] = []
    paused_by: str | None = None
    for line in log_lines(text):
        command = line.lstrip()
        if paused_by is not None:
            if command == f"::{paused_by}::":
                paused_by = None
            continue
        if command.startswith("::stop-commands::"):
            paused_by = command[len("::stop-commands::"):]
        elif command.startswith("::"):
            commands.append(command)
    return commands


def assert_log_safe(text: str, *, allowed: tuple[str, ...] = ()) -> None:
    """No line a GitHub Actions runner or its log viewer would act on, but the tool's own
    annotations (commands starting with one of `allowed`)."""
    assert "\r" not in text, "a raw CR"
    for line in log_lines(text):
        assert "##[" not in line, f"a log-viewer command in {line!r}"
    for command in runner_commands(text):
        assert command.startswith(allowed) if allowed else False, f"a workflow command: {command!r}"


def assert_no_raw_commands(text: str) -> None:
    """Not even a paused runner would see a command spelled by a name: no line starts with `::`
    but the tool's own stop/resume markers."""
    for line in log_lines(text):
        if line.lstrip().startswith("::"):
            assert _OWN_MARKER.match(line), f"a workflow command: {line!r}"


def assert_terminal_safe(text: str, *, colour: bool = False) -> None:
    """No escape sequence (but the tool's own colours), control, separator, bidi or surrogate."""
    if colour:
        text = _COLOUR.sub("", text)
    for char in text:
        if char == "\n":
            continue
        category = unicodedata.category(char)
        assert category not in ("Cc", "Zl", "Zp", "Cs"), f"raw {char!r} in output"
        assert not 0x202A <= ord(char) <= 0x202E and not 0x2066 <= ord(char) <= 0x2069, \
            f"raw bidi {char!r}"


# ---------------------------------------------------------------- Markdown as GitHub reads it

_FENCE = re.compile(r"^ *(`{3,})[a-z]*\n.*?^ *\1$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)  # not at \\`
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_REFERENCE = re.compile(r"(?<![0-9A-Za-z&])#[0-9]|\bGH-[0-9]|@[A-Za-z0-9]|"
                        r"(?<![0-9A-Za-z])(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}(?![0-9A-Za-z])",
                        re.IGNORECASE)


def github_text(markdown: str) -> str:
    """The text GitHub's reference and mention filters read: code removed, escapes resolved."""
    text = _FENCE.sub("", markdown)
    text = _CODE_SPAN.sub("", text)
    return html.unescape(_BACKSLASH_ESCAPE.sub(r"\1", text))


def assert_markdown_inert(markdown: str) -> None:
    """No link, issue reference, mention, raw HTML closing a section, or sticky marker."""
    assert STICKY_MARKER not in markdown, "the sticky marker"
    outside_code = _CODE_SPAN.sub("", _FENCE.sub("", markdown))
    assert outside_code.count("<details>") == outside_code.count("</details>")
    found = _REFERENCE.findall(github_text(markdown))
    assert not found, f"GitHub would link or mention {found}"
