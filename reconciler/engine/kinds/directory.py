"""What the workspace kinds resolve names through: users by e-mail, groups by name, plan tiers.

Spec entries name people by e-mail and groups by name; Toggl wants ids. An e-mail that is
not a user of the workspace, or a group that neither exists nor is in `groups:`, is a plan
error at the entry's `file:line` (never a guess). Built once per plan (`directory(ctx)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from reconciler.engine.layout import PlanContext
from reconciler.model import (
    PAID_WORKSPACE_KEYS,
    LiveGroup,
    LiveUser,
    SourceLocation,
    email_key,
    escape_name,
    name_key,
    spelling,
)
from reconciler.untrusted import quoted

TIER_NAMES: Mapping[str, str] = {"free": "Free", "starter": "Starter", "premium": "Premium"}
_TIER_RANKS: Mapping[str, int] = {"free": 0, "starter": 1, "premium": 2}
# A group this plan creates: members of it are created once it exists (no live id yet).
NEW_GROUP = -1


@dataclass
class Directory:
    users_by_email: dict[str, LiveUser]
    users_by_id: dict[int, LiveUser]
    groups_by_id: dict[int, LiveGroup]
    groups_by_key: dict[str, list[LiveGroup]]
    # E-mail as written -> user: a spec names the same few people on many projects.
    _seen: dict[str, LiveUser | None] = field(default_factory=dict)

    def user(self, email: str) -> LiveUser | None:
        if email in self._seen:
            return self._seen[email]
        found = self._seen[email] = self.users_by_email.get(email_key(email))
        return found

    def email_of(self, user_id: int | None) -> str | None:
        user = self.users_by_id.get(user_id) if user_id is not None else None
        return user.email if user is not None else None

    def emails_of(self, user_ids: tuple[int, ...]) -> list[str]:
        """Sorted e-mails of the users this workspace knows (others are not shown)."""
        return sorted(email for uid in user_ids if (email := self.email_of(uid)) is not None)

    def group_name(self, group_id: int | None) -> str:
        group = self.groups_by_id.get(group_id) if group_id is not None else None
        return group.name if group is not None else f"#{group_id}"

    def live_group(self, name: str) -> LiveGroup | None:
        """The live group of this name: exact spelling, else the only case variant."""
        candidates = self.groups_by_key.get(name_key(name), [])
        exact = [group for group in candidates if spelling(group.name) == spelling(name)]
        chosen = exact or candidates
        return chosen[0] if len(chosen) == 1 else None


def directory(ctx: PlanContext) -> Directory:
    found = ctx.shared.get("directory")
    if isinstance(found, Directory):
        return found
    users = [user for user in ctx.live.users or () if user.nameable]
    groups = ctx.live.groups or ()
    by_key: dict[str, list[LiveGroup]] = {}
    for group in groups:
        by_key.setdefault(name_key(group.name), []).append(group)
    built = Directory({email_key(u.email): u for u in users}, {u.id: u for u in users},
                      {g.id: g for g in groups}, by_key)
    ctx.shared["directory"] = built
    return built


def at(source: SourceLocation | None) -> str:
    """`file:line:column: ` before a message, when the spec entry's position is known."""
    return f"{source}: " if source is not None else ""


def workspace_label(ctx: PlanContext) -> str:
    name = ctx.live.workspace_name or str(ctx.desired.workspace)
    return f"workspace {quoted(name)}"


def resolve_user(ctx: PlanContext, email: str, what: str | Callable[[], str],
                 source: SourceLocation | None) -> LiveUser | None:
    """The live user of an e-mail, or a problem naming where the spec wrote it (`what` may be
    a function: the message is only built for a problem, never for the many users found)."""
    user = directory(ctx).user(email)
    if user is None:
        subject = what() if callable(what) else what
        ctx.notes.problems.append(
            f"{at(source)}{subject}: {quoted(email)} is not a user of {workspace_label(ctx)}; "
            "invite them to the workspace first, or correct the e-mail"
        )
    return user


def needs_plan(ctx: PlanContext, key: str, subject: str, source: SourceLocation | None) -> bool:
    """On a plan below the one it needs (Free, for every key today), a paid-only key
    (`model.PAID_WORKSPACE_KEYS`) is a problem naming the key and the plan it needs;
    `subject` is how the message starts ("tasks need")."""
    needed = PAID_WORKSPACE_KEYS.get(key)
    tier = ctx.live.tier
    if needed is None or tier is None or _TIER_RANKS[tier] >= _TIER_RANKS[needed]:
        return False  # tier None: not read (workspace given by id), so not checked, as today
    ctx.notes.problems.append(
        f"{at(source)}{subject} the {TIER_NAMES[needed]} plan or higher; "
        f"{workspace_label(ctx)} is on the {TIER_NAMES[tier]} plan"
    )
    return True


def group_address(name: str) -> str:
    return escape_name(name)
