"""Builds large, valid spec texts for speed measurements (seeded, deterministic)."""

from __future__ import annotations

import random

# The example of the format documentation, with every key written once.
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

PALETTE = ("#0b83d9", "#9e5bd9", "#D94182", "#e36a00", "#2da608")


def _client_lines(index: int) -> list[str]:
    return [
        f"  - name: Client {index:04d}",
        f"    notes: Account number {index}",
        "    archived: false",
    ]


def _project_lines(rng: random.Random, index: int, clients: int) -> list[str]:
    lines = [f"  - name: Project {index:05d}"]
    if index % 10:
        lines.append(f"    client: Client {rng.randrange(clients):04d}")
    lines += [
        f"    color: \"{rng.choice(PALETTE)}\"",
        f"    billable: {'true' if index % 2 else 'false'}",
        "    is_private: false",
        "    active: true",
        f"    estimated_hours: {rng.randrange(500)}",
        f"    rate: {rng.randrange(20, 200)}.5",
        "    currency: EUR",
    ]
    if index % 50 == 0:
        lines.append(f"    previous_names: [Old Project {index:05d}]")
    return lines


def _workspace_kind_lines(index: int) -> list[str]:
    """Five user members and a group, and ten tasks (every other one a mapping)."""
    lines = ["    members:"]
    lines += [f"      - user: user{member}@acme.test" for member in range(5)]
    lines += ["      - {group: Designers}", "    tasks:"]
    for task in range(10):
        if task % 2:
            lines += [f"      - name: Task {index:05d}.{task}", f"        estimated_hours: {task}",
                      f"        assignee: user{task % 5}@acme.test"]
        else:
            lines.append(f"      - Task {index:05d}.{task}")
    return lines


def large_spec_text(projects: int = 10_000, clients: int = 1_000, tags: int = 1_000,
                    seed: int = 7, projects_with_tasks: int = 0) -> str:
    """A valid spec with the given numbers of objects (the benchmark size by default);
    `projects_with_tasks` of the projects (every fifth) also list members and ten tasks."""
    rng = random.Random(seed)
    lines = ["version: 1", "workspace: Benchmark Workspace",
             "unmanaged: {clients: ignore, projects: archive, tags: ignore}",
             "protected: {clients: ['Big*'], projects: ['Internal'], tags: []}",
             "safety: {max_removal_percent: 30, min_existing: 10, max_removals: 25}",
             "defaults:", "  project: {is_private: false}", "clients:"]
    for index in range(clients):
        lines += _client_lines(index)
    lines.append("projects:")
    for index in range(projects):
        lines += _project_lines(rng, index, clients)
        if index % 5 == 0 and index // 5 < projects_with_tasks:
            lines += _workspace_kind_lines(index)
    lines.append("tags:")
    for index in range(tags):
        lines.append(f"  - tag-{index:04d}" if index % 2 else f"  - name: tag-{index:04d}")
    return "\n".join(lines) + "\n"
