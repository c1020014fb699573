"""What an answer of the workspace kinds must hold before a plan is built from it.

The typed views (types.py) read anything without raising: a field they cannot read becomes
None, 0 or False. That is right for a view and wrong for a plan: `"manager": "false"` read as
True, `"tracked_seconds": "lots"` as 0 (a delete that looks free), a task without an id as task
0, two users with one e-mail as either of them. Each check here refuses such an answer with
one UnexpectedResponseError that names the request, the object and the field (the value shown
short and escaped: it is the server's), so nothing is planned or written from it.

What is NOT refused: unknown fields, absent optional fields (Toggl omits false flags and null
values on some objects), null lists (empty), numbers sent as numeric strings ("120": the
value is unambiguous), and the same object listed twice with one id (taken once).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from reconciler.model import SETTINGS_FIELDS, email_key
from reconciler.toggl.errors import UnexpectedResponseError
from reconciler.toggl.types import Group, ProjectGroup, ProjectUser, Task, Workspace, WorkspaceUser
from reconciler.untrusted import quoted

API_PREFIX = "/api/v9"
_SHOWN_CHARS = 40
# Whole numbers past JSON's exact integers are no count Toggl keeps (and past float's range
# they would crash whatever divides them into hours).
MAX_WHOLE = 2**53

# The manageable settings by the JSON type Toggl answers them in (documented and recorded:
# TOGGL-API-FACTS.md, "Workspace and its settings").
_WHOLE_SETTINGS = frozenset({"rounding", "rounding_minutes"})
_TEXT_SETTINGS = frozenset({"default_currency"})
_AMOUNT_SETTINGS = frozenset({"default_hourly_rate"})  # null, or a number


def refused(path: str, what: str, why: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        f"{what} {why}; Toggl never answers that, so nothing was planned from this answer",
        method="GET", path=API_PREFIX + path)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        # Whole: cutting it here could leave part of an echoed credential that the scrubbing
        # (TogglClient.scrubbed, which shortens the message after) would no longer recognise.
        return quoted(value)
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, (int, float)):
        text = str(value)
        return text if len(text) <= _SHOWN_CHARS else f"a number of {len(text)} digits"
    if isinstance(value, (list, tuple)) and len(value) <= 10 and all(
            type(item) is int for item in value):
        return "[" + ", ".join(map(str, value)) + "]"  # ids: short, and what tells them apart
    return "a list" if isinstance(value, (list, tuple)) else "an object"


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _whole(raw: Mapping[str, Any], key: str) -> bool:
    """Absent, null, or a whole number >= 0 (a numeric string too)."""
    value = raw.get(key)
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer() and 0 <= value <= MAX_WHOLE
    if isinstance(value, str):
        return value.strip().isdigit() and int(value) <= MAX_WHOLE
    return isinstance(value, int) and 0 <= value <= MAX_WHOLE


def _amount(raw: Mapping[str, Any], key: str) -> bool:
    """Absent, null, or a finite number >= 0 (a numeric string too)."""
    value = raw.get(key)
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number >= 0


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    """Absent, null, or a JSON boolean: `bool("false")` is True, so a string is refused."""
    return raw.get(key) is None or isinstance(raw.get(key), bool)


def _refuse_first_bad(path: str, noun: str, object_id: Any, raw: Mapping[str, Any],
                      checks: Iterable[tuple[str, bool]]) -> None:
    """Refuse the answer at its first bad field, naming the object by its id when it has one."""
    problem = _first_bad(raw, checks)
    if problem:
        what = f"{noun} {object_id}" if _is_id(object_id) else f"a {noun}"
        raise refused(path, what, problem)


def _first_bad(raw: Mapping[str, Any], checks: Iterable[tuple[str, bool]]) -> str | None:
    for key, good in checks:
        if not good:
            return f"has {key} {_shown(raw.get(key))}"
    return None


def _key(raw: Mapping[str, Any], *keys: str, usual: str | None = None) -> str:
    """The key a value came under (Toggl names some fields two ways: project_id / pid);
    `usual` (else the first) when none came."""
    return next((key for key in keys if raw.get(key) is not None), usual or keys[0])


def _plain_count(value: Any) -> bool:
    return value is None or (type(value) is int and 0 <= value <= MAX_WHOLE)


def _plain_task(raw: Mapping[str, Any]) -> bool:
    """The common case, decided fast (20,000 tasks are read for a plan): every field in the
    very type Toggl sends it in."""
    name, active, user = raw.get("name"), raw.get("active"), raw.get("user_id")
    return (type(raw.get("id")) is int and raw["id"] > 0
            and type(raw.get("project_id")) is int and raw["project_id"] > 0
            and type(name) is str and bool(name.strip())
            and (active is None or type(active) is bool)
            and (user is None or (type(user) is int and user > 0))
            and _plain_count(raw.get("estimated_seconds")) and _plain_count(raw.get("tracked_seconds")))


def check_task(task: Task, path: str) -> None:
    raw = task.raw
    if _plain_task(raw):
        return
    project = _key(raw, "project_id", "pid")
    _refuse_first_bad(path, "task", task.id, raw, (
        ("id", _is_id(task.id)),
        ("name", isinstance(raw.get("name"), str) and bool(raw["name"].strip())),
        (project, _is_id(task.project_id)),
        ("active", _flag(raw, "active")),
        ("estimated_seconds", _whole(raw, "estimated_seconds")),
        # Tracked time shows what a delete loses: unreadable must not read as none.
        ("tracked_seconds", _whole(raw, "tracked_seconds")),
        (_key(raw, "user_id", "uid"), raw.get(_key(raw, "user_id", "uid")) is None or _is_id(task.user_id)),
    ))


def check_project_user(row: ProjectUser, path: str) -> None:
    raw = row.raw
    _refuse_first_bad(path, "project user", row.id, raw, (
        ("id", _is_id(row.id)),
        (_key(raw, "project_id", "pid"), _is_id(row.project_id)),
        (_key(raw, "user_id", "uid"), _is_id(row.user_id)),
        ("manager", _flag(raw, "manager")),
        ("rate", _amount(raw, "rate")),
        ("labor_cost", _amount(raw, "labor_cost")),
    ))


def check_project_group(row: ProjectGroup, path: str) -> None:
    raw = row.raw
    _refuse_first_bad(path, "project group", row.id, raw, (
        ("id", _is_id(row.id)),
        (_key(raw, "project_id", "pid"), _is_id(row.project_id)),
        ("group_id", _is_id(row.group_id)),
    ))


def check_one_membership_each(pairs: Iterable[tuple[int, int, int]], noun: str, path: str) -> None:
    """(row id, project id, user or group id): Toggl keeps one membership per project and
    member; two rows for one would make the plan keep one and remove the other."""
    seen: dict[tuple[int, int], int] = {}
    for row_id, project_id, member_id in pairs:
        first = seen.setdefault((project_id, member_id), row_id)
        if first != row_id:
            raise refused(path, f"{noun} {member_id} of project {project_id}",
                          f"is listed twice (rows {first} and {row_id})")


def check_users(users: Iterable[WorkspaceUser], path: str) -> None:
    """Each user with an id, and no e-mail shared by two users (Toggl's logins are unique
    ignoring case: a spec's e-mail must name one person, never whichever came last)."""
    by_email: dict[str, int] = {}
    for user in users:
        raw = user.raw
        _refuse_first_bad(path, "user", user.id, raw, (
            (_key(raw, "user_id", "id", usual="id"), _is_id(user.id)),
            ("email", raw.get("email") is None or isinstance(raw.get("email"), str)),
        ))
        if not user.email:
            continue
        first = by_email.setdefault(email_key(user.email), user.id)
        if first != user.id:
            raise refused(path, f"users {first} and {user.id}",
                          f"share the e-mail {_shown(user.email)} (ignoring case)")


def _unreadable_entry(value: Any, key: str) -> Any:
    """In a list of ids, bare or as objects (`{"user_id": 5, ...}`), the first entry without
    a readable id (READABLE when all are). A group's PUT sends its users and workspaces
    back, so one misread entry would be dropped from the group by a mere rename."""
    for item in value if isinstance(value, list) else ():
        found = item.get(key, item.get("id")) if isinstance(item, Mapping) else item
        if not (_is_id(found) or (isinstance(found, str) and found.strip().isdigit())):
            return item
    return READABLE


READABLE = object()


def _id_list(value: Any, key: str) -> bool:
    return value is None or (isinstance(value, list) and _unreadable_entry(value, key) is READABLE)


def check_group(group: Group, path: str) -> None:
    raw = group.raw
    what = f"group {group.id}" if _is_id(group.id) else "a group"
    problem = _first_bad(raw, (
        (_key(raw, "group_id", "id"), _is_id(group.id)),
        ("name", isinstance(raw.get("name"), str) and bool(raw["name"].strip())),
        ("users", _id_list(raw.get("users"), "user_id")),
        ("workspaces", _id_list(raw.get("workspaces"), "workspace_id")),
    ))
    for key, id_key in (("users", "user_id"), ("workspaces", "workspace_id")):
        if problem and problem.startswith(f"has {key} a list"):
            entry = _unreadable_entry(raw.get(key), id_key)
            problem = f"has an entry in {key} that names no id ({_shown(entry)})"
    if problem:
        raise refused(path, what, problem)


def check_workspace(workspace: Workspace, asked: int, path: str) -> None:
    """The workspace asked for (an answer about another would plan its settings and tier for
    this one), with each setting it carries in the JSON type Toggl answers it in: `"false"`
    for a flag or `"1"` for rounding would plan a change, or no change, from a misreading."""
    if workspace.id != asked:
        raise refused(path, f"the answer for workspace {asked}",
                      f"is about workspace {_shown(workspace.raw.get('id'))}")
    raw = workspace.raw
    # The plan's tier and the groups' organization come from these too.
    checks = [(key, raw.get(key) is None or isinstance(raw.get(key), bool)) for key in ("premium", "business_ws")]
    checks.append(("organization_id", raw.get("organization_id") is None or _is_id(raw.get("organization_id"))))
    for key in SETTINGS_FIELDS:
        if raw.get(key) is None:  # absent or null: unknown, and a plan that sets it says so
            continue
        if key in _WHOLE_SETTINGS:
            good = isinstance(raw[key], int) and not isinstance(raw[key], bool)
        elif key in _TEXT_SETTINGS:
            good = isinstance(raw[key], str)
        elif key in _AMOUNT_SETTINGS:
            good = _amount(raw, key) and not isinstance(raw[key], str)
        else:
            good = isinstance(raw[key], bool)
        checks.append((key, good))
    problem = _first_bad(raw, checks)
    if problem:
        raise refused(path, f"workspace {asked}", problem)


# ---------------------------------------------------------------- the answer to a write


def _same_sent(key: str, answered: Any, sent: Any) -> bool:
    """Whether an answered value is the one sent, up to what Toggl may do to it: a name's
    spacing and letter case, a currency's case, 90 answered as 90.0 (or a rate kept to cents),
    an id as "5"."""
    if isinstance(sent, bool) or isinstance(answered, bool):
        return answered is sent
    if sent is None or answered is None:
        # "No estimate", "no rate", "nobody": Toggl may spell it null or 0 (estimated_seconds
        # of a task without one is documented nowhere): both mean none, so neither stops an
        # apply.
        other = answered if sent is None else sent
        return other is None or (type(other) in (int, float) and other == 0)
    if isinstance(sent, str) and isinstance(answered, str):
        return " ".join(sent.split()).casefold() == " ".join(answered.split()).casefold()
    if isinstance(sent, (list, tuple)):
        return isinstance(answered, (list, tuple)) and sorted(map(str, sent)) == sorted(map(str, answered))
    try:
        # Within half a cent: a rate Toggl keeps to cents is the rate that was sent.
        return abs(float(answered) - float(sent)) <= 0.005
    except (TypeError, ValueError):
        return False


def check_write_answer(noun: str, answer: Mapping[str, Any], answered_id: int, sent: Mapping[str, Any],
                       *, method: str, path: str, created: bool = False) -> None:
    """A write's answer is the object written: with an id (a create's is what later writes
    name it by), and, for each value sent that the answer carries, that value. A 200 with
    another name, project, user or setting did something else than asked (or nothing): it is
    refused, so the apply stops there instead of reporting a change it did not see made,
    and the executor's read-back settles what the workspace holds. Values the answer leaves
    out are not judged."""
    if created and not _is_id(answered_id):
        raise UnexpectedResponseError(
            f"Toggl answered the new {noun} without an id ({_shown(answer.get('id'))}); it may "
            "or may not have been made: run plan to see the workspace as it is",
            method=method, path=API_PREFIX + path)
    if not created and answered_id and _is_id(sent.get("id")) and answered_id != sent["id"]:
        raise UnexpectedResponseError(
            f"Toggl answered the update of {noun} {sent['id']} with {noun} {answered_id}: the "
            "write may have changed another one. Run plan to see the workspace as it is",
            method=method, path=API_PREFIX + path)
    for key, value in sent.items():
        # A create's null is "none" where Toggl may fill in its default (the v9 reference
        # says a task's user_id defaults to the requester): not judged.
        if key == "id" or key not in answer or (created and value is None):
            continue
        if not _same_sent(key, answer.get(key), value):
            which = f"{noun} {answered_id}" if _is_id(answered_id) else f"the {noun}"
            raise UnexpectedResponseError(
                f"Toggl answered {which} with {key} {_shown(answer.get(key))} after it was sent "
                f"{_shown(value)}: the write did something else than asked, or nothing. Run "
                "plan to see the workspace as it is",
                method=method, path=API_PREFIX + path)
