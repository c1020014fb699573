"""The command-line shell: the only code that prints or reads the terminal."""

from reconciler.cli.main import entry_point, main

__all__ = ["entry_point", "main"]
