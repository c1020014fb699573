"""`toggl-reconciler` (and `python -m reconciler`): argument parsing and the one error boundary.

Expected failures (ReconcilerError) print one message per problem and exit with their code;
anything else is a bug, shown as one short line (the traceback only with --debug).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import traceback
from typing import IO, Callable, Mapping, NoReturn, Sequence, TextIO

from reconciler import __version__
from reconciler.cli.output import Output, wants_color
from reconciler.cli.preflight import check_output_paths
from reconciler.errors import EXIT_ERROR, ReconcilerError, UsageError
from reconciler.gc_pause import collector_paused
from reconciler.spec import SpecError
from reconciler.untrusted import shown

EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    stream: TextIO | None = None  # where --help and --version go (a bound subclass sets it)

    # argparse exits 2 on bad flags, but 2 means "changes pending" here: report it as exit 1.
    # The command's usage line comes with the error, as argparse itself would print it.
    def error(self, message: str) -> NoReturn:
        usage = self.format_usage().strip()
        raise UsageError(f"{self.prog}: {message}\n{usage}\n"
                         f"Run `{self.prog} --help` for every flag.")

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        if message:
            (self.stream or file or sys.stdout).write(message)


def build_parser(stream: TextIO | None = None) -> argparse.ArgumentParser:
    from reconciler.cli import commands

    parser_class = type("_BoundParser", (_Parser,), {"stream": stream})
    parser = parser_class(prog="toggl-reconciler",
                     description="Toggl Track workspaces as code: plan and apply clients, projects "
                                 "and tags from YAML.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = common_flags()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    sub.required = True
    for register in commands.REGISTRY:
        register(sub, common)
    return parser


VERBOSE_HELP = ("log every API request (method, path with its query string, status, time) and "
                "every retry wait to stderr")
# Offline commands send no request: --verbose there only adds detail, and says so.
OFFLINE_VERBOSE_HELP = "more detail on stderr (this command is offline: it sends no request)"


def common_flags(*, offline: bool = False) -> argparse.ArgumentParser:
    """The flags every command takes; `offline` for commands that never reach Toggl."""
    common = _Parser(add_help=False)
    group = common.add_argument_group("output")
    group.add_argument("--verbose", "-v", action="store_true",
                       help=OFFLINE_VERBOSE_HELP if offline else VERBOSE_HELP)
    group.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    group.add_argument("--no-color", dest="color", action="store_const", const=False, default=None,
                       help="no ANSI colours (also: NO_COLOR=1, or output not a terminal)")
    group.add_argument("--color", dest="color", action="store_const", const=True,
                       help="ANSI colours even when not on a terminal")
    return common


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    env = dict(os.environ if env is None else env)
    out = Output.for_env(env, stdout or sys.stdout, stderr or sys.stderr)
    words = list(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in words
    # Decided before parsing, so that a usage error is coloured like every other error.
    out.err_color = wants_color(out.stderr, env, _color_flag(words))
    try:
        with collector_paused():  # a command builds its objects, then ends
            return _run(argv, env, out, stdin or sys.stdin, debug)
    finally:
        out.resume_commands()  # end the CI log's stop-commands block


def _color_flag(words: Sequence[str]) -> bool | None:
    """--color / --no-color as given (the last one wins, as argparse decides), else None."""
    flags = [word == "--color" for word in words if word in ("--color", "--no-color")]
    return flags[-1] if flags else None


def _run(argv: Sequence[str] | None, env: dict[str, str], out: Output, stdin: TextIO,
         debug: bool) -> int:
    try:
        args = build_parser(out.stdout).parse_args(argv)
        out.color = wants_color(out.stdout, env, args.color)
        out.err_color = wants_color(out.stderr, env, args.color)
        out.verbose = args.verbose or args.debug
        handler: Callable[..., int] = args.handler
        if getattr(args, "long_running", False):
            gc.enable()  # a server runs for hours: let the collector do its work
        check_output_paths(args, env)  # before any request is spent
        return handler(args, env=env, out=out, stdin=stdin)
    except SpecError as error:
        for problem in error.problems:
            out.err(shown(problem))  # one line each: spec text and file names are user data
        count = len(error.problems)
        summary = f"{count} problem{'s' if count != 1 else ''} in the spec; nothing was sent to Toggl."
        out.error(summary)
        out.annotate("error", f"Error: {summary}")
        return error.exit_code
    except ReconcilerError as error:
        out.error(str(error))
        out.annotate("error", f"Error: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        out.err("Interrupted.")
        return EXIT_INTERRUPTED
    except SystemExit as exit_request:  # --help and --version
        return int(exit_request.code or 0)
    except OSError as error:
        if error.filename is None:
            return _report_bug(error, out, debug)
        # A file that became unwritable after the checks, a full disk, ...: the user's to fix.
        out.error(f"{error.filename}: {error.strerror or error}")
        return EXIT_ERROR
    except Exception as bug:  # noqa: BLE001 - the boundary that keeps tracebacks from users
        return _report_bug(bug, out, debug)


def _report_bug(bug: Exception, out: Output, debug: bool) -> int:
    if debug:
        out.err("".join(traceback.format_exception(type(bug), bug, bug.__traceback__)).rstrip())
    out.error(f"internal error ({type(bug).__name__}: {bug}). This is a bug in "
              f"toggl-reconciler {__version__}; re-run with --debug for the traceback.")
    return EXIT_ERROR


def entry_point() -> None:
    sys.exit(main())
