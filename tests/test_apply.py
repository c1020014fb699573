"""The executor against the sandbox over real HTTP: the failure modes a flaky API produces."""

from __future__ import annotations

from typing import Iterator

import pytest

from reconciler.apply import ApplyEvent, ApplyFailed, Executor, stale_objects
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.errors import QuotaError
from reconciler.live import read_live_state
from reconciler.model import LiveState
from reconciler.sandbox import Sandbox, SandboxConfig
from reconciler.toggl import TogglClient, transport_from_env


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    server = Sandbox(SandboxConfig(seed_demo=False))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[TogglClient]:
    env = {"TOGGL_API_TOKEN": sandbox.token, "TOGGL_API_URL": sandbox.url}
    with TogglClient(transport_from_env(env), backoff_base=0.001) as toggl:
        yield toggl


def tag_creates(wid: int, names: list[str]) -> Plan:
    changes = tuple(Change(Action.CREATE, "tag", name, name, fields=(FieldChange("name", None, name),))
                    for name in names)
    return Plan(workspace_id=wid, changes=changes)


def run(client: TogglClient, plan: Plan, live: LiveState, **options: object) -> list[ApplyEvent]:
    events: list[ApplyEvent] = []
    Executor(client, plan, live, on_event=events.append, **options).run()  # type: ignore[arg-type]
    return events


def test_quota_exhausted_mid_apply_stops_with_counts_and_how_to_resume(
    sandbox: Sandbox, client: TogglClient
) -> None:
    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    sandbox.configure(hourly_quota=2)  # counts from now
    with pytest.raises(QuotaError) as raised:
        run(client, tag_creates(wid, list("abcdef")), live)
    message = str(raised.value)
    assert "2 of 6 changes applied" in message
    assert "quota resets in" in message and "Re-run" in message
    assert raised.value.exit_code == 4
    assert sorted(t["name"] for t in sandbox.store.tags(wid)) == ["a", "b"]


def test_wait_for_quota_counts_down_and_finishes(sandbox: Sandbox, client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    sandbox.configure(hourly_quota=2, quota_window_seconds=0.5)
    events = run(client, tag_creates(wid, list("abcd")), live, wait_for_quota=True)
    assert sorted(t["name"] for t in sandbox.store.tags(wid)) == list("abcd")
    assert any(event.kind == "wait" for event in events)
    assert [e.done for e in events if e.kind == "done"] == [1, 2, 3, 4]


def test_an_ambiguous_create_is_adopted_not_duplicated(sandbox: Sandbox, client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    sandbox.configure(fail_after=1.0)  # every write is committed, then answered 500
    events = run(client, tag_creates(wid, ["urgent"]), live)
    assert [t["name"] for t in sandbox.store.tags(wid)] == ["urgent"]
    assert any("adopted" in event.message for event in events)


def test_a_create_answered_name_taken_adopts_the_existing_object(
    sandbox: Sandbox, client: TogglClient
) -> None:
    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    sandbox.store.add_tag(wid, "urgent")  # created by someone else after the plan was read
    events = run(client, tag_creates(wid, ["urgent"]), live)
    assert [t["name"] for t in sandbox.store.tags(wid)] == ["urgent"]
    assert any("already existed" in event.message for event in events)


def test_bulk_failures_are_retried_one_by_one_and_reported(sandbox: Sandbox, client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    ids = [sandbox.store.add_project(wid, f"P{i}") for i in range(3)]
    live = read_live_state(client, wid)
    archives = [Change(Action.ARCHIVE, "project", f"P{i}", f"P{i}", live_id=pid,
                       fields=(FieldChange("active", True, False),)) for i, pid in enumerate(ids)]
    archives.append(Change(Action.ARCHIVE, "project", "Gone", "Gone", live_id=999_999,
                           fields=(FieldChange("active", True, False),)))
    with pytest.raises(ApplyFailed) as raised:
        run(client, Plan(workspace_id=wid, changes=tuple(archives)), live)
    assert "999999" in str(raised.value)
    assert all(p["active"] is False for p in sandbox.store.projects(wid))


def test_stale_objects_name_what_moved_and_what_is_now_taken(sandbox: Sandbox,
                                                             client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    pid = sandbox.store.add_project(wid, "Site")
    live = read_live_state(client, wid)
    plan = Plan(workspace_id=wid, changes=(
        Change(Action.UPDATE, "project", "Site", "Site", live_id=pid,
               live_at=live.projects[0].at, fields=(FieldChange("active", True, False),)),
        Change(Action.CREATE, "tag", "new", "new"),
    ))
    assert stale_objects(plan, live) == []
    client.update_project(wid, pid, {"active": False})
    client.create_tag(wid, "new")
    problems = stale_objects(plan, read_live_state(client, wid))
    assert problems == [
        f"project 'Site' (id {pid}) changed since the plan (at {read_live_state(client, wid).projects[0].at}, "
        f"the plan saw {live.projects[0].at})",
        "tag 'new' now exists, but the plan creates it",
    ]


def test_projects_find_a_client_renamed_in_the_same_plan(sandbox: Sandbox, client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    cid = sandbox.store.add_client(wid, "Old Name")
    live = read_live_state(client, wid)
    plan = Plan(workspace_id=wid, changes=(
        Change(Action.CREATE, "project", "New Name/Site", "Site", client="New Name",
               fields=(FieldChange("client", None, "New Name"), FieldChange("active", None, True))),
        Change(Action.ARCHIVE, "client", "New Name", "New Name", live_id=cid,
               fields=(FieldChange("name", "Old Name", "New Name"),
                       FieldChange("archived", False, True))),
    ))
    run(client, plan, live)
    assert sandbox.store.projects(wid)[0]["client_id"] == cid
    assert sandbox.store.clients(wid)[0]["name"] == "New Name"


def test_a_bulk_patch_the_server_refuses_falls_back_to_one_put_each(
    sandbox: Sandbox, client: TogglClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.toggl.errors import BadRequestError

    wid = sandbox.store.ensure_workspace("W")
    ids = [sandbox.store.add_project(wid, f"P{i}") for i in range(3)]
    live = read_live_state(client, wid)

    def refuse(*_: object, **__: object) -> None:
        raise BadRequestError("unsupported path /active", status=400)

    monkeypatch.setattr(client, "bulk_patch_projects", refuse)
    archives = tuple(Change(Action.ARCHIVE, "project", f"P{i}", f"P{i}", live_id=pid,
                            fields=(FieldChange("active", True, False),)) for i, pid in enumerate(ids))
    run(client, Plan(workspace_id=wid, changes=archives), live)
    assert all(p["active"] is False for p in sandbox.store.projects(wid))


def test_bulk_client_archive_answering_project_ids_is_not_retried(sandbox: Sandbox,
                                                                  client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    client_ids = [sandbox.store.add_client(wid, f"C{i}") for i in range(3)]
    for cid in client_ids:
        sandbox.store.add_project(wid, f"P{cid}", client_id=cid)
    live = read_live_state(client, wid)
    archives = tuple(Change(Action.ARCHIVE, "client", f"C{i}", f"C{i}", live_id=cid,
                            fields=(FieldChange("archived", False, True),))
                     for i, cid in enumerate(client_ids))
    writes_before = client.stats.writes
    run(client, Plan(workspace_id=wid, changes=archives), live)
    assert client.stats.writes - writes_before == 1
    assert all(c["archived"] for c in sandbox.store.clients(wid))


def test_renaming_a_client_keeps_the_notes_the_plan_does_not_manage(sandbox: Sandbox,
                                                                    client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    cid = sandbox.store.add_client(wid, "Old", notes="Pays net 60")
    live = read_live_state(client, wid)
    rename = Change(Action.RENAME, "client", "New", "New", live_id=cid,
                    fields=(FieldChange("name", "Old", "New"),))
    run(client, Plan(workspace_id=wid, changes=(rename,)), live)
    [renamed] = sandbox.store.clients(wid)
    assert (renamed["name"], renamed["notes"]) == ("New", "Pays net 60")
