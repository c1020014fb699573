"""toggl-reconciler: Toggl Track workspaces as code."""

__version__ = "0.1.0"
