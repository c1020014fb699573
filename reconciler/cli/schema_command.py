"""`toggl-reconciler schema`: the spec's JSON Schema, for editors and for tools without the checkout.

The text printed is the packaged file byte for byte (read through the spec package's
SCHEMA_PATH, so it works the same from a wheel), so `schema > workspace.schema.json` gives the
very file the validator uses. Editors take it through a `# yaml-language-server: $schema=...`
comment or their settings (README, "Editor support").
"""

from __future__ import annotations

import argparse
from typing import Any

from reconciler.cli.main import common_flags
from reconciler.cli.output import Output
from reconciler.errors import EXIT_OK, ReconcilerError

Subparsers = Any  # argparse's _SubParsersAction is private


def register_schema(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("schema", parents=[common_flags(offline=True)], help="print the spec's JSON Schema",
                            description="Print the JSON Schema (draft 2020-12) that spec files "
                                        "are validated against, e.g. for an editor: "
                                        "toggl-reconciler schema > workspace.schema.json")
    parser.set_defaults(handler=run_schema)


def run_schema(args: argparse.Namespace, *, out: Output, **_: Any) -> int:
    out.stdout.write(schema_text())
    out.stdout.flush()
    return EXIT_OK


def schema_text() -> str:
    from reconciler.spec.schema import SCHEMA_PATH

    try:
        text = SCHEMA_PATH.read_text(encoding="utf-8")
    except OSError as error:  # a broken install: say which file, not a traceback
        raise ReconcilerError(f"cannot read the packaged schema {SCHEMA_PATH}: "
                              f"{error.strerror or error}") from None
    return text if text.endswith("\n") else text + "\n"
