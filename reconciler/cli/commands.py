"""The commands. Each one is `register(subparsers, common)` plus a handler returning an exit code;
`plan` and `apply` live in plan_apply.py, `validate` in validate.py."""

from __future__ import annotations

import argparse
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

from reconciler.cli.completion import register_completion
from reconciler.cli.connection import Connection, add_connection_flags, connect
from reconciler.cli.output import Output
from reconciler.cli.plan_apply import Subparsers, register_apply, register_plan
from reconciler.cli.schema_command import register_schema
from reconciler.cli.validate import register_validate
from reconciler.errors import EXIT_OK
from reconciler.live import NO_WORKSPACE_READS, WorkspaceReads, read_live_state
from reconciler.render.common import plural
from reconciler.untrusted import quoted, shown


# ---------------------------------------------------------------------------- export


def register_export(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("export", parents=[common], help="write a spec of a live workspace",
                            description="Write a version-1 spec of a live workspace, to start "
                                        "managing it as code or to clone it.")
    parser.add_argument("--workspace", "-w", default=None,
                        help="workspace name or id (default: your default workspace)")
    parser.add_argument("--output", "-o", default=None, metavar="FILE", help="default: stdout")
    parser.add_argument("--include-archived", action="store_true",
                        help="also export archived clients and projects")
    parser.add_argument("--without-workspace-kinds", action="store_true",
                        help="export clients, projects and tags only: no settings, groups, "
                             "members or tasks (up to 6 fewer reads)")
    add_connection_flags(parser)
    parser.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace, *, env: Mapping[str, str], out: Output, **_: Any) -> int:
    from reconciler.exporter import export, utc_now

    with connect(args, env, out) as connection:
        workspace = _export_target(connection, args.workspace)
        reads = NO_WORKSPACE_READS if args.without_workspace_kinds else WorkspaceReads.everything()
        live = read_live_state(connection.client, workspace, None, reads)
        if live.workspace_name is None:  # given by id: one more read for its name and plan
            details = connection.client.get_workspace(live.workspace_id)
            live = replace(live, workspace_name=details.name, tier=details.tier)
        name = quoted(live.workspace_name) if live.workspace_name else f"id {live.workspace_id}"
        exported = export(live, include_archived=args.include_archived,
                          source=connection.client.transport.root, now=utc_now())
    for sentence in exported.left_out:
        out.warning(sentence)
    # The spec is a data document: written exactly (its producer escaped every name in it),
    # never scrubbed, or a credential that is also a word would rename objects.
    if args.output:
        Path(args.output).write_text(exported.text, encoding="utf-8")
        out.info(f"Wrote {shown(args.output)}: {_object_counts(exported.written)} from workspace "
                 f"{name}.{_left_out_note(exported)}")
    else:
        out.document(exported.text)
        note = _left_out_note(exported)
        if note:
            out.info(note.lstrip())
    return EXIT_OK


def _object_counts(counts: Mapping[str, int]) -> str:
    """`1 client, 35 projects, 15 tags`: every section, each count with its own noun; then
    groups, members and tasks when the export wrote them."""
    sections = ["clients", "projects", "tags"]
    sections += [section for section in ("groups", "members", "tasks") if section in counts]
    return ", ".join(plural(counts.get(section, 0), section.rstrip("s")) for section in sections)


def _left_out_note(exported: Any) -> str:
    """What the file does not hold, and why: archived objects, and names no spec can hold."""
    notes = []
    archived = {section: count for section, count in exported.archived_left_out.items() if count}
    if archived:
        listed = " and ".join(plural(count, f"archived {section.rstrip('s')}")
                              for section, count in archived.items())
        notes.append(f"{listed} (pass --include-archived to export them)")
    unholdable = len(exported.left_out)
    if unholdable:
        notes.append(f"{plural(unholdable, 'object')} no spec can hold (see the "
                     f"warning{'s' if unholdable != 1 else ''} above)")
    return f" Left out: {'; '.join(notes)}." if notes else ""


def _export_target(connection: Connection, workspace: str | None) -> str | int:
    if workspace is None:
        if connection.sandbox is not None:
            return connection.sandbox.store.demo_workspace_id
        return connection.client.get_me().default_workspace_id
    connection.ensure_sandbox_workspace(workspace)
    return int(workspace) if workspace.isdigit() else workspace


# ---------------------------------------------------------------------------- doctor


def register_doctor(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("doctor", parents=[common], help="check the connection to Toggl",
                            description="Show the transport and API root in use, check the "
                                        "credential, and list workspaces, quota and (through "
                                        "Maton) connections.")
    add_connection_flags(parser)
    parser.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace, *, env: Mapping[str, str], out: Output, **_: Any) -> int:
    from reconciler.cli.doctor import diagnose

    with connect(args, env, out) as connection:
        return diagnose(connection.client, out)


# ---------------------------------------------------------------------------- sandbox


def register_sandbox(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    from reconciler.sandbox.cli_args import add_sandbox_arguments

    parser = sub.add_parser("sandbox", parents=[common], help="run the local Toggl-compatible API",
                            formatter_class=_DefaultsShown,
                            description="Run a local Toggl-compatible API server (SQLite-backed) "
                                        "to try the tool or test against, with no account.")
    add_sandbox_arguments(parser)
    parser.set_defaults(handler=run_sandbox, long_running=True)


class _DefaultsShown(argparse.HelpFormatter):
    """Every option's default in its help, unless it has none (None, off) or says it already."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (not action.option_strings or "default" in text
                or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS):
            return text
        return f"{text} (default: %(default)s)"


def run_sandbox(args: argparse.Namespace, *, out: Output, **_: Any) -> int:
    from reconciler.cli.connection import open_sandbox
    from reconciler.sandbox.cli_args import config_from_args

    sandbox = open_sandbox(lambda: config_from_args(args), db_flag="--db")
    url = sandbox.url
    out.out(f"Toggl sandbox listening on {url} (database {args.db}). Point the tool at it with:")
    for line in sandbox.environment_hints():
        out.out(line)
    out.out("Press Ctrl-C to stop.")
    try:
        threading.Event().wait()  # until Ctrl-C
    except KeyboardInterrupt:
        out.info("Stopping the sandbox.")
    finally:
        sandbox.stop()
    return EXIT_OK


REGISTRY: tuple[Callable[[Subparsers, argparse.ArgumentParser], None], ...] = (
    register_validate,
    register_plan,
    register_apply,
    register_export,
    register_doctor,
    register_sandbox,
    register_schema,
    register_completion,
)
