"""Names, notes and workspace names are attacker input: how they are made inert in output (pure).

Any workspace member can rename an object, and a pull request can name one, so a name may hold
terminal escape sequences, carriage returns and line feeds, bidirectional overrides, lone UTF-16
surrogates, or text a CI log acts on (`##[group]` anywhere in a line, `::command::` at its start).

Two layers, both here so every channel uses the same rules:
- `shown(name)` / `quoted(name)`: for formatting one untrusted string INTO a message. Everything
  that could start a new line, drive a terminal, reorder text or hide a character is written as
  a visible `\\uXXXX` escape, and CI-log commands are broken. The result is one line, always.
- `safe_line(line)`: the last pass `Output` runs over every line it writes to a terminal or
  log, whatever made it: the same escapes, but a line may keep its zero-width characters
  (the Markdown renderer adds some on purpose) and, when colour is on, the tool's own colours.

The escapes read like JSON's and YAML's double-quoted `\\uXXXX`, so a JSON string that is
escaped this way still decodes to the original name.
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls (LF, CR, ESC, TAB and NEL among them), DEL, the Unicode line and paragraph
# separators, bidirectional embeddings/overrides/isolates/marks ("Trojan Source") and lone
# UTF-16 surrogates (which no encoder writes, so they crash output instead).
_TERMINAL_UNSAFE = (
    "\x00-\x1f\x7f-\x9f\u2028\u2029"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff"
)
# Invisible format characters besides those: soft hyphen, zero-width space/joiners, word joiner,
# invisible operators, BOM, interlinear annotation and tag characters. Shown in names so that
# two names differing only by them look different.
_INVISIBLE = "\u00ad\u180e\u200b-\u200d\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"

UNSAFE_CHARS = _NAME_UNSAFE = re.compile(f"[{_TERMINAL_UNSAFE}{_INVISIBLE}]")
_LINE_UNSAFE = re.compile(f"[{_TERMINAL_UNSAFE}]")
# The same but for C0 controls, which `json.dumps` escapes itself inside strings (and LF stays
# a JSON document's own line break between values).
UNSAFE_BEYOND_C0 = re.compile(f"[{_TERMINAL_UNSAFE[len(chr(0) + '-' + chr(0x1f)):]}{_INVISIBLE}]")
# The colours the text renderer paints with (reconciler.render.text): SGR 0 and 31-36 only.
_TOOL_COLOUR = re.compile("\x1b\\[(?:0|3[1-6])m")
# GitHub's log viewer acts on `##[command]` anywhere in a line; the runner on `::command` at
# the start of a line, after leading whitespace.
_LOG_COMMAND = "##["
_LOG_COMMAND_SHOWN = "#\\u0023["
_LEADING_COMMAND = re.compile(r"^(\s*):(?=:)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape_chars(text: str) -> str:
    """`text` with every control, separator, bidi, surrogate and invisible character escaped.

    Nothing else changes, so it is also the escape for text inside JSON strings.
    """
    return _NAME_UNSAFE.sub(_escape, text)


def break_log_commands(text: str) -> str:
    """`##[` and a leading `::` written so that no CI runner or log viewer acts on them."""
    return _LEADING_COMMAND.sub(r"\1\\u003a", text.replace(_LOG_COMMAND, _LOG_COMMAND_SHOWN))


def shown(value: Any) -> str:
    """An untrusted string made safe to format into a message: one line, inert, visible."""
    return break_log_commands(escape_chars(str(value)))


def quoted(value: Any) -> str:
    """`'name'`, for messages: `shown` between single quotes."""
    return f"'{shown(value)}'"


def safe_line(line: str, *, keep_colour: bool = False) -> str:
    """One line of output made safe for a terminal or CI log (the last pass, in `Output`).

    With `keep_colour`, the tool's own SGR colour codes survive; any other escape sequence
    is shown as text.
    """
    if keep_colour and "\x1b" in line:
        pieces = _TOOL_COLOUR.split(line)
        codes = _TOOL_COLOUR.findall(line)
        escaped = [_LINE_UNSAFE.sub(_escape, piece) for piece in pieces]
        line = escaped[0] + "".join(code + piece for code, piece in zip(codes, escaped[1:]))
    else:
        line = _LINE_UNSAFE.sub(_escape, line)
    return break_log_commands(line)


def safe_lines(text: str, *, keep_colour: bool = False) -> str:
    """`safe_line` over every line of `text`; LF stays the only line break."""
    return "\n".join(safe_line(line, keep_colour=keep_colour) for line in text.split("\n"))
