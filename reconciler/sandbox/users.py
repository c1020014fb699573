"""The organization's users: the sandbox's own user (id USER_ID, always a member and, unless
`SandboxConfig.admin` is False, an admin) and the extra users of `SandboxConfig.users` / the
demo seed, kept in the `users` table.

Every workspace has every user (our choice: one organization, no invitations), so "a user of
the workspace" and "a user of the organization" are the same test here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from reconciler.sandbox.identity import USER_EMAIL, USER_FULLNAME, USER_ID

if TYPE_CHECKING:
    from reconciler.sandbox.store import Store


@dataclass(frozen=True)
class User:
    id: int
    email: str
    fullname: str
    is_self: bool = False


def fullname_of(email: str) -> str:
    """`ana.lopez@acme.test` -> `Ana Lopez`: a readable name for a seeded user (ours)."""
    local = email.split("@", 1)[0]
    words = [word for word in local.replace("_", ".").replace("-", ".").split(".") if word]
    return " ".join(word[:1].upper() + word[1:] for word in words) or local


def ensure_users(store: Store, emails: Iterable[str]) -> list[int]:
    """The ids of these users, adding the ones not yet known (matched case-insensitively)."""
    ids: list[int] = []
    with store.transaction():
        for email in emails:
            key = email.strip().casefold()
            if key == own_user(store).email.casefold():
                ids.append(USER_ID)
                continue
            row = store.db.execute("SELECT id FROM users WHERE email_key = ?", (key,)).fetchone()
            if row is None:
                cursor = store.db.execute(
                    "INSERT INTO users (email, email_key, fullname, at_ts) VALUES (?, ?, ?, ?)",
                    (email.strip(), key, fullname_of(email.strip()), store.now()),
                )
                ids.append(int(cursor.lastrowid))
            else:
                ids.append(int(row["id"]))
    return ids


def own_user(store: Store) -> User:
    settings = store.user_settings()
    return User(USER_ID, settings.get("email", USER_EMAIL),
                settings.get("fullname", USER_FULLNAME), is_self=True)


def all_users(store: Store) -> list[User]:
    """The sandbox user first, then the others by id."""
    others = [
        User(int(row["id"]), row["email"], row["fullname"])
        for row in store.db.execute("SELECT id, email, fullname FROM users ORDER BY id")
    ]
    return [own_user(store), *others]


def users_by_id(store: Store) -> dict[int, User]:
    return {user.id: user for user in all_users(store)}


def is_user(store: Store, user_id: object) -> bool:
    if user_id == USER_ID:
        return True
    row = store.db.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone()
    return row is not None


def user_count(store: Store) -> int:
    return 1 + int(store.db.execute("SELECT COUNT(*) FROM users").fetchone()[0])
