"""Helpers for the spec tests: write spec files in a temporary folder and load them by name."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

WriteSpec = Callable[..., str]


@pytest.fixture
def spec_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working folder, so that messages show short relative file names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write_spec(spec_dir: Path) -> WriteSpec:
    """write_spec(name, text_or_bytes) -> the relative path, as messages will show it."""

    def write(name: str, content: str | bytes) -> str:
        path = spec_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return name

    return write
