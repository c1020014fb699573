"""`python -m reconciler` is the same program as the `toggl-reconciler` script."""

from reconciler.cli import entry_point

entry_point()
