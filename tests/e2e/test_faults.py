"""A flaky, throttled, quota-limited API: apply converges within two re-runs, never duplicates,
and never removes what the spec did not ask for. Faults are seeded, so every run is the same."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import EXAMPLES, Harness

AGENCY = str(EXAMPLES / "agency.yaml")
FAST_RETRIES = {"TOGGL_RECONCILER_RETRY_BASE": "0.01"}


def apply_until_converged(harness: Harness, spec: str, attempts: int = 3) -> int:
    """Runs apply until a plan shows no changes; returns how many applies it took."""
    for attempt in range(1, attempts + 1):
        harness.cli("apply", spec, "--auto-approve", env={**harness.env, **FAST_RETRIES})
        harness.sandbox.configure(fail_before=0.0, fail_after=0.0, drop=0.0)
        check = harness.cli("plan", spec, "--detailed-exitcode")
        if check.code == 0:
            return attempt
        harness.sandbox.configure(**harness.faults)  # type: ignore[attr-defined]
    raise AssertionError(f"did not converge in {attempts} applies:\n{check.output}")


def assert_no_duplicates(harness: Harness) -> None:
    for kind in ("client", "project", "tag"):
        names = [n.casefold() for n in harness.names(kind)]
        assert len(names) == len(set(names)), f"duplicate {kind}s: {names}"


@pytest.mark.parametrize(
    "faults",
    [
        {"fail_before": 0.2, "fault_seed": 1},
        {"fail_after": 0.15, "fault_seed": 2},
        {"drop": 0.15, "fault_seed": 3},
        {"fail_before": 0.1, "fail_after": 0.1, "drop": 0.05, "fault_seed": 4},
    ],
    ids=["fail-before-20%", "fail-after-commit-15%", "dropped-connections", "mixed"],
)
def test_apply_converges_under_faults_without_duplicates(harness: Harness, faults: dict) -> None:
    harness.faults = faults  # type: ignore[attr-defined]
    harness.sandbox.configure(**faults)
    runs = apply_until_converged(harness, AGENCY)
    assert runs <= 3  # the first apply plus at most two re-runs
    assert_no_duplicates(harness)
    assert len(harness.names("project")) == 40


def test_faults_never_cause_removals_the_spec_did_not_ask_for(harness: Harness) -> None:
    harness.store.add_project(harness.wid, "Unmanaged Project")
    harness.store.add_tag(harness.wid, "unmanaged-tag")
    harness.faults = {"fail_before": 0.1, "fail_after": 0.1, "drop": 0.05, "fault_seed": 7}  # type: ignore[attr-defined]
    harness.sandbox.configure(**harness.faults)  # type: ignore[attr-defined]
    apply_until_converged(harness, AGENCY)
    assert "Unmanaged Project" in harness.names("project")
    assert "unmanaged-tag" in harness.names("tag")
    assert not [w for w in harness.writes() if w.method == "DELETE"]


def test_a_429_storm_is_paced_not_failed(harness: Harness) -> None:
    harness.sandbox.configure(rate_limit_per_second=20.0, rate_burst=1)
    spec = harness.spec("tags: [a, b, c, d, e, f, g, h]\n")
    result = harness.cli("apply", spec, "--auto-approve", env={**harness.env, **FAST_RETRIES})
    assert result.code == 0, result.output
    assert harness.names("tag") == list("abcdefgh")
    assert any(r.status == 429 for r in harness.sandbox.requests)


def test_apply_refuses_up_front_when_the_bill_exceeds_the_quota(harness: Harness) -> None:
    spec = harness.spec("tags: [a, b, c, d, e, f]\n")
    harness.sandbox.configure(hourly_quota=6, quota_window_seconds=3600)
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 4, result.output
    assert "needs 6 writes" in result.stderr
    assert harness.writes() == []


def test_wait_for_quota_applies_what_fits_waits_and_carries_on(harness: Harness) -> None:
    spec = harness.spec("tags: [a, b, c, d]\n")
    harness.sandbox.configure(hourly_quota=5, quota_window_seconds=1.0)
    result = harness.cli("apply", spec, "--auto-approve", "--wait-for-quota")
    assert result.code == 0, result.output
    assert harness.names("tag") == list("abcd")
    assert "Waiting for Toggl's hourly quota" in result.stderr


# ---------------------------------------------------------------- ambiguous creates, settled cheaply

LARGE_WORKSPACE = 2_000
SUMMARY = re.compile(r"Apply complete: (\d+) of (\d+) changes applied \((\d+) writes?, "
                     r"(\d+) extra reads?(?: to settle (\d+) ambiguous writes?)?\)")


def seed_large_workspace(harness: Harness, count: int = LARGE_WORKSPACE) -> None:
    """`count` projects under 20 clients, seeded straight into the store, last changed an hour ago
    (a real workspace's projects were not all edited in the last seconds)."""
    client_ids = harness.store.bulk_add_clients(harness.wid, [f"Client {i:02}" for i in range(20)])
    harness.store.bulk_add_projects(harness.wid, [
        {"name": f"Project {i:04}", "client_id": client_ids[i % 20]} for i in range(count)])
    with harness.store.transaction() as db:
        for table in ("clients", "projects"):
            db.execute(f"UPDATE {table} SET at_ts = at_ts - 3600 WHERE wid = ?", (harness.wid,))


def creates_spec(harness: Harness, projects: int) -> str:
    entries = "\n".join(f"  - {{name: New {i:03}, client: Client {i % 20:02}}}" for i in range(projects))
    clients = ", ".join(f"{{name: Client {i:02}}}" for i in range(20))
    return harness.spec(f"clients: [{clients}, {{name: Fresh Client}}]\ntags: [fresh-a, fresh-b]\n"
                        f"projects:\n{entries}\n  - {{name: Under Fresh, client: Fresh Client}}\n")


def project_reads(harness: Harness) -> list:
    return [r for r in harness.reads() if r.path.endswith("/projects")]


@pytest.mark.parametrize("faults", [
    {"fail_after": 0.3, "fault_seed": 11},
    {"fail_after": 0.3, "fault_seed": 12},
    {"fail_after": 0.3, "fault_seed": 13},
    {"drop": 0.3, "fault_seed": 21},
    {"drop": 0.3, "fault_seed": 22},
    {"drop": 0.3, "fault_seed": 23},
], ids=lambda f: "-".join(f"{k}={v}" for k, v in f.items()))
def test_ambiguous_creates_cost_at_most_two_reads_each_and_never_duplicate(
        harness: Harness, faults: dict) -> None:
    seed_large_workspace(harness)
    spec = creates_spec(harness, 20)
    harness.sandbox.configure(**faults)
    harness.sandbox.reset_requests()
    result = harness.cli("apply", spec, "--auto-approve", env={**harness.env, **FAST_RETRIES})
    assert result.code == 0, result.output
    summary = SUMMARY.search(result.stdout)
    assert summary, result.stdout
    applied, total, _, extra_reads, ambiguous = (int(g or 0) for g in summary.groups())
    assert applied == total == 24
    plan_reads = 1 + 1 + 1 + LARGE_WORKSPACE // 200 + 1  # workspaces, clients, tags, 11 pages
    assert len(harness.reads()) == plan_reads + extra_reads  # every recovery read is reported
    assert ambiguous >= 1  # the seeds do produce ambiguous writes
    assert extra_reads <= 2 * ambiguous
    harness.sandbox.configure(fail_after=0.0, drop=0.0)
    assert_no_duplicates_per_client(harness)
    assert harness.cli("plan", spec, "--detailed-exitcode").code == 0


def assert_no_duplicates_per_client(harness: Harness) -> None:
    keys = [(p["client_id"], p["name"].casefold()) for p in harness.store.projects(harness.wid)]
    assert len(keys) == len(set(keys))
    assert len(keys) == LARGE_WORKSPACE + 21
    for kind in ("client", "tag"):
        names = [n.casefold() for n in harness.names(kind)]
        assert len(names) == len(set(names)), f"duplicate {kind}s"


def test_without_faults_an_apply_of_creates_reads_nothing_beyond_the_plan(harness: Harness) -> None:
    seed_large_workspace(harness)
    spec = creates_spec(harness, 20)
    harness.sandbox.reset_requests()
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 0, result.output
    assert "(24 writes, 0 extra reads)" in result.stdout
    assert len(project_reads(harness)) == LARGE_WORKSPACE // 200 + 1


def test_ctrl_c_mid_apply_exits_130_saying_what_was_applied_and_rerunning_continues(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.toggl.client import TogglClient

    real_create = TogglClient.create_tag
    calls: list[str] = []

    def interrupted_on_the_third(self: TogglClient, wid: int, name: str) -> object:
        calls.append(name)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_create(self, wid, name)

    monkeypatch.setattr(TogglClient, "create_tag", interrupted_on_the_third)
    spec = harness.spec("tags: [a, b, c, d, e]\n")
    result = harness.cli("apply", spec, "--auto-approve")
    assert result.code == 130, result.output
    assert "2 of 5 changes applied" in result.stderr
    assert "Run apply again" in result.stderr and "Traceback" not in result.output
    again = harness.cli("apply", spec, "--auto-approve")
    assert again.code == 0, again.output
    assert harness.names("tag") == list("abcde")


def test_a_bulk_archive_answered_500_after_committing_is_reported_as_applied(harness: Harness) -> None:
    """Issue 9 item 8: not "0 of 200 changes applied" when the server did apply them."""
    harness.store.bulk_add_projects(harness.wid, [{"name": f"P{i:03}"} for i in range(200)])
    entries = "\n".join(f"  - {{name: P{i:03}, active: false}}" for i in range(200))
    spec = harness.spec(f"projects:\n{entries}\n")
    harness.sandbox.configure(fail_after=1.0)  # every write committed, then answered 500
    result = harness.cli("apply", spec, "--auto-approve", "--force", env={**harness.env, **FAST_RETRIES})
    assert result.code == 0, result.output
    assert "Apply complete: 200 of 200 changes applied" in result.stdout
    assert "to settle 2 ambiguous writes" in result.stdout
    assert "confirmed by reading back" in result.stderr
    assert not any(p["active"] for p in harness.store.projects(harness.wid))
