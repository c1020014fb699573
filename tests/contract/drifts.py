"""The ONE list of known drifts: keys in which a recording and the sandbox's answer may differ.

Toggl's answers changed between recordings of the same object (Jan 2023 -> Apr 2024 -> Dec
2024), so no single key set matches them all. The sandbox answers the NEWEST recorded form
plus the keys that older recordings or the reference add (a superset: a client that reads
any recorded form finds its keys). The replay (test_sandbox_replay.py) allows a key
difference only when it is listed here for that recording, with the reason.

"extra":   the sandbox sends the key, this (older) recording does not have it.
"missing": the recording has the key, the sandbox does not send it (none today: every
           recorded key is served).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tests.contract.recordings import Interaction

DriftKind = Literal["extra", "missing"]


@dataclass(frozen=True)
class Drift:
    keys: frozenset[str]
    kind: DriftKind
    recorded_on: frozenset[str]  # months ("2024-04") of the recordings that differ
    objects: str
    why: str


def _months(*months: str) -> frozenset[str]:
    return frozenset(months)


DRIFTS: tuple[Drift, ...] = (
    Drift(
        frozenset({"tasks_count", "can_track_time", "is_shared", "pinned"}), "extra",
        _months("2024-04", "2024-05"), "projects",
        "Dec 2024 projects have them; Apr-May 2024 projects did not (added later by Toggl).",
    ),
    Drift(
        frozenset({"projects_enforce_billable", "limit_public_project_data"}), "extra",
        _months("2024-04", "2024-05"), "workspaces",
        "Dec 2024 workspaces have them; Apr 2024 workspaces did not (added later by Toggl).",
    ),
    Drift(
        frozenset({"oauth_providers"}), "extra", _months("2024-04", "2024-05"), "the user (/me)",
        "Dec 2024 /me has it; Apr 2024 /me did not (added later by Toggl).",
    ),
    Drift(
        frozenset({"permissions"}), "extra", _months("2024-12", "2023-01", "2023-02"),
        "projects, workspaces, tags, time entries",
        "Apr-May 2024 recordings carry `permissions: null` on these objects and the reference "
        "documents it; Jan-Feb 2023 and Dec 2024 answers leave it out. The sandbox keeps it "
        "(null) so that clients generated from either form find it.",
    ),
    Drift(
        frozenset({"profile"}), "extra", _months("2024-12"), "workspaces",
        "Apr 2024 workspaces (and the reference) have `profile: 0`; Dec 2024 ones do not.",
    ),
    Drift(
        frozenset({"user_name", "user_avatar_url"}), "extra", _months("2024-04"),
        "time entries with meta=true",
        "Dec 2024 meta=true lists carry them; the Apr 2024 meta=true single entry did not. "
        "Whether this is a date or a list-versus-single difference no recording settles; the "
        "sandbox follows the newest.",
    ),
)

# Not key drifts, but value styles that also changed between recordings (the replay
# compares JSON types, so these pass; listed here so the one place names every drift):
VALUE_DRIFTS: tuple[str, ...] = (
    "running entries: `duration` is minus the start's epoch seconds in 2023 - Apr 2024 "
    "recordings and -1 in Dec 2024 ones; the sandbox answers -1 (the newest), or the older "
    "form with SandboxConfig(running_duration_style=\"minus_start\").",
    "timestamps: `stop`/`start` use both `+00:00` and `Z` (create and stop answers `Z`, lists "
    "`+00:00`); tags' and entries' `at` gained microseconds with `Z` in Dec 2024.",
    "projects: `actual_hours`/`actual_seconds` are null in single-object answers and numbers "
    "in lists (all dates).",
)


def allowed_difference(interaction: Interaction, key: str, kind: DriftKind) -> bool:
    """True when `key` may be `kind` (extra/missing) in the sandbox's answer to this recording."""
    return any(
        key in drift.keys and drift.kind == kind and interaction.recorded_on in drift.recorded_on
        for drift in DRIFTS
    )
