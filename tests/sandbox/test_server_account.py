"""The user, workspaces, organizations and the quota report."""

from __future__ import annotations

import pytest

from reconciler.sandbox import Sandbox


@pytest.mark.parametrize(
    ("tier", "premium", "business_ws"),
    [("free", False, False), ("starter", True, False), ("premium", True, True)],
)
def test_workspace_flags_follow_the_tier(
    sandbox: Sandbox, api, tier: str, premium: bool, business_ws: bool
) -> None:
    workspace = sandbox.store.ensure_workspace(f"W {tier}", tier=tier)
    shown = api.get(f"/workspaces/{workspace}").json()
    assert (shown["premium"], shown["business_ws"]) == (premium, business_ws)
    assert shown["projects_private_by_default"] is True


def test_me_names_the_default_workspace(sandbox: Sandbox, api, wid: int) -> None:
    me = api.get("/me").json()
    assert me["default_workspace_id"] == wid
    assert "clients" not in me


def test_me_with_related_data(demo_api) -> None:
    me = demo_api.get("/me", params={"with_related_data": "true"}).json()
    assert {"clients", "projects", "tags", "workspaces", "time_entries"} <= set(me)
    assert any(client["archived"] for client in me["clients"])


def test_demo_workspace_is_seeded_once(tmp_path) -> None:
    database = str(tmp_path / "sandbox.db")
    with Sandbox(db=database) as first:
        wid = first.store.demo_workspace_id
        counts = first.store.counts(wid)
        first.store.add_tag(wid, "added later")
    with Sandbox(db=database) as second:
        assert second.store.demo_workspace_id == wid
        assert second.store.counts(wid)["tags"] == counts["tags"] + 1
    assert counts["clients"] >= 3 and counts["archived_clients"] >= 1
    assert counts["projects"] >= 8 and counts["archived_projects"] >= 2
    assert counts["tags"] >= 5 and counts["time_entries"] >= 8


def test_users_and_organizations(api, wid: int) -> None:
    (user,) = api.get(f"/workspaces/{wid}/users").json()
    (organization,) = api.get("/me/organizations").json()
    assert api.get(f"/organizations/{organization['id']}").status_code == 200
    assert api.get("/organizations/1").status_code == 403
    assert user["id"] == api.get("/me").json()["id"]


def test_quota_report_without_enforcement_shows_the_plan_quota(api) -> None:
    (report,) = api.get("/me/quota").json()
    assert set(report) == {"organization_id", "remaining", "resets_in_secs", "total"}
    assert report["total"] == report["remaining"] == 600
