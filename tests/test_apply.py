"""The executor against the sandbox over real HTTP: the failure modes a flaky API produces."""

from __future__ import annotations

import pytest

from reconciler.apply import ApplyEvent, ApplyFailed, Executor, stale_objects
from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.errors import QuotaError
from reconciler.live import read_live_state
from reconciler.model import LiveState
from reconciler.sandbox import Sandbox
from reconciler.toggl import TogglClient


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


# ---------------------------------------------------------------- ambiguous bulk failures (issue 9, item 8)


def aged_projects(sandbox: Sandbox, wid: int, count: int) -> list[int]:
    ids = sandbox.store.bulk_add_projects(wid, [{"name": f"P{i:03}"} for i in range(count)])
    with sandbox.store.transaction() as db:  # last changed an hour ago, as real projects are
        db.execute("UPDATE projects SET at_ts = at_ts - 3600 WHERE wid = ?", (wid,))
    return ids


def archive_plan(wid: int, live: LiveState) -> Plan:
    return Plan(workspace_id=wid, changes=tuple(
        Change(Action.ARCHIVE, "project", p.name, p.name, live_id=p.id, live_at=p.at,
               fields=(FieldChange("active", True, False),)) for p in live.projects))


def test_a_bulk_archive_committed_then_answered_500_is_read_back_and_counted_applied(
        sandbox: Sandbox, client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    aged_projects(sandbox, wid, 200)
    live = read_live_state(client, wid)
    sandbox.configure(fail_after=1.0)  # every write is committed, then answered 500
    reads_before = client.stats.reads
    executor = Executor(client, archive_plan(wid, live), live)
    result = executor.run()
    assert (result.applied, result.total) == (200, 200)
    assert result.ambiguous_writes == 2  # two bulk PATCH calls of 100
    assert client.stats.reads - reads_before == result.reads <= 2 * 2
    assert not any(p["active"] for p in sandbox.store.projects(wid))


def test_a_bulk_failure_after_a_committed_call_reports_exactly_what_was_applied(
        sandbox: Sandbox, client: TogglClient) -> None:
    """Issue 9 item 8: 200 archives, the first 100 committed (answered 500), the rest refused."""
    wid = sandbox.store.ensure_workspace("W")
    aged_projects(sandbox, wid, 200)
    live = read_live_state(client, wid)
    sandbox.configure(fail_after=1.0)

    def server_breaks_after_the_first_call(event: ApplyEvent) -> None:
        if event.kind == "done" and event.done == 100:
            sandbox.configure(fail_after=0.0, fail_before=1.0)

    with pytest.raises(ApplyFailed) as raised:
        Executor(client, archive_plan(wid, live), live,
                 on_event=server_breaks_after_the_first_call).run()
    message = str(raised.value)
    assert "100 of 200 changes applied" in message
    assert "0 of the 100 changes of this call were applied" in message
    assert sum(not p["active"] for p in sandbox.store.projects(wid)) == 100


def test_a_partly_committed_call_counts_the_part_that_was_committed(
        sandbox: Sandbox, client: TogglClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.toggl.errors import ServerError

    wid = sandbox.store.ensure_workspace("W")
    ids = aged_projects(sandbox, wid, 150)
    live = read_live_state(client, wid)
    real_patch = client.bulk_patch_projects

    def commits_half_then_fails(workspace: int, project_ids: list[int], operations: list) -> None:
        real_patch(workspace, project_ids[: len(project_ids) // 2], operations)
        raise ServerError("internal error", status=500)

    monkeypatch.setattr(client, "bulk_patch_projects", commits_half_then_fails)
    with pytest.raises(ApplyFailed) as raised:
        Executor(client, archive_plan(wid, live), live).run()
    assert "50 of 150 changes applied" in str(raised.value)
    assert "50 of the 100 changes of this call were applied" in str(raised.value)
    assert sum(not p["active"] for p in sandbox.store.projects(wid)) == 50 == len(ids) // 3


# ---------------------------------------------------------------- adopted namesakes (issue 9, item 10)


def test_an_adopted_namesake_is_brought_to_what_the_spec_says(sandbox: Sandbox,
                                                             client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    # Created by someone else after the plan read the workspace: archived, other notes/colour.
    sandbox.store.add_client(wid, "Acme", archived=True, notes="someone else's notes")
    sandbox.store.add_project(wid, "Site", active=False, color="#d94182")
    sandbox.store.add_tag(wid, "URGENT")
    plan = Plan(workspace_id=wid, changes=(
        Change(Action.CREATE, "client", "Acme", "Acme", fields=(FieldChange("notes", None, "Key account"),)),
        Change(Action.CREATE, "project", "Site", "Site",
               fields=(FieldChange("active", None, True), FieldChange("color", None, "#0b83d9"))),
        Change(Action.CREATE, "tag", "urgent", "urgent", fields=(FieldChange("name", None, "urgent"),)),
    ))
    events = run(client, plan, live)
    [acme] = sandbox.store.clients(wid)
    assert (acme["archived"], acme["notes"]) == (False, "Key account")
    [site] = sandbox.store.projects(wid)
    assert (site["active"], site["color"]) == (True, "#0b83d9")
    assert [t["name"] for t in sandbox.store.tags(wid)] == ["urgent"]
    assert sum("differed from the spec" in e.message for e in events) == 3


def test_an_adopted_namesake_that_cannot_be_reconciled_fails_the_apply(
        sandbox: Sandbox, client: TogglClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.toggl.errors import BadRequestError

    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    sandbox.store.add_project(wid, "Site", active=False)

    def refuse(*_: object, **__: object) -> None:
        raise BadRequestError("project is locked", status=400)

    monkeypatch.setattr(client, "update_project", refuse)
    plan = Plan(workspace_id=wid, changes=(
        Change(Action.CREATE, "project", "Site", "Site", fields=(FieldChange("active", None, True),)),))
    with pytest.raises(ApplyFailed) as raised:
        run(client, plan, live)
    assert "0 of 1 changes applied" in str(raised.value)


# ---------------------------------------------------------------- Ctrl-C (issue 9, item 11)


def test_ctrl_c_mid_apply_says_how_many_changes_were_applied(
        sandbox: Sandbox, client: TogglClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.apply import ApplyInterrupted

    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    real_create = client.create_tag
    calls = []

    def interrupted_on_the_third(workspace: int, name: str) -> object:
        calls.append(name)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_create(workspace, name)

    monkeypatch.setattr(client, "create_tag", interrupted_on_the_third)
    with pytest.raises(ApplyInterrupted) as raised:
        run(client, tag_creates(wid, list("abcde")), live)
    assert raised.value.exit_code == 130
    assert "2 of 5 changes applied" in str(raised.value)
    assert "tag 'c'" in str(raised.value) and "continues where this one stopped" in str(raised.value)


# ---------------------------------------------------------------- quota waits (issue 9, item 13)


class QuotaRefusals:
    """A create_tag that answers 402 with `resets_in` the first `times` calls."""

    def __init__(self, resets_in: int, times: int, real: object) -> None:
        self.resets_in, self.times, self.real, self.calls = resets_in, times, real, 0

    def __call__(self, workspace: int, name: str) -> object:
        from reconciler.toggl.errors import QuotaExhaustedError

        self.calls += 1
        if self.calls <= self.times:
            raise QuotaExhaustedError("quota", resets_in=self.resets_in, status=402)
        return self.real(workspace, name)  # type: ignore[operator]


@pytest.mark.parametrize("resets_in", [-5, 0, 99_999_999_999])
def test_a_quota_wait_is_bounded_whatever_the_server_announces(
        sandbox: Sandbox, client: TogglClient, monkeypatch: pytest.MonkeyPatch,
        resets_in: int) -> None:
    from reconciler.apply import MAX_FRUITLESS_QUOTA_WAITS, MAX_QUOTA_WAIT_SECONDS

    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    refusals = QuotaRefusals(resets_in, times=10**6, real=client.create_tag)
    monkeypatch.setattr(client, "create_tag", refusals)
    slept: list[float] = []
    with pytest.raises(QuotaError) as raised:
        run(client, tag_creates(wid, ["a"]), live, wait_for_quota=True, sleep=slept.append)
    assert raised.value.exit_code == 4
    assert "gave up waiting" in str(raised.value) and "0 of 1 changes applied" in str(raised.value)
    assert refusals.calls == MAX_FRUITLESS_QUOTA_WAITS + 1  # no hot loop of writes
    assert all(step > 0 for step in slept)
    assert sum(slept) <= MAX_FRUITLESS_QUOTA_WAITS * MAX_QUOTA_WAIT_SECONDS  # not 3,000 years
    assert sum(slept) >= 1.0 + 10.0  # and it does back off


def test_a_negative_reset_still_waits_and_then_carries_on(
        sandbox: Sandbox, client: TogglClient, monkeypatch: pytest.MonkeyPatch) -> None:
    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    monkeypatch.setattr(client, "create_tag", QuotaRefusals(-5, times=2, real=client.create_tag))
    slept: list[float] = []
    run(client, tag_creates(wid, ["a", "b"]), live, wait_for_quota=True, sleep=slept.append)
    assert sorted(t["name"] for t in sandbox.store.tags(wid)) == ["a", "b"]
    assert sum(slept) >= 1.0 + 10.0


def test_quota_wait_seconds_clamps_and_backs_off() -> None:
    from reconciler.apply import MAX_QUOTA_WAIT_SECONDS, quota_wait_seconds

    assert quota_wait_seconds(30, 1) == 31.0
    assert quota_wait_seconds(-5, 1) == 1.0
    assert quota_wait_seconds(None, 2) == 10.0
    assert quota_wait_seconds("garbage", 3) == 20.0
    assert quota_wait_seconds(99_999_999_999, 1) == MAX_QUOTA_WAIT_SECONDS
    assert quota_wait_seconds(float("nan"), 1) == 1.0


def test_a_name_taken_create_is_adopted_even_when_the_server_clock_misleads(
        sandbox: Sandbox, client: TogglClient) -> None:
    from reconciler.server_clock import ServerClock

    wid = sandbox.store.ensure_workspace("W")
    live = read_live_state(client, wid)
    sandbox.store.add_project(wid, "Site")  # a namesake, created after the plan's read
    future = ServerClock()
    future.latest = 4_000_000_000.0  # a `Date` decades ahead: the cheap read sees nothing
    plan = Plan(workspace_id=wid, changes=(
        Change(Action.CREATE, "project", "Site", "Site", fields=(FieldChange("active", None, True),)),))
    events: list[ApplyEvent] = []
    Executor(client, plan, live, on_event=events.append, server_clock=future).run()
    assert [p["name"] for p in sandbox.store.projects(wid)] == ["Site"]
    assert any("already existed" in e.message for e in events)
