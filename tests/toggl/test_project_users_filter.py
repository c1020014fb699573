"""`list_project_users` narrowed to some projects: the documented `project_ids` filter."""

from __future__ import annotations

import pytest
import responses

from reconciler.toggl import TogglClient
from .fakes import API


def test_project_ids_go_out_comma_separated(mocked: responses.RequestsMock,
                                            client: TogglClient) -> None:
    mocked.get(f"{API}/workspaces/1/project_users", json=[
        {"id": 40, "project_id": 11, "user_id": 5, "manager": True}])
    [member] = client.list_project_users(1, [11, 12])
    assert member.user_id == 5
    assert dict(mocked.calls[0].request.params) == {"project_ids": "11,12"}


def test_without_project_ids_every_project_is_asked_for(mocked: responses.RequestsMock,
                                                        client: TogglClient) -> None:
    mocked.get(f"{API}/workspaces/1/project_users", json=[])
    assert client.list_project_users(1) == []
    assert dict(mocked.calls[0].request.params) == {}


@pytest.mark.parametrize("ids", [[], list(range(1, 202))])
def test_an_empty_or_oversized_filter_is_refused_before_any_request(
        mocked: responses.RequestsMock, client: TogglClient, ids: list[int]) -> None:
    # An empty filter would be read as "every project"; Toggl answers 400 past 200 ids.
    with pytest.raises(ValueError):
        client.list_project_users(1, ids)
    assert len(mocked.calls) == 0
