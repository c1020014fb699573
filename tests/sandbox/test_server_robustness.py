"""Arbitrary JSON to every write endpoint never gets a 5xx (only injected faults may)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.sandbox import Sandbox
from reconciler.sandbox.groups import add_group
from reconciler.sandbox.identity import ORGANIZATION_ID

# requests cannot send NaN/Infinity; raw non-JSON bodies are covered in test_server_auth.py.
_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "active", "color", "client_id", "start", "duration", "tags",
                         "op", "path", "value", "projects", "workspace_id", "created_with",
                         "stop", "billable", "rate", "notes", "restore_all_projects",
                         "users", "workspaces", "tag_action", "ids", "tag_ids", "timezone",
                         "beginning_of_week", "default_workspace_id", "email", "fullname",
                         "country_id", "password", "current_password", "pid"]),
        inner, max_size=5),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def target() -> Iterator[tuple[Sandbox, requests.Session, dict[str, int]]]:
    with Sandbox(seed_demo=False, user_hourly_quota=None) as sandbox:
        store = sandbox.store
        wid = store.ensure_workspace("Fuzz", tier="free")
        client = store.add_client(wid, "C")
        ids = {"wid": wid, "client": client, "project": store.add_project(wid, "P"),
               "tag": store.add_tag(wid, "T"),
               "entry": store.add_time_entry(wid, None, -1), "oid": ORGANIZATION_ID,
               "group": add_group(store, "G", [wid])}
        session = requests.Session()
        session.auth = (sandbox.token, "api_token")
        yield sandbox, session, ids


ENDPOINTS = [
    ("POST", "/workspaces/{wid}/clients"), ("PUT", "/workspaces/{wid}/clients/{client}"),
    ("POST", "/workspaces/{wid}/clients/{client}/restore"),
    ("POST", "/workspaces/{wid}/clients/archive"), ("POST", "/workspaces/{wid}/clients/delete"),
    ("POST", "/workspaces/{wid}/projects"), ("PUT", "/workspaces/{wid}/projects/{project}"),
    ("PATCH", "/workspaces/{wid}/projects/{project}"), ("POST", "/workspaces/{wid}/tags"),
    ("PUT", "/workspaces/{wid}/tags/{tag}"), ("POST", "/workspaces/{wid}/time_entries"),
    ("PUT", "/workspaces/{wid}/time_entries/{entry}"),
    ("PATCH", "/workspaces/{wid}/time_entries/{entry}"),
    ("PUT", "/me"), ("PATCH", "/workspaces/{wid}/tags"), ("POST", "/workspaces/{wid}/clients/data"),
    ("POST", "/organizations/{oid}/groups"), ("PUT", "/organizations/{oid}/groups/{group}"),
    ("PATCH", "/organizations/{oid}/groups/{group}"), ("POST", "/workspaces/{wid}/groups"),
    ("PUT", "/workspaces/{wid}/groups/{group}"), ("POST", "/organizations/{oid}/workspaces"),
]


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_json)
def test_no_5xx_for_any_json_body(target: Any, method: str, template: str, body: Any) -> None:
    sandbox, session, ids = target
    url = f"{sandbox.url}/api/v9{template.format(**ids)}"
    response = session.request(method, url, json=body, timeout=5)
    assert response.status_code < 500, (response.status_code, response.text)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(
    st.sampled_from(["page", "per_page", "active", "since", "before", "start_date", "end_date",
                     "status", "name", "meta", "teDeletionMode", "include_archived",
                     "start_project_id"]),
    st.text(max_size=12)))
def test_no_5xx_for_any_query(target: Any, query: dict[str, str]) -> None:
    sandbox, session, ids = target
    for path in ("/workspaces/{wid}/projects", "/workspaces/{wid}/clients", "/me/time_entries",
                 "/workspaces/{wid}/tags", "/me/projects", "/me/projects/paginated", "/me/tags",
                 "/me/clients"):
        response = session.get(f"{sandbox.url}/api/v9{path.format(**ids)}", params=query,
                               timeout=5)
        assert response.status_code < 500, (path, query, response.text)


@pytest.mark.parametrize(
    ("path", "name"),
    [("/me/projects/paginated", "start_project_id"), ("/me/projects/paginated", "per_page"),
     ("/me/projects", "since"), ("/me/tags", "since"), ("/me/clients", "since"),
     ("/me/time_entries", "since")],
)
def test_huge_numbers_in_queries_are_400_not_a_dropped_connection(api, path: str, name: str) -> None:
    response = api.get(path, params={name: "9" * 30})
    assert response.status_code == 400 and isinstance(response.json(), str)


def test_a_far_project_page_is_empty(api, wid: int) -> None:
    response = api.get(f"/workspaces/{wid}/projects",
                       params={"page": str(2**62), "per_page": "200", "since": "0"})
    assert (response.status_code, response.json()) == (200, [])


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_json | st.dictionaries(st.just("app"), _scalars, max_size=1))
def test_no_5xx_for_any_maton_connection_body(target: Any, body: Any) -> None:
    sandbox, _, _ = target
    response = requests.post(f"{sandbox.url}/connections", json=body, timeout=5,
                             headers={"Authorization": f"Bearer {sandbox.token}"})
    assert response.status_code < 500, (response.status_code, response.text)
