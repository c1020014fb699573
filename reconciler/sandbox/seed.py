"""The demo workspace a new sandbox database starts with: small, but with every case the
reconciler meets (a client-less project, archived client and projects, tracked time, and
three more workspace users for members, groups and task assignees)."""

from __future__ import annotations

from reconciler.sandbox.identity import DEMO_WORKSPACE_NAME
from reconciler.sandbox.store import Store

_HOUR = 3600
# (client or None, project, active, colour, tracked hours)
_DEMO_PROJECTS: tuple[tuple[str | None, str, bool, str, int], ...] = (
    ("Acme Corp", "Website Redesign", True, "#0b83d9", 12),
    ("Acme Corp", "Mobile App", True, "#9e5bd9", 7),
    ("Acme Corp", "Legacy Support", False, "#525266", 3),
    ("Globex", "Data Migration", True, "#2da608", 5),
    ("Globex", "Website Redesign", True, "#e36a00", 2),
    ("Initech", "TPS Reports", False, "#c7af14", 4),
    (None, "Internal", True, "#d94182", 6),
    (None, "Old Experiments", False, "#06a893", 1),
)
_DEMO_TAGS = ("billable", "meeting", "deep-work", "support", "research")
DEMO_USERS = ("ana@acme.test", "bo@acme.test", "cy@acme.test")


def seed_demo(store: Store) -> int:
    """Creates the demo workspace (in the configured tier) and answers its id."""
    with store.transaction():
        wid = store.ensure_workspace(DEMO_WORKSPACE_NAME)
        store.add_users(DEMO_USERS)
        client_ids = {
            "Acme Corp": store.add_client(wid, "Acme Corp", notes="Our oldest customer"),
            "Globex": store.add_client(wid, "Globex"),
            "Initech": store.add_client(wid, "Initech", archived=True),
        }
        for name in _DEMO_TAGS:
            store.add_tag(wid, name)
        for client, name, active, color, hours in _DEMO_PROJECTS:
            project_id = store.add_project(
                wid, name, client_id=client_ids.get(client) if client else None,
                active=True, color=color,
            )
            store.add_time_entry(wid, project_id, hours * _HOUR, description=f"{name} work")
            if not active:
                store.db.execute("UPDATE projects SET active = 0 WHERE id = ?", (project_id,))
    return wid
