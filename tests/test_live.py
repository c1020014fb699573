"""Resolving the spec's workspace references: one lookup, exact names first, ambiguity refused."""

from __future__ import annotations

import pytest

from reconciler.errors import UsageError
from reconciler.live import ResolvedWorkspace, resolve_workspaces
from reconciler.sandbox import Sandbox
from reconciler.toggl import TogglClient


def test_ids_alone_cost_no_request(sandbox: Sandbox, client: TogglClient) -> None:
    assert resolve_workspaces(client, [7, 8]) == [ResolvedWorkspace(7), ResolvedWorkspace(8)]
    assert client.stats.reads == 0


def test_names_and_ids_resolve_with_one_lookup_to_the_same_id(sandbox: Sandbox,
                                                              client: TogglClient) -> None:
    wid = sandbox.store.ensure_workspace("Acme Agency")
    found = resolve_workspaces(client, [wid, "Acme Agency", "ACME AGENCY"])
    assert {w.id for w in found} == {wid}
    assert found[0].name == "Acme Agency"  # an id's name comes free with the lookup
    assert client.stats.reads == 1


def test_a_name_several_workspaces_answer_to_is_refused_naming_them(sandbox: Sandbox,
                                                                   client: TogglClient) -> None:
    first = sandbox.store.ensure_workspace("Acme")
    with sandbox.store.transaction() as db:  # a second workspace differing only in case
        db.execute("INSERT INTO workspaces (name, tier, at_ts) VALUES ('ACME', 'premium', 0)")
    second = max(row["id"] for row in sandbox.store.workspace_rows())
    assert resolve_workspaces(client, ["Acme"])[0].id == first  # the exact spelling wins
    with pytest.raises(UsageError) as raised:
        resolve_workspaces(client, ["acme"])
    assert f"(id {first})" in str(raised.value) and f"(id {second})" in str(raised.value)
