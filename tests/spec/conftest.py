"""Helpers for the spec tests: write spec files in a temporary folder and load them by name."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

WriteSpec = Callable[..., str]

EXAMPLE = """\
# yaml-language-server: $schema=../schemas/workspace.schema.json
version: 1
workspace: Acme Agency
unmanaged:
  clients: ignore
  projects: archive
  tags: delete
protected:
  clients: ["Globex", "Big*"]
  projects: ["Globex/*", "Internal"]
  tags: []
safety:
  max_removal_percent: 30
  min_existing: 10
  max_removals: 25
defaults:
  project: {is_private: false, billable: true}
clients:
  - name: Globex
    notes: Key account
    archived: false
    previous_names: [Globex Corp]
    delete: false
projects:
  - name: Website Redesign
    client: Globex
    color: "#0B83D9"
    billable: true
    is_private: false
    active: true
    estimated_hours: 120
    rate: 95.5
    currency: EUR
    auto_estimates: false
    template: false
    previous_names: [Website]
    delete: false
    delete_time_entries: false
tags:
  - urgent
  - name: needs-review
    previous_names: [review]
    delete: false
"""


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
