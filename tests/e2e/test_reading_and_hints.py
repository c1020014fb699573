"""Issue 14, the rest: plans that read from the top, `--compact`, hints that work when pasted,
and flags that contradict each other. Through the real CLI against the sandbox."""

from __future__ import annotations

import io
import os
import shlex
import sys
from pathlib import Path

from reconciler.cli import main
from tests.e2e.conftest import Harness


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdin=io.StringIO(), stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def seeded(harness: Harness) -> str:
    """A live workspace with a client and tag the spec drops, and a spec creating 12 projects."""
    harness.cli("apply", harness.spec("clients: [{name: Gone}]\ntags: [old]\n", "seed.yaml"),
                "--auto-approve")
    projects = "".join(f"  - {{name: P{number:02}, client: Acme}}\n" for number in range(12))
    return harness.spec("unmanaged: {clients: archive, tags: delete}\n"
                        "clients: [{name: Acme}]\nprojects:\n" + projects)


def test_text_plan_starts_with_its_summary_then_removals_then_details(harness: Harness) -> None:
    result = harness.cli("plan", seeded(harness))
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Plan: 13 to create, 0 to update, 0 to rename, 1 to archive, 0 to restore, 1 to delete")
    assert lines[1].startswith("Requests: ")
    removals = result.stdout.index("2 objects will be archived or deleted:")
    assert removals < result.stdout.index("Actions are shown") < result.stdout.index("+ client")
    assert lines[-1] == lines[0]  # a long plan ends with its summary again, next to any prompt


def test_compact_plan_is_one_line_per_kind_and_action(harness: Harness) -> None:
    result = harness.cli("plan", seeded(harness), "--compact")
    assert result.code == 0, result.output
    assert ('  + create 12 projects: "Acme/P00", "Acme/P01", "Acme/P02" and 9 more'
            in result.stdout)
    assert '  + create 1 client: "Acme"' in result.stdout
    assert "+ active" not in result.stdout
    markdown = harness.cli("plan", seeded(harness), "--compact", "--format", "markdown").stdout
    assert "- `+` create 12 projects: **Acme\\/P00**, **Acme\\/P01**, **Acme\\/P02** and 9 more" \
        in markdown
    assert "<details><summary>Projects" not in markdown


def test_the_bill_says_toggl_reported_no_quota(harness: Harness) -> None:
    result = harness.cli("plan", harness.spec("tags: [a]\n"))
    assert "Quota: Toggl reported none." in result.stdout.splitlines()[1]
    harness.sandbox.configure(hourly_quota=500)
    result = harness.cli("plan", harness.spec("tags: [a]\n"))
    assert "Quota: " in result.stdout and "left" in result.stdout.splitlines()[1], result.stdout


def test_saved_sandbox_plan_hint_works_when_pasted(tmp_path: Path) -> None:
    folder = tmp_path / "my plans"
    folder.mkdir()
    spec = folder / "spec.yaml"
    spec.write_text("version: 1\nworkspace: Demo\ntags: [a, b]\n", encoding="utf-8")
    db, plan = str(folder / "sandbox.db"), str(folder / "plan.json")
    code, _, stderr = run(["plan", str(spec), "--sandbox", "--sandbox-db", db, "--out", plan])
    assert code == 0, stderr
    hint = stderr.split("apply it with: ", 1)[1].splitlines()[0]
    assert hint == f"toggl-reconciler apply --plan {shlex.quote(plan)} --sandbox " \
                   f"--sandbox-db {shlex.quote(db)}"
    code, stdout, stderr = run(shlex.split(hint)[1:])  # as a shell would split it
    assert code == 0, stderr
    assert "Apply complete: 2 of 2 changes applied" in stdout


def test_sandbox_with_api_url_is_refused_before_anything_starts(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nworkspace: Demo\ntags: [a]\n", encoding="utf-8")
    db = tmp_path / "sandbox.db"
    code, stdout, stderr = run(["plan", str(spec), "--sandbox", "--sandbox-db", str(db),
                                "--api-url", "http://127.0.0.1:1"])
    assert code == 1
    assert "--sandbox and --api-url cannot be combined" in stderr
    assert "Using the embedded sandbox" not in stderr and not db.exists()
    code, _, stderr = run(["plan", str(spec), "--sandbox", "--sandbox-db", str(db),
                           "--transport", "maton"])
    assert code == 1 and "--sandbox and --transport maton cannot be combined" in stderr
    assert not db.exists()


def test_export_says_what_it_wrote_and_what_it_left_out(harness: Harness, tmp_path: Path) -> None:
    acme = harness.store.add_client(harness.wid, "Acme")
    harness.store.add_client(harness.wid, "Old", archived=True)
    harness.store.add_project(harness.wid, "Live", client_id=acme)
    harness.store.add_project(harness.wid, "Done", client_id=acme, active=False)
    harness.store.add_project(harness.wid, "Gone too", client_id=acme, active=False)
    harness.store.add_tag(harness.wid, "billable")
    target = tmp_path / "exported.yaml"
    result = harness.cli("export", "--workspace", "Acme Agency", "-o", str(target))
    assert result.code == 0, result.output
    assert ("1 client, 1 project, 1 tag from workspace 'Acme Agency'. Left out: 1 archived "
            "client and 2 archived projects (pass --include-archived to export them).") \
        in result.stderr
    assert "seen" not in result.stderr
    everything = harness.cli("export", "--workspace", "Acme Agency", "-o", str(target),
                             "--include-archived")
    assert "2 clients, 3 projects, 1 tag from workspace 'Acme Agency'." in everything.stderr
    assert "Left out" not in everything.stderr
    to_stdout = harness.cli("export", "--workspace", "Acme Agency")
    assert to_stdout.stderr.startswith("Left out: 1 archived client and 2 archived projects")
    assert "Left out" not in to_stdout.stdout  # stdout is the spec alone


def test_adopt_snippet_is_indented_like_export_and_pastes_into_a_list(harness: Harness) -> None:
    harness.store.add_client(harness.wid, "Stray")
    harness.store.add_tag(harness.wid, "loose")
    spec = harness.spec("clients:\n  - name: Acme\ntags:\n  - kept\n")
    result = harness.cli("plan", spec)
    snippet = result.stdout.split("add these entries to the spec:\n\n", 1)[1]
    assert snippet.startswith("clients:\n  - name: Stray\n")
    assert "tags:\n  - loose" in snippet
    # Pasted under the spec's own lists (their first lines dropped), the spec adopts both.
    body = Path(spec).read_text(encoding="utf-8")
    pasted = body.replace("clients:\n", "clients:\n  - name: Stray\n").replace(
        "tags:\n", "tags:\n  - loose\n")
    Path(spec).write_text(pasted, encoding="utf-8")
    after = harness.cli("plan", spec)
    assert after.code == 0, after.output
    assert "Unmanaged" not in after.stdout and "Stray" not in after.stdout, after.output


# ---------------------------------------------------------------- help, usage, --verbose


def test_validate_help_promises_no_api_log_and_plan_flags_have_help() -> None:
    _, validate_help, _ = run(["validate", "--help"])
    assert "API request" not in validate_help and "offline" in validate_help
    _, plan_help, _ = run(["plan", "--help"])
    plan_help = " ".join(plan_help.split())  # argparse wraps at the terminal's width
    assert "every *.yaml/*.yml file" in plan_help  # SPEC
    assert "the plan contract" in plan_help  # --format
    assert "--compact" in plan_help
    assert "query string" in plan_help  # --verbose says what it logs


def test_sandbox_help_shows_defaults() -> None:
    _, text, _ = run(["sandbox", "--help"])
    flat = " ".join(text.split())
    assert "(default: 127.0.0.1)" in flat and "(default: premium)" in flat
    assert "(default: 0)" in flat  # --port: a zero default is still shown
    assert "(default: toggl-sandbox.db)" in flat
    assert "(default: None)" not in flat and "(default: False)" not in flat


def test_a_usage_error_prints_the_commands_usage_line() -> None:
    code, stdout, stderr = run(["plan"])
    assert code == 1 and stdout == ""
    assert "Error: toggl-reconciler plan: the following arguments are required: SPEC" in stderr
    assert "usage: toggl-reconciler plan [-h]" in stderr
    assert "Run `toggl-reconciler plan --help`" in stderr


def test_verbose_logs_query_strings(harness: Harness) -> None:
    result = harness.cli("plan", harness.spec("tags: [a]\n"), "-v")
    assert result.code == 0, result.output
    project_reads = [line for line in result.stderr.splitlines() if "/projects" in line]
    assert project_reads and all("?" in line for line in project_reads), result.stderr
    assert "page=1" in result.stderr and "per_page=200" in result.stderr


def test_verbose_logs_retry_waits(harness: Harness) -> None:
    harness.sandbox.configure(rate_limit_per_second=1.0, rate_burst=1)
    env = {**harness.env, "TOGGL_RECONCILER_RETRY_BASE": "0.01"}
    result = harness.cli("plan", harness.spec("tags: [a]\n"), "-v", env=env)
    assert result.code == 0, result.output
    assert "-> 429" in result.stderr and "retrying in" in result.stderr, result.stderr


# ---------------------------------------------------------------- the Free plan


def test_free_plan_colour_error_lists_the_palette_at_the_spec_line(harness: Harness) -> None:
    harness.store.ensure_workspace("Free Team", tier="free")
    spec = harness.spec("projects:\n  - name: Site\n    color: '#123456'\n", workspace="Free Team")
    result = harness.cli("plan", spec)
    assert result.code == 1
    assert f"{spec}:4:5: project 'Site': colour #123456 needs a paid plan" in result.stderr
    assert "#0b83d9, #9e5bd9, #d94182" in result.stderr and "#525266" in result.stderr
    assert harness.writes() == []


def test_every_paid_field_on_free_is_an_error_unless_live_already_has_it(harness: Harness) -> None:
    wid = harness.store.ensure_workspace("Free Team", tier="free")
    harness.store.add_project(wid, "Kept")
    spec = harness.spec("projects:\n  - name: Kept\n  - name: New\n    estimated_hours: 3\n"
                        "    billable: false\n", workspace="Free Team")
    result = harness.cli("plan", spec)
    assert result.code == 1, result.output
    assert (f"{spec}:5:5: project 'New': estimated_hours needs a paid plan; the workspace is on "
            "Free") in result.stderr
    assert "billable" not in result.stderr and "Warning" not in result.stderr
    fine = harness.spec("projects:\n  - name: Kept\n    billable: false\n", workspace="Free Team")
    assert harness.cli("plan", fine).code == 0


# ---------------------------------------------------------------- colour decisions, on a pty


def test_on_a_terminal_error_is_red_like_warning_is_yellow_and_term_dumb_gets_none(
        tmp_path: Path) -> None:
    from tests.e2e.test_progress import run_on_terminal

    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nworkspace: Demo\nclients: [Globex]\n", encoding="utf-8")
    command = [sys.executable, "-m", "reconciler", "validate", str(spec)]
    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path.cwd())}
    code, screen = run_on_terminal(command, {**base, "TERM": "xterm-256color"})
    assert code == 1
    assert "\x1b[31mError:\x1b[0m 1 problem in the spec" in screen, repr(screen)
    code, screen = run_on_terminal(command, {**base, "TERM": "dumb"})
    assert code == 1 and "Error: 1 problem in the spec" in screen
    assert "\x1b[" not in screen, repr(screen)


def test_stderr_colour_follows_the_flags_in_process() -> None:
    code, _, stderr = run(["plan", "--color"])  # a usage error: decided before parsing
    assert code == 1 and stderr.startswith("\x1b[31mError:\x1b[0m ")
    _, _, plain = run(["plan"])
    assert plain.startswith("Error: ")
