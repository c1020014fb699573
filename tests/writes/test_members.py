"""Project members: users and groups, bulk patches, and projects and groups made in the same apply."""

from __future__ import annotations

from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import LiveClient, LiveGroup, LiveMember, LiveProject, LiveState, LiveUser
from tests.writes.fakes import FakeProjectUser, FakeToggl, run

WID, OID = 55, 7
USERS = (LiveUser(1, "ana@acme.test"), LiveUser(2, "bo@acme.test"), LiveUser(3, "cy@acme.test"))


def live(*members: LiveMember, groups: tuple[LiveGroup, ...] = ()) -> LiveState:
    return LiveState(workspace_id=WID, organization_id=OID, users=USERS, groups=groups,
                     clients=(LiveClient(5, "Globex"),),
                     projects=(LiveProject(40, "Site", client_id=5), LiveProject(41, "App", client_id=5)),
                     members=members)


def member(action: Action, who: str, *fields: FieldChange, project: str = "Globex/Site",
           kind: str = "user", live_id: int | None = None) -> Change:
    return Change(action, "member", f"{project}/{kind}:{who}", who, parent=project, live_id=live_id,
                  fields=fields, options={"member": kind})


def test_users_and_groups_are_added_with_their_ids() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=WID, changes=(
        member(Action.CREATE, "ana@acme.test", FieldChange("manager", None, True),
               FieldChange("rate", None, 120)),
        member(Action.CREATE, "Designers", kind="group"),
    ))
    run(fake, plan, live(groups=(LiveGroup(9, "Designers", (), (WID,)),)))
    assert fake.writes() == [
        ("create_project_user", (WID, 40, 1), {"manager": True, "rate": 120}),
        ("create_project_group", (WID, 40, 9), {}),
    ]


def test_several_members_with_the_same_patch_share_one_bulk_call() -> None:
    fake = FakeToggl()
    rows = [LiveMember(100 + i, 40, user_id=i + 1) for i in range(3)]
    for row in rows:
        fake.project_users[row.id] = FakeProjectUser(row.id, 40, row.user_id or 0)
    changes = tuple(member(Action.UPDATE, u.email, FieldChange("manager", False, True), live_id=row.id)
                    for u, row in zip(USERS, rows))
    result, _ = run(fake, Plan(workspace_id=WID, changes=changes), live(*rows))
    assert fake.writes() == [("patch_project_users", (WID, [100, 101, 102],
                                                      [{"op": "replace", "path": "/manager", "value": True}]), {})]
    assert result.applied == 3


def test_a_single_update_is_a_put_that_keeps_the_manager_flag() -> None:
    fake = FakeToggl()
    row = LiveMember(100, 40, user_id=1, manager=True, rate=90)
    fake.project_users[100] = FakeProjectUser(100, 40, 1, True, 90)
    plan = Plan(workspace_id=WID, changes=(
        member(Action.UPDATE, "ana@acme.test", FieldChange("rate", 90, 120), live_id=100),))
    run(fake, plan, live(row))
    assert fake.writes() == [("update_project_user", (WID, 100, True), {"rate": 120})]


def test_removals_delete_project_users_and_project_groups() -> None:
    fake = FakeToggl()
    fake.project_users[100] = FakeProjectUser(100, 40, 1)
    plan = Plan(workspace_id=WID, changes=(
        member(Action.DELETE, "ana@acme.test", live_id=100),
        member(Action.DELETE, "Designers", kind="group", live_id=100),  # another table, same id
    ))
    result, _ = run(fake, plan, live(LiveMember(100, 40, user_id=1), LiveMember(100, 40, group_id=9)))
    assert fake.writes() == [("delete_project_user", (WID, 100), {}),
                             ("delete_project_group", (WID, 100), {})]
    assert result.applied == 2  # the group row was already gone: a removal's 404 is done


def test_members_of_a_project_and_a_group_created_earlier_in_the_apply() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=WID, changes=(
        Change(Action.CREATE, "project", "Globex/New", "New", client="Globex",
               fields=(FieldChange("client", None, "Globex"),)),
        Change(Action.CREATE, "group", "Designers", "Designers",
               fields=(FieldChange("members", None, ["bo@acme.test"]),)),
        member(Action.CREATE, "cy@acme.test", project="Globex/New"),
        member(Action.CREATE, "Designers", project="Globex/New", kind="group"),
    ))
    run(fake, plan, live())
    [project] = fake.projects.values()
    [group] = fake.groups.values()
    assert fake.writes()[2:] == [
        ("create_project_user", (WID, project.id, 3), {"manager": False, "rate": None}),
        ("create_project_group", (WID, project.id, group.id), {}),
    ]


def test_an_ambiguous_member_create_is_settled_by_one_listing() -> None:
    fake = FakeToggl()
    fake.fail("create_project_user", after_commit=True)
    plan = Plan(workspace_id=WID, changes=(member(Action.CREATE, "ana@acme.test"),))
    result, events = run(fake, plan, live())
    assert len(fake.project_users) == 1 and fake.names().count("create_project_user") == 1
    assert fake.names().count("list_project_users") == 1
    assert result.ambiguous_writes == 1 and any("adopted" in e.message for e in events)


def test_an_existing_membership_is_adopted_and_given_the_spec_fields() -> None:
    fake = FakeToggl()
    fake.project_users[100] = FakeProjectUser(100, 40, 1, manager=False)  # added after the plan
    plan = Plan(workspace_id=WID, changes=(
        member(Action.CREATE, "ana@acme.test", FieldChange("manager", None, True)),))
    run(fake, plan, live())
    assert fake.writes()[-1] == ("update_project_user", (WID, 100, True), {})
    assert fake.project_users[100].manager is True


def test_a_bulk_patch_the_server_refuses_falls_back_to_one_put_each() -> None:
    from reconciler.toggl.errors import BadRequestError

    fake = FakeToggl()
    rows = [LiveMember(100 + i, 40, user_id=i + 1, manager=False) for i in range(2)]
    for row in rows:
        fake.project_users[row.id] = FakeProjectUser(row.id, 40, row.user_id or 0)
    fake.fail("patch_project_users", BadRequestError("unknown path", status=400))
    changes = tuple(member(Action.UPDATE, u.email, FieldChange("rate", None, 50), live_id=row.id)
                    for u, row in zip(USERS, rows))
    result, _ = run(fake, Plan(workspace_id=WID, changes=changes), live(*rows))
    assert fake.names()[1:] == ["update_project_user", "update_project_user"]
    assert [m.rate for m in fake.project_users.values()] == [50, 50]
    assert result.applied == 2


def test_without_the_users_read_the_ids_the_plan_recorded_are_used() -> None:
    fake = FakeToggl()
    change = Change(Action.CREATE, "member", "Globex/Site/user:ana@acme.test", "ana@acme.test",
                    parent="Globex/Site", options={"member": "user", "user_id": 1})
    unread = LiveState(workspace_id=WID, organization_id=OID, clients=(LiveClient(5, "Globex"),),
                       projects=(LiveProject(40, "Site", client_id=5),))
    run(fake, Plan(workspace_id=WID, changes=(change,)), unread)
    assert fake.writes() == [("create_project_user", (WID, 40, 1), {"manager": False, "rate": None})]


def test_a_rate_update_without_the_live_record_patches_rather_than_guess_the_manager() -> None:
    fake = FakeToggl()
    fake.project_users[100] = FakeProjectUser(100, 40, 1, manager=True, rate=90)
    plan = Plan(workspace_id=WID, changes=(
        member(Action.UPDATE, "ana@acme.test", FieldChange("rate", 90, 120), live_id=100),))
    run(fake, plan, live())  # the plan's member is not in this live state
    assert fake.writes() == [("patch_project_users", (WID, [100], [
        {"op": "replace", "path": "/rate", "value": 120}]), {})]
    assert (fake.project_users[100].manager, fake.project_users[100].rate) == (True, 120)
