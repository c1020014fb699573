"""Who may do what: admin-only writes and paid-plan features of the workspace kinds.

Statuses are documented (403 "User does not have access to this resource.", 402 for paid
features); the 402 texts are ours, in the style of the one recorded paid-plan text
("Custom project colors available only for premium plans"; "premium" is Toggl's word for a
paid plan there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.sandbox.errors import ApiError, paid_plan_required

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store

NO_ACCESS = "User does not have access to this resource"  # recorded text (organizations 403)
TASKS_PAID = "Tasks available only for premium plans"  # our wording
GROUPS_PAID = "User groups available only for premium plans"  # our wording
MEMBER_RATE_PAID = "Project user rates available only for premium plans"  # our wording
SETTING_PAID = "{setting} available only for premium plans"  # our wording, per setting


def require_admin(store: Store) -> None:
    """403 unless the sandbox user is a workspace admin (SandboxConfig.admin)."""
    if not store.config.admin:
        raise ApiError(403, NO_ACCESS)


def is_free(store: Store, wid: int) -> bool:
    return store.tier_of(wid) == "free"


def require_paid(store: Store, wid: int, message: str) -> None:
    if is_free(store, wid):
        raise paid_plan_required(message)
