"""Arbitrary JSON and queries to the workspace-kind endpoints (settings, groups, members,
tasks) never get a 5xx, on a paid and on a free workspace."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.sandbox import Sandbox
from reconciler.sandbox.identity import ORGANIZATION_ID

_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "active", "estimated_seconds", "user_id", "project_id",
                         "group_id", "manager", "rate", "labor_cost", "rounding",
                         "rounding_minutes", "default_currency", "default_hourly_rate",
                         "reports_collapse", "op", "path", "value", "users", "workspaces",
                         "task_id", "tid", "start", "created_with", "workspace_id"]),
        inner, max_size=5),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[Sandbox, requests.Session, dict[str, dict[str, int]]]]:
    with Sandbox(seed_demo=False, users=("ana@acme.test",)) as sandbox:
        store = sandbox.store
        ids: dict[str, dict[str, int]] = {}
        for tier in ("premium", "free"):
            wid = store.ensure_workspace(f"Fuzz {tier}", tier=tier)
            project = store.add_project(wid, "P")
            task = store.add_task(wid, project, "T")
            ids[tier] = {"wid": wid, "project": project, "task": task, "oid": ORGANIZATION_ID,
                         "member": store.add_project_user(wid, project, 10658406),
                         "group": store.add_group(f"G {tier}", [wid])}
            ids[tier]["project_group"] = store.add_project_group(wid, project, ids[tier]["group"])
        session = requests.Session()
        session.auth = (sandbox.token, "api_token")
        yield sandbox, session, ids


ENDPOINTS = [
    ("PUT", "/workspaces/{wid}"), ("POST", "/organizations/{oid}/workspaces"),
    ("POST", "/organizations/{oid}/groups"), ("PUT", "/organizations/{oid}/groups/{group}"),
    ("PATCH", "/organizations/{oid}/groups/{group}"),
    ("POST", "/workspaces/{wid}/project_users"), ("PUT", "/workspaces/{wid}/project_users/{member}"),
    ("PATCH", "/workspaces/{wid}/project_users/{member}"),
    ("POST", "/workspaces/{wid}/project_groups"),
    ("POST", "/workspaces/{wid}/projects/{project}/tasks"),
    ("PUT", "/workspaces/{wid}/projects/{project}/tasks/{task}"),
    ("PATCH", "/workspaces/{wid}/projects/{project}/tasks/{task}"),
    ("POST", "/workspaces/{wid}/time_entries"),
]


@pytest.mark.parametrize("tier", ["premium", "free"])
@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_json)
def test_no_5xx_for_any_json_body(target: Any, tier: str, method: str, template: str,
                                  body: Any) -> None:
    sandbox, session, ids = target
    url = f"{sandbox.url}/api/v9{template.format(**ids[tier])}"
    response = session.request(method, url, json=body, timeout=5)
    assert response.status_code < 500, (response.status_code, response.text)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(
    st.sampled_from(["page", "per_page", "active", "since", "pid", "sort_field", "sort_order",
                     "project_ids", "user_id", "with_group_members", "name", "workspace"]),
    st.text(max_size=12) | st.sampled_from(["9" * 30, "-1", "0", "1,2", "both", "DESC"])))
def test_no_5xx_for_any_query(target: Any, query: dict[str, str]) -> None:
    sandbox, session, ids = target
    for path in ("/workspaces/{wid}/tasks", "/workspaces/{wid}/project_users",
                 "/workspaces/{wid}/project_groups", "/organizations/{oid}/groups"):
        response = session.get(f"{sandbox.url}/api/v9{path.format(**ids['premium'])}",
                               params=query, timeout=5)
        assert response.status_code < 500, (path, query, response.text)
