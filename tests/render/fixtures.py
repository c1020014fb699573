"""Plan dicts for the renderer tests, built through `Plan.to_json()` so they match the contract."""

from __future__ import annotations

from typing import Any

from reconciler.engine.plan import (
    Action,
    BlastRadius,
    Bill,
    Change,
    FieldChange,
    Plan,
    UnmanagedObject,
)
from reconciler.model import QuotaStatus, escape_name

HOUR = 3600


def create_project(name: str = "Website Redesign", client: str | None = "Globex") -> Change:
    address = f"{client}/{name}" if client else name
    return Change(
        Action.CREATE, "project", address, name, client=client,
        fields=(FieldChange("client", None, client), FieldChange("active", None, True),
                FieldChange("color", None, "#9e5bd9")),
    )


def update_project() -> Change:
    return Change(
        Action.UPDATE, "project", "Globex/Website Redesign", "Website Redesign", client="Globex",
        live_id=11, live_at="2025-01-01T00:00:00Z",
        fields=(FieldChange("color", "#0b83d9", "#9e5bd9"),
                FieldChange("estimated_hours", None, 12.5),
                FieldChange("tags", ["a"], ["a", "b"])),
    )


def rename_tag(old: str = "review", new: str = "code-review") -> Change:
    return Change(
        Action.RENAME, "tag", new, new, live_id=21, live_at="2025-01-01T00:00:00Z",
        fields=(FieldChange("name", old, new),), reason=f"renamed from {old!r}",
    )


def archive_client(name: str = "Initech", projects: int = 4, seconds: int = 1_125_000) -> Change:
    return Change(
        Action.ARCHIVE, "client", name, name, live_id=31, live_at="2025-01-01T00:00:00Z",
        fields=(FieldChange("archived", False, True),),
        blast=BlastRadius(tracked_seconds=seconds, projects=projects),
        reason="not in the spec; unmanaged.clients is archive",
    )


def restore_client(project_ids: tuple[int, ...] = (41, 42, 43)) -> Change:
    return Change(
        Action.RESTORE, "client", "Acme", "Acme", live_id=32, live_at="2025-01-01T00:00:00Z",
        fields=(FieldChange("archived", True, False),),
        options={"restore_project_ids": list(project_ids)},
    )


def delete_project(mode: str = "unassign", name: str = "Old Site", seconds: int = 43_200) -> Change:
    return Change(
        Action.DELETE, "project", f"Globex/{name}", name, client="Globex", live_id=51,
        live_at="2025-01-01T00:00:00Z", blast=BlastRadius(tracked_seconds=seconds, projects=0),
        options={"te_deletion_mode": mode},
    )


def delete_tag(name: str = "legacy") -> Change:
    return Change(Action.DELETE, "tag", name, name, live_id=61, live_at="2025-01-01T00:00:00Z")


def delete_client(projects: int = 2, seconds: int = 7_200) -> Change:
    return Change(
        Action.DELETE, "client", "Umbrella", "Umbrella", live_id=71,
        live_at="2025-01-01T00:00:00Z", blast=BlastRadius(seconds, projects),
    )


def bill(quota: bool = True) -> Bill:
    status = QuotaStatus(remaining=583, resets_in=1200) if quota else QuotaStatus()
    return Bill(reads=4, writes=7, per_object_reads=57, per_object_writes=12, quota=status)


UNMANAGED: tuple[UnmanagedObject, ...] = (
    UnmanagedObject("client", "Hooli", 81, {"name": "Hooli", "notes": "big one"}),
    UnmanagedObject("project", "Hooli/Nucleus", 82,
                    {"name": "Nucleus", "client": "Hooli", "color": "#0b83d9", "is_private": True}),
    UnmanagedObject("project", "Side Thing", 83, {"name": "Side Thing", "color": "#2da608",
                                                  "is_private": False, "active": False}),
    UnmanagedObject("tag", "billable-later", 84, "billable-later"),
)


def plan_json(
    *changes: Change,
    warnings: tuple[str, ...] = (),
    unmanaged: tuple[UnmanagedObject, ...] = (),
    quota: bool = True,
    workspace_name: str | None = "Acme Corp",
) -> dict[str, Any]:
    return Plan(
        workspace_id=1234, workspace_name=workspace_name, changes=tuple(changes),
        unmanaged=unmanaged, warnings=warnings, bill=bill(quota), spec_hash="sha256:abc",
    ).to_json()


def full_plan() -> dict[str, Any]:
    """One change of every action, warnings and unmanaged objects."""
    return plan_json(
        create_project(), update_project(), rename_tag(), restore_client(), delete_tag(),
        delete_project("delete"), archive_client(),
        warnings=("project 'Globex/Site' is protected by 'Globex/*': not archived",),
        unmanaged=UNMANAGED,
    )


def many_changes_plan(count: int) -> dict[str, Any]:
    """`count` changes of every kind and action, a third of them removals."""
    makers = (
        lambda i: create_project(f"Project {i:05d}"),
        lambda i: archive_client(f"Client {i:05d}"),
        lambda i: delete_tag(f"tag-{i:05d}"),
        lambda i: delete_project("delete", f"Doomed {i:05d}"),
        lambda i: rename_tag(f"old-{i:05d}", f"new-{i:05d}"),
    )
    return plan_json(*(makers[i % len(makers)](i) for i in range(count)))


HOSTILE_NAMES: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "a | b || c",
    "``` code ``` and `tick`",
    "</details><details open>",
    "**bold** _em_ [link](https://evil.example) ![img](x)",
    "@octocat and @org/team",
    "line\nbreak\r\x1b[31mred\x1b[0m \u202eevil",
    "# heading",
)


def hostile_plan(name: str) -> dict[str, Any]:
    """`name` everywhere a plan can carry a user-chosen string."""
    move = Change(
        Action.UPDATE, "project", f"{name}/{name}", name, client=name, live_id=91,
        fields=(FieldChange("client", "Globex", name), FieldChange("notes", None, name)),
        reason=f"moved from {name!r}",
    )
    return plan_json(
        create_project(name, client=name), rename_tag(name, name + "2"), move,
        archive_client(name), delete_project("delete", name),
        warnings=(f"project {name!r} is protected",),
        unmanaged=(UnmanagedObject("tag", name, 99, name),
                   UnmanagedObject("client", name, 98, {"name": name, "notes": name})),
        workspace_name=name,
    )


# ---------------------------------------------------------------- the workspace kinds

PROJECT = "Globex/Website Redesign"


def update_settings(workspace: str = "Acme Corp") -> Change:
    return Change(
        Action.UPDATE, "settings", "settings", workspace, live_id=1234,
        live_at="2025-01-01T00:00:00Z",
        fields=(FieldChange("default_currency", "USD", "EUR"),
                FieldChange("rounding_minutes", 0, 15)),
    )


def create_workspace(name: str = "Acme Corp", organization: int = 4567) -> Change:
    return Change(Action.CREATE, "workspace", name, name,
                  options={"organization_id": organization})


def create_group(name: str = "Designers",
                 members: tuple[str, ...] = ("ana@acme.test", "bo@acme.test")) -> Change:
    return Change(Action.CREATE, "group", name, name,
                  fields=(FieldChange("name", None, name),
                          FieldChange("members", None, list(members))))


def update_group(name: str = "Designers") -> Change:
    return Change(Action.UPDATE, "group", name, name, live_id=301,
                  live_at="2025-01-01T00:00:00Z",
                  fields=(FieldChange("members", ["ana@acme.test", "cy@acme.test"],
                                      ["ana@acme.test", "bo@acme.test"]),))


def rename_group(old: str = "Design", new: str = "Designers") -> Change:
    return Change(Action.RENAME, "group", new, new, live_id=302,
                  fields=(FieldChange("name", old, new),))


def remove_group(mode: str = "delete", name: str = "Contractors", people: int = 3) -> Change:
    return Change(
        Action.DELETE, "group", name, name, live_id=303, live_at="2025-01-01T00:00:00Z",
        blast=BlastRadius(people=people), options={"group_removal": mode},
        fingerprint={"user_ids": [1, 2, 3], "workspace_ids": [1234]},
        reason="not in the spec; unmanaged.groups is delete",
    )


def add_member(email: str = "ana@acme.test", manager: bool = True,
               rate: float | None = 120, project: str = PROJECT) -> Change:
    fields = [FieldChange("manager", None, manager)]
    if rate is not None:
        fields.append(FieldChange("rate", None, rate))
    return Change(Action.CREATE, "member", f"{project}/user:{email}", email, parent=project,
                  fields=tuple(fields), options={"member": "user"},
                  fingerprint={"project_id": 11})


def add_group_member(group: str = "Designers", project: str = PROJECT) -> Change:
    return Change(Action.CREATE, "member", f"{project}/group:{escape_name(group)}", group,
                  parent=project,
                  options={"member": "group"}, fingerprint={"project_id": 11})


def update_member(email: str = "ana@acme.test") -> Change:
    return Change(Action.UPDATE, "member", f"{PROJECT}/user:{email}", email, parent=PROJECT,
                  live_id=401, fields=(FieldChange("rate", 100, 120),),
                  options={"member": "user"})


def remove_member(email: str = "cy@acme.test", people: int = 1, group: bool = False,
                  project: str = PROJECT) -> Change:
    key = f"group:{escape_name(email)}" if group else f"user:{email}"
    return Change(Action.DELETE, "member", f"{project}/{key}", email, parent=project,
                  live_id=402, live_at="2025-01-01T00:00:00Z",
                  blast=BlastRadius(people=people),
                  options={"member": "group" if group else "user"},
                  reason="not in the spec; unmanaged.members is remove")


def create_task(name: str = "Wireframes", project: str = PROJECT) -> Change:
    return Change(Action.CREATE, "task", f"{project}/{escape_name(name)}", name, parent=project,
                  fields=(FieldChange("name", None, name), FieldChange("active", None, True),
                          FieldChange("estimated_hours", None, 10),
                          FieldChange("assignee", None, "ana@acme.test")),
                  fingerprint={"project_id": 11})


def rename_task(old: str = "Mockups", new: str = "Wireframes") -> Change:
    return Change(Action.RENAME, "task", f"{PROJECT}/{new}", new, parent=PROJECT, live_id=501,
                  fields=(FieldChange("name", old, new),))


def update_task(name: str = "Wireframes") -> Change:
    return Change(Action.UPDATE, "task", f"{PROJECT}/{name}", name, parent=PROJECT, live_id=502,
                  fields=(FieldChange("estimated_hours", 10, 12),
                          FieldChange("assignee", "ana@acme.test", None)))


def archive_task(name: str = "Kickoff", seconds: int = 9_000) -> Change:
    return Change(Action.ARCHIVE, "task", f"{PROJECT}/{name}", name, parent=PROJECT,
                  live_id=503, fields=(FieldChange("active", True, False),),
                  blast=BlastRadius(tracked_seconds=seconds))


def restore_task(name: str = "Kickoff") -> Change:
    return Change(Action.RESTORE, "task", f"{PROJECT}/{name}", name, parent=PROJECT,
                  live_id=504, fields=(FieldChange("active", False, True),))


def delete_task(name: str = "Legacy", seconds: int = 45_000, project: str = PROJECT) -> Change:
    return Change(Action.DELETE, "task", f"{project}/{escape_name(name)}", name, parent=project,
                  live_id=505, live_at="2025-01-01T00:00:00Z",
                  blast=BlastRadius(tracked_seconds=seconds),
                  fingerprint={"tracked_seconds": seconds})


def workspace_plan() -> dict[str, Any]:
    """One change of every workspace kind and action, in phase order."""
    return plan_json(
        create_workspace(), update_settings(), create_group(), update_group(), rename_group(),
        add_member(), add_group_member(), update_member(), create_task(), rename_task(),
        update_task(), restore_task(), archive_task(), delete_task(), remove_member(),
        remove_member("Freelancers", people=4, group=True), remove_group("detach", "Agency"),
        remove_group("delete"),
    )


def hostile_workspace_plan(name: str) -> dict[str, Any]:
    """`name` everywhere a plan of the workspace kinds can carry a user-chosen string: group,
    task and member names, the project they belong to, setting values, the workspace."""
    from reconciler.model import project_address

    project = project_address(name, name)
    return plan_json(
        create_workspace(name), update_settings(name), create_group(name, (name, "a@b.c")),
        update_group(name), rename_group(name, name + "2"), remove_group("detach", name),
        add_member(name, project=project), add_group_member(name, project=project),
        remove_member(name, group=True, project=project), create_task(name, project=project),
        delete_task(name, project=project),
        Change(Action.UPDATE, "settings", "settings", name, live_id=1,
               fields=(FieldChange("default_currency", name, name + "2"),)),
        unmanaged=(UnmanagedObject("group", name, 97, {"name": name, "members": [name]}),
                   UnmanagedObject("task", f"{project}/{escape_name(name)}", 96, name),
                   UnmanagedObject("member", f"{project}/group:{escape_name(name)}", 95,
                                   {"group": name})),
        workspace_name=name,
    )
