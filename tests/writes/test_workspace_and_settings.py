"""Workspace creation and settings updates, through a fake client."""

from __future__ import annotations

from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.model import LiveState
from tests.writes.fakes import FakeToggl, FakeWorkspace, run

WID = 55


def settings_change(*fields: FieldChange, live_id: int | None = WID) -> Change:
    return Change(Action.UPDATE, "settings", "settings", "Acme", live_id=live_id, fields=fields)


def test_settings_are_one_put_with_only_the_changed_keys() -> None:
    fake = FakeToggl()
    fake.workspaces[WID] = FakeWorkspace(WID, "Acme", 7, {"rounding": 0, "default_currency": "USD"})
    plan = Plan(workspace_id=WID, changes=(settings_change(
        FieldChange("rounding", 0, 1), FieldChange("default_currency", "USD", "EUR")),))
    result, _ = run(fake, plan, LiveState(workspace_id=WID))
    assert fake.writes() == [("update_workspace_settings", (WID, {"rounding": 1, "default_currency": "EUR"}), {})]
    assert (result.applied, result.writes) == (1, 1)


def test_a_settings_put_committed_then_answered_500_is_read_back_as_applied() -> None:
    fake = FakeToggl()
    fake.workspaces[WID] = FakeWorkspace(WID, "Acme", 7, {"rounding": 0})
    fake.fail("update_workspace_settings", after_commit=True)
    plan = Plan(workspace_id=WID, changes=(settings_change(FieldChange("rounding", 0, 1)),))
    result, events = run(fake, plan, LiveState(workspace_id=WID))
    assert (result.applied, result.ambiguous_writes) == (1, 1)
    assert fake.names().count("update_workspace_settings") == 1  # read back, not sent twice
    assert "get_workspace" in fake.names()
    assert any("confirmed by reading back" in e.message for e in events)


def test_a_created_workspace_gives_its_id_to_every_later_write() -> None:
    fake = FakeToggl()
    plan = Plan(workspace_id=0, changes=(
        Change(Action.CREATE, "workspace", "Acme", "Acme", options={"organization_id": 7}),
        settings_change(FieldChange("rounding", None, 1), live_id=None),
        Change(Action.CREATE, "tag", "urgent", "urgent", fields=(FieldChange("name", None, "urgent"),)),
    ))
    result, _ = run(fake, plan, LiveState(workspace_id=0, workspace_missing=True))
    [workspace] = fake.workspaces.values()
    assert fake.writes() == [
        ("create_workspace", (7, "Acme"), {}),
        ("update_workspace_settings", (workspace.id, {"rounding": 1}), {}),
        ("create_tag", (workspace.id, "urgent"), {}),
    ]
    assert result.applied == 3


def test_an_ambiguous_workspace_create_is_adopted_not_duplicated() -> None:
    fake = FakeToggl()
    fake.fail("create_workspace", after_commit=True)
    plan = Plan(workspace_id=0, changes=(
        Change(Action.CREATE, "workspace", "Acme", "Acme", options={"organization_id": 7}),
        Change(Action.CREATE, "tag", "urgent", "urgent", fields=(FieldChange("name", None, "urgent"),)),
    ))
    _, events = run(fake, plan, LiveState(workspace_id=0, workspace_missing=True))
    [workspace] = fake.workspaces.values()
    assert fake.names().count("create_workspace") == 1
    assert fake.writes()[-1] == ("create_tag", (workspace.id, "urgent"), {})
    assert any("adopted" in e.message for e in events)
