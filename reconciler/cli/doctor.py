"""`doctor`: is the tool pointed at the right place, and does the credential work?

Every name shown (workspaces of other organizations too, the user's own name, Maton's
connection fields) is untrusted: escaped with `reconciler.untrusted.shown` before formatting.

It spends few requests on purpose (each `/me...` call counts against a 30-an-hour user quota):
/me, /me/workspaces, /me/quota, and through Maton its connection list.
"""

from __future__ import annotations

from typing import Callable

from reconciler.cli.output import Output
from reconciler.durations import duration
from reconciler.errors import EXIT_ERROR, EXIT_OK
from reconciler.toggl import TogglClient
from reconciler.toggl.errors import AuthError, TogglError
from reconciler.untrusted import quoted, shown

_TIER_NAMES = {"free": "Free", "starter": "Starter", "premium": "Premium"}


def diagnose(client: TogglClient, out: Output) -> int:
    out.out(f"Transport: {client.transport.describe()}")
    try:
        user = client.get_me()
    except AuthError as error:
        out.out(f"Credential: REJECTED. {error}")
        out.out(f"Remedy: set {client.transport.credential_env} to a valid credential.")
        return EXIT_ERROR
    out.out(f"Credential: OK (user {shown(user.fullname or '?')}, id {user.id})")
    failures = sum(1 for check in _CHECKS if not _run_check(check, client, out))
    _show_quota_headers(client, out)
    return EXIT_OK if failures == 0 else EXIT_ERROR


def _run_check(check: Callable[[TogglClient, Output], None], client: TogglClient, out: Output) -> bool:
    try:
        check(client, out)
        return True
    except TogglError as error:
        out.out(f"  failed: {error}")
        return False


def _workspaces(client: TogglClient, out: Output) -> None:
    workspaces = client.list_workspaces()
    out.out(f"Workspaces ({len(workspaces)}):")
    for workspace in workspaces:
        out.out(f"  - {quoted(workspace.name)} (id {workspace.id}, {_TIER_NAMES[workspace.tier]} plan)")


def _quota(client: TogglClient, out: Output) -> None:
    for quota in client.get_quota():
        out.out(f"Quota: {quota.remaining} of {quota.total} requests left this hour in "
                f"organization {quota.organization_id}, resets in {duration(quota.resets_in_secs)}")


def _maton_connections(client: TogglClient, out: Output) -> None:
    if client.transport.kind != "maton":
        return
    connections = client.list_maton_connections()
    chosen = client.transport.connection
    out.out(f"Maton connections ({len(connections)} active):")
    for connection in connections:
        connection_id = str(connection.get("connection_id") or connection.get("id") or "?")
        used = " (used: MATON_CONNECTION)" if chosen and connection_id == chosen else ""
        created = shown(connection.get("creation_time", "?"))
        out.out(f"  - {shown(connection_id)} created {created}{used}")
    if not chosen and connections:
        out.out("  Without MATON_CONNECTION, Maton uses the oldest active connection.")


def _show_quota_headers(client: TogglClient, out: Output) -> None:
    if client.quota.remaining is not None:
        out.out(f"Last response: {client.quota.remaining} requests left, resets in "
                f"{duration(client.quota.resets_in)}")


_CHECKS: tuple[Callable[[TogglClient, Output], None], ...] = (
    _workspaces,
    _quota,
    _maton_connections,
)
