"""Tasks: Toggl's field names, bulk archive per project, and tasks of projects made in the same apply."""

from __future__ import annotations

from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import LiveClient, LiveProject, LiveState, LiveTask, LiveUser
from tests.writes.fakes import FakeTask, FakeToggl, run

WID = 55


def live(*tasks: LiveTask) -> LiveState:
    return LiveState(workspace_id=WID, users=(LiveUser(1, "ana@acme.test"),),
                     clients=(LiveClient(5, "Globex"),),
                     projects=(LiveProject(40, "Site", client_id=5), LiveProject(41, "App", client_id=5)),
                     tasks=tasks)


def task(action: Action, name: str, *fields: FieldChange, project: str = "Globex/Site",
         live_id: int | None = None) -> Change:
    return Change(action, "task", f"{project}/{name}", name, parent=project, live_id=live_id,
                  fields=fields)


def seeded(fake: FakeToggl, count: int, project_id: int = 40, first: int = 500) -> list[LiveTask]:
    rows = [LiveTask(first + i, f"T{i}", project_id) for i in range(count)]
    for row in rows:
        fake.tasks[row.id] = FakeTask(row.id, row.name, project_id)
    return rows


def test_a_task_is_created_in_toggl_terms() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=WID, changes=(task(
        Action.CREATE, "Wireframes", FieldChange("estimated_hours", None, 10),
        FieldChange("assignee", None, "ANA@acme.test"), FieldChange("active", None, True)),))
    run(fake, plan, live())
    assert fake.writes() == [("create_task", (WID, 40, {
        "name": "Wireframes", "active": True, "estimated_seconds": 36000, "user_id": 1}), {})]


def test_an_update_renames_and_sets_estimate_and_assignee() -> None:
    fake = FakeToggl()
    rows = seeded(fake, 1)
    plan = Plan(workspace_id=WID, changes=(task(
        Action.RENAME, "Mockups", FieldChange("name", "T0", "Mockups"),
        FieldChange("estimated_hours", None, 1.5), FieldChange("assignee", "ana@acme.test", None),
        live_id=500),))
    run(fake, plan, live(*rows))
    assert fake.writes() == [("update_task", (WID, 40, 500, {
        "name": "Mockups", "estimated_seconds": 5400, "user_id": None}), {})]


def test_archives_are_one_bulk_patch_per_project_of_at_most_100() -> None:
    fake = FakeToggl()
    rows = seeded(fake, 150) + seeded(fake, 2, project_id=41, first=900)
    changes = tuple(task(Action.ARCHIVE, row.name, FieldChange("active", True, False), live_id=row.id,
                         project="Globex/Site" if row.project_id == 40 else "Globex/App")
                    for row in rows)
    result, _ = run(fake, Plan(workspace_id=WID, changes=changes), live(*rows))
    calls = [(name, args[1], len(args[2])) for name, args, _ in fake.writes()]
    assert calls == [("patch_tasks", 40, 100), ("patch_tasks", 40, 50), ("patch_tasks", 41, 2)]
    assert fake.writes()[0][1][3] == [{"op": "replace", "path": "/active", "value": False}]
    assert not any(t.active for t in fake.tasks.values())
    assert result.applied == 152


def test_a_single_restore_is_a_put_and_a_delete_names_its_project() -> None:
    fake = FakeToggl()
    rows = seeded(fake, 2)
    plan = Plan(workspace_id=WID, changes=(
        task(Action.RESTORE, "T0", FieldChange("active", False, True), live_id=500),
        task(Action.DELETE, "T1", live_id=501),
    ))
    run(fake, plan, live(*rows))
    assert fake.writes() == [("update_task", (WID, 40, 500, {"active": True, "name": "T0"}), {}),
                             ("delete_task", (WID, 40, 501), {})]


def test_tasks_of_a_project_created_earlier_in_the_apply() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=WID, changes=(
        Change(Action.CREATE, "project", "Globex/New", "New", client="Globex",
               fields=(FieldChange("client", None, "Globex"),)),
        task(Action.CREATE, "Design review", project="Globex/New"),
    ))
    run(fake, plan, live())
    [project] = fake.projects.values()
    assert fake.writes()[1] == ("create_task", (WID, project.id, {"name": "Design review", "active": True}), {})


def test_a_task_of_a_renamed_project_finds_it_by_its_new_address() -> None:
    from reconciler.apply import Executor

    plan = Plan(workspace_id=WID, changes=(
        Change(Action.RENAME, "client", "Globex Corp", "Globex Corp", live_id=5,
               fields=(FieldChange("name", "Globex", "Globex Corp"),)),
        Change(Action.RENAME, "project", "Globex Corp/Website", "Website", client="Globex Corp",
               live_id=40, fields=(FieldChange("name", "Site", "Website"),)),
        task(Action.CREATE, "Copy", project="Globex Corp/Website"),
    ))
    ids = Executor(FakeToggl(), plan, live()).ids  # type: ignore[arg-type]
    assert ids.project_id("Globex Corp/Website") == 40
    assert ids.project_id("Globex Corp/App") == 41  # unchanged project, client renamed


def test_an_ambiguous_task_create_is_adopted_with_one_listing() -> None:
    fake = FakeToggl()
    fake.fail("create_task", after_commit=True)
    plan = Plan(workspace_id=WID, changes=(task(Action.CREATE, "Wireframes"),))
    result, events = run(fake, plan, live())
    assert len(fake.tasks) == 1 and fake.names().count("create_task") == 1
    assert fake.names().count("list_tasks") == 1
    assert result.ambiguous_writes == 1


def test_a_bulk_archive_committed_then_answered_500_is_read_back() -> None:
    fake = FakeToggl()
    rows = seeded(fake, 3)
    fake.fail("patch_tasks", after_commit=True)
    changes = tuple(task(Action.ARCHIVE, row.name, FieldChange("active", True, False), live_id=row.id)
                    for row in rows)
    result, _ = run(fake, Plan(workspace_id=WID, changes=changes), live(*rows))
    assert (result.applied, result.ambiguous_writes) == (3, 1)
    assert fake.names().count("patch_tasks") == 1


def test_a_name_taken_task_create_finds_a_done_namesake_and_reopens_it() -> None:
    fake = FakeToggl()
    fake.tasks[500] = FakeTask(500, "Wireframes", 40, active=False)  # made done after the plan
    plan = Plan(workspace_id=WID, changes=(task(Action.CREATE, "Wireframes"),))
    _, events = run(fake, plan, live())
    # No server time seen yet (no since=): the first look is the whole listing, and finds it.
    assert [call[2] for call in fake.calls if call[0] == "list_tasks"] == [{"active": "both"}]
    assert fake.writes()[-1] == ("update_task", (WID, 40, 500, {"active": True}), {})
    assert any("already existed" in e.message for e in events)
