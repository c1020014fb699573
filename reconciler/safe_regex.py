"""House-rule patterns are attacker input (they arrive in pull requests): matched in bounded time.

The engine is google-re2 (a declared dependency) where it imports: linear time in the subject
for every pattern it accepts. Backreferences, lookaround and conditionals are refused whatever
the engine (RE2 has none of them), so a spec's validity does not depend on the machine. Where
re2 does not import, Python's `re` is used only for patterns without the further constructs that
make it backtrack exponentially: a repeat inside a repeat, or an alternation under a repeat,
such as `(a+)+` or `(a|aa)*`. Both bound the pattern's and the subject's length.
Patterns are searched (like JSON Schema's `pattern`): anchor them with `^...$` to match whole names.
Pattern and name are both taken in NFC, as names compare (reconciler.model), so a pattern
typed with a decomposed `é` matches the composed one.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Callable

try:  # pragma: no cover - which branch runs depends on the machine
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None

try:  # Python 3.11+
    import re._parser as _sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]

MAX_PATTERN_LENGTH = 512
# Names are at most 255 bytes in Toggl; a longer subject (a hostile server's name) is not
# searched at all, so that even a polynomial pattern stays bounded: it counts as no match
# (cutting it instead could make `$` match where the name does not end).
MAX_SUBJECT_LENGTH = 1024
ENGINE = "re2" if _re2 is not None else "re"

Matcher = Callable[[str], bool]


class PatternError(ValueError):
    """The pattern is not a regular expression this tool evaluates; the message says why."""


_WITHOUT_RE2 = ("without google-re2 installed, Python's re could take exponential time on it "
                "(install google-re2 to allow it)")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_REFUSED = {
    "GROUPREF": "backreferences",
    "GROUPREF_EXISTS": "conditional groups",
    "ASSERT": "lookahead/lookbehind",
    "ASSERT_NOT": "lookahead/lookbehind",
}


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Matcher:
    """A matcher that says whether `pattern` occurs in a name; PatternError when refused."""
    pattern = unicodedata.normalize("NFC", pattern)
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is {len(pattern):,} characters long; at most "
                           f"{MAX_PATTERN_LENGTH} are allowed")
    parsed = _parse(pattern)
    _refuse_constructs(parsed, inside_repeat=False, backtracking=_re2 is None)
    search = _re2_search(pattern) if _re2 is not None else re.compile(pattern).search

    def matches(name: str) -> bool:
        return (len(name) <= MAX_SUBJECT_LENGTH
                and search(unicodedata.normalize("NFC", name)) is not None)
    return matches


def _parse(pattern: str) -> Any:
    try:
        return _sre_parse.parse(pattern)
    except re.error as error:
        raise PatternError(f"not a valid regular expression: {error}") from None
    except RecursionError:
        raise PatternError("the pattern nests too deeply") from None


def _re2_search(pattern: str) -> Callable[[str], Any]:
    try:
        return _re2.compile(pattern).search  # type: ignore[union-attr]
    except Exception as error:  # re2.error; Python's parser accepted what RE2 does not
        raise PatternError(f"not a regular expression RE2 evaluates: {error}") from None


def _refuse_constructs(parsed: Any, inside_repeat: bool, backtracking: bool) -> None:
    """Refuses what no engine bounds; with `backtracking` (Python's re) nested repeats too."""
    for op, value in parsed:
        name = str(op)
        if name in _REFUSED:
            raise PatternError(f"{_REFUSED[name]} are not allowed (they cannot be evaluated "
                               "in bounded time)")
        if name in _REPEATS:
            low, high, body = value
            repeats = high is _sre_parse.MAXREPEAT or high > 1
            if backtracking and inside_repeat and repeats:
                raise PatternError("a repeated group holds another repeat, such as (a+)+: "
                                   f"{_WITHOUT_RE2}; write it without nesting")
            _refuse_constructs(body, inside_repeat or repeats, backtracking)
        elif name == "BRANCH":
            if backtracking and inside_repeat:
                raise PatternError("an alternation under a repeat, such as (a|ab)*: "
                                   f"{_WITHOUT_RE2}; use a character class or no repeat")
            for branch in value[1]:
                _refuse_constructs(branch, inside_repeat, backtracking)
        elif name == "SUBPATTERN":
            _refuse_constructs(value[-1], inside_repeat, backtracking)
        elif name == "ATOMIC_GROUP":
            _refuse_constructs(value, inside_repeat, backtracking)
