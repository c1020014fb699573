"""Shell completion through the real CLI: the scripts are generated from the parser, bash's
completion function is run for real in a subprocess, zsh and fish parse (and fish completes)
when installed, and asking for workspace names never sends a request."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cli.completion import describe_parser, local_workspace_names
from reconciler.cli.main import build_parser
from reconciler.sandbox import Sandbox, SandboxConfig

REPO = Path(__file__).resolve().parents[2]
TOKEN = "completion-secret-token-0123456789"


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def script(shell: str) -> str:
    code, text, stderr = run(["completion", shell])
    assert code == 0, stderr
    return text


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "acme.yaml").write_text("version: 1\nworkspace: Acme Agency\n", encoding="utf-8")
    (tmp_path / "globex.yml").write_text("version: 1\nworkspace: 'Globex: EU'\n", encoding="utf-8")
    (tmp_path / "ids.yaml").write_text("version: 1\nworkspace: 1234567\n", encoding="utf-8")
    (tmp_path / "evil.yaml").write_text('version: 1\nworkspace: "a\\e[31mred"\n', encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("version: 1\nworkspace: [\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("workspace: Not A Spec\n", encoding="utf-8")
    (tmp_path / "specs").mkdir()
    return tmp_path


def _shell_env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    # `toggl-reconciler` on PATH runs this worktree's code, whatever is installed.
    bin_dir = tmp_path.parent / f"{tmp_path.name}-bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "toggl-reconciler"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} -m reconciler \"$@\"\n")
    launcher.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": str(REPO), "HOME": str(tmp_path), **(extra or {})}


def bash_complete(project: Path, *words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash's completion function offers for the command line `words` (the last is the
    word being completed)."""
    script_path = project.parent / f"{project.name}-completion.bash"
    script_path.write_text(script("bash"), encoding="utf-8")
    quoted = " ".join("'" + word.replace("'", "'\\''") + "'" for word in words)
    program = (f"source {script_path}\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n"
               "_toggl_reconciler\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], cwd=project,
                            env=env or _shell_env(project), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


# ---------------------------------------------------------------------------- from the parser


def test_every_command_and_flag_of_the_parser_is_in_every_script() -> None:
    program = describe_parser(build_parser())
    assert {flag for option in program.flags for flag in option.flags} == {"-h", "--help", "--version"}
    commands = program.commands
    names = {command.name for command in commands}
    assert {"validate", "plan", "apply", "export", "doctor", "sandbox", "completion"} <= names
    for shell in ("bash", "zsh", "fish"):
        text = script(shell)
        for command in commands:
            assert command.name in text
            for option in command.options:
                for flag in option.flags:
                    spelled = flag if shell != "fish" else (
                        f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
                    assert spelled in text, (shell, command.name, flag)
        assert "version" in text
        assert "--workspaces" in text  # the local-names helper is what they call
        assert "--read-cache" in text


def test_a_flag_added_to_the_parser_is_completed_without_touching_the_scripts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.cli import plan_apply

    original = plan_apply._add_spec_flags

    def with_extra(parser: object) -> None:
        original(parser)  # type: ignore[arg-type]
        parser.add_argument("--brand-new-flag", choices=["x1", "y2"])  # type: ignore[attr-defined]

    monkeypatch.setattr(plan_apply, "_add_spec_flags", with_extra)
    assert "--brand-new-flag" in script("bash")
    assert "x1 y2" in script("bash")


def test_a_missing_or_unknown_shell_is_a_usage_error() -> None:
    assert run(["completion"])[0] == 1
    code, _, stderr = run(["completion", "powershell"])
    assert code == 1 and "invalid choice" in stderr and "Traceback" not in stderr


# ---------------------------------------------------------------------------- bash, for real


def test_bash_completes_commands_and_flags(project: Path) -> None:
    assert bash_complete(project, "toggl-reconciler", "pl") == ["plan"]
    assert "completion" in bash_complete(project, "toggl-reconciler", "")
    assert bash_complete(project, "toggl-reconciler", "plan", "--det") == ["--detailed-exitcode"]
    assert bash_complete(project, "toggl-reconciler", "plan", "--format", "") == \
        ["json", "markdown", "text"]
    assert bash_complete(project, "toggl-reconciler", "completion", "") == ["bash", "zsh", "fish"]


def test_bash_completes_spec_files_and_folders_only(project: Path) -> None:
    offered = bash_complete(project, "toggl-reconciler", "validate", "")
    assert sorted(offered) == ["acme.yaml", "broken.yaml", "evil.yaml", "globex.yml", "ids.yaml",
                               "specs"]


def test_bash_completes_workspace_names_from_local_specs_quoted(project: Path) -> None:
    offered = bash_complete(project, "toggl-reconciler", "plan", "acme.yaml", "--workspace", "")
    assert offered == ["Acme\\ Agency", "Globex:\\ EU", "1234567"]
    assert bash_complete(project, "toggl-reconciler", "plan", "-w", "Gl") == ["Globex:\\ EU"]


def test_bash_completes_workspace_ids_from_the_read_cache_on_the_line(project: Path) -> None:
    cache = project / "cache.json"
    cache.write_text(json.dumps({"format": 1, "workspaces": {"777": {"projects": []}}}))
    offered = bash_complete(project, "toggl-reconciler", "plan", "--read-cache", str(cache),
                            "-w", "7")
    assert offered == ["777"]


def test_completion_never_sends_a_request(project: Path) -> None:
    """A TAB press with a credential and an API URL in the environment reads files only."""
    with Sandbox(SandboxConfig(seed_demo=False, token=TOKEN)) as sandbox:
        env = _shell_env(project, {"TOGGL_API_URL": sandbox.url, "TOGGL_API_TOKEN": TOKEN})
        offered = bash_complete(project, "toggl-reconciler", "plan", "-w", "", env=env)
        assert "Acme\\ Agency" in offered
        code, text, _ = run(["completion", "--workspaces"],
                            env={"TOGGL_API_URL": sandbox.url, "TOGGL_API_TOKEN": TOKEN})
        assert code == 0
        assert sandbox.requests == []


# ---------------------------------------------------------------------------- local names


def test_local_names_skip_broken_files_other_files_and_control_characters(project: Path) -> None:
    assert local_workspace_names(str(project)) == ["Acme Agency", "Globex: EU", "1234567"]


def test_local_names_of_a_missing_folder_or_a_damaged_cache_are_none(tmp_path: Path) -> None:
    (tmp_path / "cache.json").write_text("{not json")
    assert local_workspace_names(str(tmp_path / "nowhere"), str(tmp_path / "cache.json")) == []
    assert local_workspace_names(str(tmp_path), str(tmp_path / "missing.json")) == []


# ---------------------------------------------------------------------------- zsh and fish


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_the_zsh_script_parses_and_registers_itself(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "_toggl-reconciler"
    path.write_text(script("zsh"), encoding="utf-8")
    assert subprocess.run(["zsh", "-n", str(path)], capture_output=True).returncode == 0
    result = subprocess.run(
        ["zsh", "-f", "-c", f"autoload -U compinit; compinit -u -d {tmp_path}/zcompdump; "
                            f"source {path}; print -r -- $_comps[toggl-reconciler]"],
        capture_output=True, text=True, env=_shell_env(project), timeout=60)
    assert result.stdout.strip() == "_toggl_reconciler", result.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_the_fish_script_parses_and_completes(project: Path, tmp_path: Path) -> None:
    path = tmp_path / "toggl-reconciler.fish"
    path.write_text(script("fish"), encoding="utf-8")
    assert subprocess.run(["fish", "--no-execute", str(path)], capture_output=True).returncode == 0

    def complete(line: str) -> list[str]:
        result = subprocess.run(["fish", "--no-config", "-c", f"source {path}; complete -C '{line}'"],
                                capture_output=True, text=True, cwd=project,
                                env=_shell_env(project), timeout=60)
        assert result.returncode == 0, result.stderr
        return [entry.split("\t")[0] for entry in result.stdout.splitlines()]

    assert complete("toggl-reconciler pl") == ["plan"]
    assert complete("toggl-reconciler plan --format ") == ["json", "markdown", "text"]
    assert sorted(complete("toggl-reconciler validate ")) == \
        ["acme.yaml", "broken.yaml", "evil.yaml", "globex.yml", "ids.yaml", "specs/"]
    assert sorted(complete("toggl-reconciler plan -w ")) == ["1234567", "Acme Agency", "Globex: EU"]


# ---------------------------------------------------------------------------- the README's commands


def _readme_install_commands() -> dict[str, str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Shell completion", 1)[1].split("\n### ", 1)[0]
    commands = {}
    for shell in ("bash", "zsh", "fish"):
        row = next(line for line in section.splitlines() if line.startswith(f"| {shell} |"))
        commands[shell] = row.split("| `", 1)[1].rsplit("` |", 1)[0]
    return commands


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_readme_installs_completion_with_one_command(shell: str, project: Path,
                                                         tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    home = tmp_path / "home"
    home.mkdir()
    env = {**_shell_env(project), "HOME": str(home)}
    install = subprocess.run(["sh", "-c", _readme_install_commands()[shell]], env=env,
                             capture_output=True, text=True, timeout=60)
    assert install.returncode == 0, install.stderr
    check = {
        "bash": ["bash", "--norc", "-c", "source ~/.bashrc; complete -p toggl-reconciler"],
        "zsh": ["zsh", "-f", "-c", "source ~/.zshrc; print -r -- $_comps[toggl-reconciler]"],
        "fish": ["fish", "-c", "complete -C 'toggl-reconciler pl'"],  # fish finds it by itself
    }[shell]
    result = subprocess.run(check, env=env, cwd=project, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert {"bash": "-F _toggl_reconciler toggl-reconciler", "zsh": "_toggl_reconciler",
            "fish": "plan"}[shell] in result.stdout


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_for_real_on_a_terminal(project: Path, tmp_path: Path) -> None:
    """An interactive zsh on a pseudo-terminal, TAB pressed: what the line becomes."""
    import pty  # noqa: F401 - POSIX only, like zsh
    import select
    import time

    home = tmp_path / "zhome"
    home.mkdir()
    env = {**_shell_env(project), "HOME": str(home), "TERM": "xterm"}
    master, slave = os.openpty()
    shell = subprocess.Popen(["zsh", "-f", "-i"], stdin=slave, stdout=slave, stderr=slave,
                             env=env, cwd=project, start_new_session=True)
    os.close(slave)

    def type_and_read(text: str, until: bytes, timeout: float = 20.0) -> bytes:
        os.write(master, text.encode())
        seen, deadline = b"", time.monotonic() + timeout
        while until not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                seen += os.read(master, 65536)
        return seen

    try:
        ready = type_and_read('autoload -U compinit; compinit -u -d "$HOME/zcd"; '
                              'eval "$(toggl-reconciler completion zsh)"; echo RE""ADY\n', b"READY")
        assert b"READY" in ready
        assert b"plan --format" in type_and_read("toggl-reconciler plan --form\t", b"--format")
        assert b"-w Acme\\ Agency" in type_and_read("\x15toggl-reconciler plan -w Ac\t", b"Agency")
        assert b"toggl-reconciler validate" in type_and_read("\x15toggl-reconciler val\t",
                                                             b"validate")
        assert b"validate acme.yaml" in type_and_read("\x15toggl-reconciler validate ac\t",
                                                      b"acme.yaml")
    finally:
        os.write(master, b"\x15exit\n")
        try:
            shell.wait(timeout=10)
        finally:
            os.close(master)


def test_a_hostile_workspace_name_is_offered_quoted_never_run(tmp_path: Path) -> None:
    (tmp_path / "trap.yaml").write_text("version: 1\nworkspace: '$(touch pwned); `touch pwned2`'\n",
                                        encoding="utf-8")
    [offered] = bash_complete(tmp_path, "toggl-reconciler", "plan", "-w", "")
    assert offered == "\\$\\(touch\\ pwned\\)\\;\\ \\`touch\\ pwned2\\`"
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    # and bash reads the quoted word back as the name itself
    result = subprocess.run(["bash", "--norc", "-c", f"printf '%s' {offered}"], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.stdout == "$(touch pwned); `touch pwned2`"


def test_bash_completes_a_flag_value_written_with_equals(project: Path) -> None:
    # bash splits `--format=js` into `--format`, `=`, `js`
    assert bash_complete(project, "toggl-reconciler", "plan", "--format", "=", "js") == ["json"]
    assert bash_complete(project, "toggl-reconciler", "plan", "--format", "=") == \
        ["json", "markdown", "text"]
