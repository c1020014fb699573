"""House-rule patterns are attacker input: every accepted pattern finishes fast (issue 13)."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from reconciler import safe_regex
from reconciler.safe_regex import PatternError, compile_pattern

CATASTROPHIC = ["^(a+)+$", "^(a*)*$", "^(a|aa)+$", "^(a|a?)+$", "^(([a-z])+.)+[A-Z]([a-z])+$"]
SUBJECT = "a" * 200 + "!"  # 2**200 paths for a backtracking engine


@pytest.fixture(params=["re2", "re"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "re2":
        pytest.importorskip("re2")
    else:
        monkeypatch.setattr(safe_regex, "_re2", None)
    compile_pattern.cache_clear()
    yield request.param
    compile_pattern.cache_clear()


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_a_catastrophic_pattern_is_refused_or_finishes_fast(engine: str, pattern: str) -> None:
    started = time.perf_counter()
    try:
        matches = compile_pattern(pattern)
    except PatternError as error:
        assert engine == "re", f"re2 refused {pattern}: {error}"
        assert "exponential" in str(error)
        return
    assert engine == "re2", f"Python's re accepted {pattern}"
    assert matches(SUBJECT) is False
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("pattern, word", [
    ("(a)\\1", "backreferences"), ("(?P<x>a)(?P=x)", "backreferences"),
    ("^(?!tmp)", "lookahead"), ("(?<=x)y", "lookahead"), ("(a)?(?(1)b|c)", "conditional"),
    ("[", "not a valid regular expression"), ("x" * 513, "at most 512"),
])
def test_constructs_no_engine_bounds_are_refused_by_both(engine: str, pattern: str,
                                                         word: str) -> None:
    with pytest.raises(PatternError, match=word):
        compile_pattern(pattern)


@pytest.mark.parametrize("pattern, name, expected", [
    ("^[A-Z][^/]*$", "Website", True), ("^[A-Z][^/]*$", "website", False),
    ("^[A-Z][^/]*$", "Web/site", False), ("^[a-z-]+$", "ok-tag", True),
    ("Caf\u00e9", "Le Caf\u00e9", True), ("^Cafe\u0301$", "Caf\u00e9", True),
    ("^Caf\u00e9$", "Cafe\u0301", True), ("^(foo|bar)-[0-9]{2}$", "bar-07", True),
])
def test_patterns_search_names(engine: str, pattern: str, name: str, expected: bool) -> None:
    assert compile_pattern(pattern)(name) is expected


def test_an_overlong_subject_is_never_searched_and_counts_as_no_match(engine: str) -> None:
    assert compile_pattern("a")("a" * (safe_regex.MAX_SUBJECT_LENGTH + 1)) is False
    assert compile_pattern("a")("a" * safe_regex.MAX_SUBJECT_LENGTH) is True
