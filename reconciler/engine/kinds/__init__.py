"""One planner per kind, and the registry the planner core iterates (see `kinds.base`).

Order matters twice: planners run in REGISTRY order (a later kind may read what an earlier
one matched: members and tasks read the project pairs, members the groups), and each
planner's `phases` place its changes in the plan:

    create side:  workspace 0, settings 1, client 2, project 3, tag 4, group 5, member 6, task 7
    removal side: task 7, member 8, group 9, tag 10, project 11, client 12
"""

from __future__ import annotations

from typing import Mapping

from reconciler.engine.kinds import (
    clients,
    groups,
    members,
    projects,
    settings,
    tags,
    tasks,
    workspace,
)
from reconciler.engine.kinds.base import KindPlanner, Phases
from reconciler.model import Kind

REGISTRY: tuple[KindPlanner, ...] = (
    workspace.PLANNER,
    settings.PLANNER,
    clients.PLANNER,
    projects.PLANNER,
    tags.PLANNER,
    groups.PLANNER,
    members.PLANNER,
    tasks.PLANNER,
)
PHASES: Mapping[Kind, Phases] = {planner.kind: planner.phases for planner in REGISTRY}

__all__ = ["KindPlanner", "Phases", "PHASES", "REGISTRY"]
