"""toggl-reconciler: Toggl Track workspaces as code."""
# The one place the version is written: pyproject.toml reads it (dynamic version),
# and the plan files, the User-Agent and `--version` report it.

__version__ = "0.2.0"
