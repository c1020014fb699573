"""`toggl-reconciler completion bash|zsh|fish`: a shell completion script.

Commands, flags and their choices are read from the argparse parser itself, so a new flag is
completed the day it is added. Values complete from local files only, never a request (a TAB
press must not spend Toggl's hourly quota, nor need a credential): SPEC operands from
`*.yaml`/`*.yml` files and folders; `--workspace` from the `workspace:` of the spec files in the
current folder and the workspace ids in the `--read-cache FILE` already typed on the line. The
scripts ask for those names with `toggl-reconciler completion --workspaces [--read-cache FILE]`.
"""

from __future__ import annotations

import argparse
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from reconciler.cli.output import Output
from reconciler.errors import EXIT_OK

Subparsers = Any  # argparse's _SubParsersAction is private
SHELLS = ("bash", "zsh", "fish")
PROG = "toggl-reconciler"
# A spec file bigger than this is not read for a TAB press (the loader allows 16 MiB).
MAX_COMPLETION_FILE_BYTES = 1024 * 1024
MAX_NAMES = 200
MAX_FILES_READ = 100  # a folder of thousands of YAML files must not make TAB hang


def register_completion(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "completion", parents=[common], help="print a shell completion script",
        description="Print a completion script for bash, zsh or fish. Install it with one "
                    "command (README, \"Shell completion\"), e.g. for bash: "
                    "echo 'eval \"$(toggl-reconciler completion bash)\"' >> ~/.bashrc")
    parser.add_argument("shell", nargs="?", choices=SHELLS, help="the shell to complete for")
    # What the scripts call for --workspace: local names only, one a line.
    parser.add_argument("--workspaces", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--read-cache", default=None, metavar="FILE", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run_completion)


def run_completion(args: argparse.Namespace, *, out: Output, **_: Any) -> int:
    from reconciler.errors import UsageError

    if args.workspaces:
        for name in local_workspace_names(".", args.read_cache):
            out.out(name)
        return EXIT_OK
    if args.shell is None:
        raise UsageError(f"completion needs a shell: one of {', '.join(SHELLS)}")
    from reconciler.cli.main import build_parser

    out.stdout.write(SCRIPTS[args.shell](describe_parser(build_parser())))
    out.stdout.flush()
    return EXIT_OK


# ---------------------------------------------------------------------------- the parser


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    value: str | None  # None: a switch; else "file", "workspace", "choice" or "text"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    operand: str | None  # "spec" (spec files), "choice", or None
    operand_choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Program:
    flags: tuple[Option, ...]  # before the command: --help, --version
    commands: tuple[Command, ...]


def describe_parser(parser: argparse.ArgumentParser) -> Program:
    """The flags and commands of `parser`, their flags and operands, hidden flags left out."""
    commands: list[Command] = []
    for action in parser._actions:  # argparse has no public way to walk a parser
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                commands.append(_command(name, helps.get(name, ""), subparser))
    return Program(_options(parser), tuple(commands))


def _options(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    return tuple(_option(action) for action in parser._actions
                 if action.option_strings and action.help != argparse.SUPPRESS)


def _command(name: str, help_text: str, parser: argparse.ArgumentParser) -> Command:
    options = _options(parser)
    operand: str | None = None
    operand_choices: tuple[str, ...] = ()
    for action in parser._actions:
        if action.option_strings or isinstance(action, argparse._SubParsersAction):
            continue
        if action.choices:
            operand, operand_choices = "choice", tuple(str(c) for c in action.choices)
        elif action.dest == "specs":
            operand = "spec"
    return Command(name, _one_line(help_text), options, operand, operand_choices)


def _option(action: argparse.Action) -> Option:
    flags = tuple(sorted(action.option_strings, key=lambda flag: (not flag.startswith("--"), flag)))
    help_text = _one_line(action.help or "")
    if action.nargs == 0:
        return Option(flags, help_text, None)
    if action.choices:
        return Option(flags, help_text, "choice", tuple(str(c) for c in action.choices))
    if action.dest == "workspace":
        return Option(flags, help_text, "workspace")
    if action.metavar == "FILE" or action.dest.endswith("db"):
        return Option(flags, help_text, "file")
    return Option(flags, help_text, "text")


def _one_line(text: str) -> str:
    text = re.sub(r"%\((\w+)\)s", "", text)  # argparse's %(default)s placeholders
    return " ".join(text.split())


# ---------------------------------------------------------------------------- local names


def local_workspace_names(folder: str, read_cache: str | None = None) -> list[str]:
    """Workspace names of the spec files in `folder`, then ids in the read cache; no request."""
    names: list[str] = []
    for path in _spec_files(folder):
        name = _workspace_of(path)
        if name is not None:
            names.append(name)
    if read_cache:
        names += _cached_workspace_ids(read_cache)
    unique = dict.fromkeys(name for name in names if _printable(name))  # first-seen order
    return list(unique)[:MAX_NAMES]


def _spec_files(folder: str) -> list[str]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    specs = [entry.path for entry in entries
             if entry.name.endswith((".yaml", ".yml")) and not entry.name.startswith(".")
             and _small_file(entry)]
    return specs[:MAX_FILES_READ]


def _small_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file() and entry.stat().st_size <= MAX_COMPLETION_FILE_BYTES
    except OSError:
        return False


def _workspace_of(path: str) -> str | None:
    # The spec loader's own reader: its limits (aliases, depth, encoding) hold here too.
    from reconciler.spec.loader import load_file

    try:
        spec_file, _ = load_file(path)
    except Exception:  # noqa: BLE001 - a TAB press never shows a traceback
        return None
    if spec_file is None:
        return None
    workspace = spec_file.data.get("workspace")
    if isinstance(workspace, bool) or not isinstance(workspace, (str, int)):
        return None
    return str(workspace)


def _cached_workspace_ids(path: str) -> list[str]:
    import json

    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except (OSError, ValueError):
        return []
    workspaces = document.get("workspaces") if isinstance(document, dict) else None
    return [key for key in workspaces if key.isdigit()] if isinstance(workspaces, dict) else []


def _printable(name: str) -> bool:
    """No control or format characters: a name must not drive the terminal or the shell."""
    return bool(name.strip()) and not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")
                                          for c in name)


# ---------------------------------------------------------------------------- bash


def bash_script(program: Program) -> str:
    commands = program.commands
    names = " ".join([command.name for command in commands]
                     + [flag for option in program.flags for flag in option.flags])
    cases = "\n".join(_bash_case(command) for command in commands)
    return f"""# bash completion for {PROG} (generated by `{PROG} completion bash`)
_toggl_reconciler_add() {{
    # COMPREPLY gets every line of $1 that starts with the word being completed, quoted.
    local IFS=$'\\n' candidate word="${{cur#[\\"\\']}}"
    for candidate in $1; do
        [[ $candidate == "$word"* ]] && COMPREPLY+=("$(printf '%q' "$candidate")")
    done
}}

_toggl_reconciler_specs() {{
    compopt -o filenames 2>/dev/null
    local IFS=$'\\n'
    COMPREPLY+=($(compgen -d -- "$cur"))
    COMPREPLY+=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur"))
}}

_toggl_reconciler_files() {{
    compopt -o filenames 2>/dev/null
    local IFS=$'\\n'
    COMPREPLY+=($(compgen -f -- "$cur"))
}}

_toggl_reconciler_workspaces() {{
    local i cache=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${{COMP_WORDS[i]}} == --read-cache ]]; then
            cache=(--read-cache "${{COMP_WORDS[i+1]}}")
        fi
    done
    _toggl_reconciler_add "$({PROG} completion --workspaces "${{cache[@]}}" 2>/dev/null)"
}}

_toggl_reconciler() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" command="" i
    COMPREPLY=()
    # `--format=js`: bash splits at `=`, so the flag is the word before it
    [[ $cur == "=" ]] && cur=""
    [[ $prev == "=" && $COMP_CWORD -ge 2 ]] && prev="${{COMP_WORDS[COMP_CWORD-2]}}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${{COMP_WORDS[i]}} != -* ]]; then command="${{COMP_WORDS[i]}}"; break; fi
    done
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "{names}" -- "$cur"))
        return 0
    fi
    case "$command" in
{cases}
    esac
    return 0
}}

complete -o bashdefault -F _toggl_reconciler {PROG}
"""


def _bash_case(command: Command) -> str:
    value_cases = []
    for option in command.options:
        if option.value is None:
            continue
        flags = "|".join(option.flags)
        action = {
            "choice": f'COMPREPLY=($(compgen -W "{" ".join(option.choices)}" -- "$cur"))',
            "workspace": "_toggl_reconciler_workspaces",
            "file": "_toggl_reconciler_files",
            "text": ":",
        }[option.value]
        value_cases.append(f"                {flags}) {action}; return 0 ;;")
    flags = " ".join(flag for option in command.options for flag in option.flags)
    operand = {
        "spec": "_toggl_reconciler_specs",
        "choice": f'COMPREPLY=($(compgen -W "{" ".join(command.operand_choices)}" -- "$cur"))',
        None: ":",
    }[command.operand]
    cases = "\n".join(value_cases)
    return f"""        {command.name})
            case "$prev" in
{cases}
            esac
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "{flags}" -- "$cur"))
            else
                {operand}
            fi
            ;;"""


# ---------------------------------------------------------------------------- zsh


def zsh_script(program: Program) -> str:
    commands = program.commands
    top = "".join(f"        {_zsh_option(option, exclusive='(- *)')} \\\n" for option in program.flags)
    described = "\n".join(f"        {_zsh_quote(f'{c.name}:{_zsh_text(c.help)}')}" for c in commands)
    cases = "\n".join(_zsh_case(command) for command in commands)
    return f"""#compdef {PROG}
# zsh completion for {PROG} (generated by `{PROG} completion zsh`)

_toggl_reconciler_workspaces() {{
    local -a names cache
    local i
    for ((i = 1; i < $#words; i++)); do
        [[ $words[i] == --read-cache ]] && cache=(--read-cache "$words[i+1]")
    done
    names=(${{(f)"$({PROG} completion --workspaces $cache 2>/dev/null)"}})
    compadd -a names
}}

_toggl_reconciler() {{
    local curcontext="$curcontext" state line
    typeset -A opt_args
    _arguments -C \\
{top}        '1:command:->command' \\
        '*::argument:->argument'
    case $state in
    command)
        local -a commands
        commands=(
{described}
        )
        _describe -t commands 'command' commands
        ;;
    argument)
        case $line[1] in
{cases}
        esac
        ;;
    esac
}}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _toggl_reconciler "$@"
else
    # Sourced from .zshrc (eval "$(toggl-reconciler completion zsh)"): compdef needs compinit.
    (( $+functions[compdef] )) || {{ autoload -Uz compinit && compinit }}
    compdef _toggl_reconciler {PROG}
fi
"""


def _zsh_case(command: Command) -> str:
    specs = [_zsh_option(option) for option in command.options]
    if command.operand == "spec":
        specs.append("'*:spec file or folder:_files -g \"*.(yaml|yml)(-.)\"'")
    elif command.operand == "choice":
        specs.append(f"'1:{command.name}:({' '.join(command.operand_choices)})'")
    lines = " \\\n                ".join(specs)
    return f"""        {command.name})
            _arguments \\
                {lines}
            ;;"""


def _zsh_option(option: Option, exclusive: str = "") -> str:
    help_text = _zsh_text(option.help)
    if not exclusive and len(option.flags) > 1:  # -o and --out are one option
        exclusive = f"({' '.join(option.flags)})"
    flags = option.flags[0] if len(option.flags) == 1 else "{" + ",".join(option.flags) + "}"
    value = {
        None: "",
        "choice": f":{option.flags[0].lstrip('-')}:({' '.join(option.choices)})",
        "workspace": ":workspace:_toggl_reconciler_workspaces",
        "file": ":file:_files",
        "text": f":{option.flags[0].lstrip('-')}: ",
    }[option.value]
    return f"'{exclusive}'{flags}'[{help_text}]{value}'"


def _zsh_text(text: str) -> str:
    """Help text safe inside `'...[...]'` of an _arguments spec."""
    return re.sub(r"[\[\]:\\`$]", " ", text.replace("'", "")).strip()


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------------------- fish


def fish_script(program: Program) -> str:
    commands = program.commands
    lines = [
        f"# fish completion for {PROG} (generated by `{PROG} completion fish`)",
        f"complete -c {PROG} -f",
        *(f"complete -c {PROG} -n __fish_use_subcommand {_fish_option(option)}"
          for option in program.flags),
        "function __toggl_reconciler_workspaces",
        "    set -l words (commandline -opc)",
        "    set -l cache",
        "    for i in (seq (count $words))",
        "        if test \"$words[$i]\" = --read-cache; and test $i -lt (count $words)",
        "            set cache --read-cache $words[(math $i + 1)]",
        "        end",
        "    end",
        f"    {PROG} completion --workspaces $cache 2>/dev/null",
        "end",
        "function __toggl_reconciler_specs",
        "    for path in (commandline -ct)*",
        "        if test -d $path",
        "            echo $path/",
        "        else if string match -qr '\\.ya?ml$' -- $path",
        "            echo $path",
        "        end",
        "    end",
        "end",
    ]
    for command in commands:
        lines.append(f"complete -c {PROG} -n __fish_use_subcommand -a {command.name} "
                     f"-d {_fish_quote(command.help)}")
        when = f"-n {_fish_quote(f'__fish_seen_subcommand_from {command.name}')}"
        for option in command.options:
            lines.append(f"complete -c {PROG} {when} {_fish_option(option)}")
        if command.operand == "spec":
            lines.append(f"complete -c {PROG} {when} -a '(__toggl_reconciler_specs)'")
        elif command.operand == "choice":
            lines.append(f"complete -c {PROG} {when} -a "
                         f"{_fish_quote(' '.join(command.operand_choices))}")
    return "\n".join(lines) + "\n"


def _fish_option(option: Option) -> str:
    parts = []
    for flag in option.flags:
        parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
    value = {
        None: "",
        "choice": f"-x -a {_fish_quote(' '.join(option.choices))}",
        "workspace": "-x -a '(__toggl_reconciler_workspaces)'",
        "file": "-r -F",
        "text": "-x",
    }[option.value]
    return " ".join(parts + ([value] if value else []) + [f"-d {_fish_quote(option.help)}"])


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


SCRIPTS = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}
