"""Every command, run with a known token, leaves no trace of it in any output or file."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import EXAMPLES, TOKEN, Harness

AGENCY = str(EXAMPLES / "agency.yaml")


def test_no_command_shows_or_saves_the_token(harness: Harness, tmp_path: Path) -> None:
    plan_file = str(tmp_path / "plan.json")
    export_file = str(tmp_path / "export.yaml")
    bad_spec = tmp_path / "bad.yaml"
    bad_spec.write_text(f"version: 1\nworkspace: x\nclients: [{{name: {TOKEN}, bogus: 1}}]\n")
    summary = tmp_path / "summary.md"
    env = {**harness.env, "GITHUB_STEP_SUMMARY": str(summary)}
    runs = [
        harness.cli("validate", AGENCY, "--debug", env=env),
        harness.cli("validate", str(bad_spec), env=env),
        harness.cli("plan", AGENCY, "--verbose", "--debug", "--out", plan_file, env=env),
        harness.cli("plan", AGENCY, "--format", "json", env=env),
        harness.cli("plan", AGENCY, "--format", "markdown", env=env),
        harness.cli("apply", "--plan", plan_file, "--verbose", "--debug", env=env),
        harness.cli("apply", AGENCY, "--auto-approve", "--verbose", env=env),
        harness.cli("export", "--workspace", "Acme Agency", "-o", export_file, "--debug", env=env),
        harness.cli("export", "--workspace", "Acme Agency", env=env),
        harness.cli("doctor", "--verbose", "--debug", env=env),
        harness.cli("plan", AGENCY, "--debug",
                    env={**env, "TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": "http://127.0.0.1:9"}),
        harness.cli("doctor", env={"MATON_API_KEY": TOKEN, "TOGGL_API_URL": harness.sandbox.url}),
    ]
    assert runs[2].code == 0 and runs[6].code == 0, runs[6].output
    for result in runs:
        assert TOKEN not in result.output
    for path in (plan_file, export_file, summary):
        assert TOKEN not in Path(path).read_text()


def test_a_rejected_credential_names_the_variable_not_the_value(harness: Harness) -> None:
    result = harness.cli("plan", AGENCY, env={**harness.env, "TOGGL_API_TOKEN": "wrong-token-123456"})
    assert result.code == 1
    assert "TOGGL_API_TOKEN" in result.stderr
    assert "wrong-token-123456" not in result.output


def test_missing_credentials_name_both_variables(harness: Harness) -> None:
    result = harness.cli("plan", AGENCY, env={"TOGGL_API_URL": harness.sandbox.url})
    assert result.code == 1
    assert "TOGGL_API_TOKEN" in result.stderr and "MATON_API_KEY" in result.stderr
    assert harness.sandbox.requests == []


def test_credentials_are_scrubbed_from_messages_never_from_data_documents(
    harness: Harness, tmp_path: Path
) -> None:
    """A live name that happens to hold the credential is data: the JSON plan and the exported
    spec keep it exactly (scrubbing would rename the object), while messages still hide it."""
    import json

    import yaml

    harness.store.add_tag(harness.wid, TOKEN)
    spec = harness.spec("unmanaged: {tags: delete}\n")
    as_json = harness.cli("plan", spec, "--format", "json")
    assert as_json.code == 0, as_json.output
    assert [c["name"] for c in json.loads(as_json.stdout)["changes"]] == [TOKEN]
    exported = harness.cli("export", "--workspace", "Acme Agency")
    assert exported.code == 0, exported.output
    assert yaml.safe_load(exported.stdout)["tags"] == [TOKEN]
    as_text = harness.cli("plan", spec)
    assert TOKEN not in as_text.output and "[redacted]" in as_text.stdout


def test_a_credential_with_a_line_break_is_never_printed(harness: Harness) -> None:
    # requests would print such a value in full in "Invalid leading whitespace ... in header value".
    halves = ("maton-key-0123456789", "second-half-abcdef")
    for variable in ("MATON_API_KEY", "TOGGL_API_TOKEN"):
        for value in (f"{halves[0]}\n{halves[1]}", f"{halves[0]}\n {halves[1]}", f"{halves[0]}\x0b{halves[1]}"):
            env = {"TOGGL_API_URL": harness.sandbox.url, variable: value}
            for args in (("plan", AGENCY, "--debug", "--verbose"), ("doctor", "--debug")):
                result = harness.cli(*args, env=env)
                assert result.code == 1, result.output
                assert variable in result.stderr
                assert halves[0] not in result.output and halves[1] not in result.output
    assert harness.sandbox.requests == []


def test_a_credential_that_cannot_be_real_does_not_mangle_messages(harness: Harness, tmp_path: Path) -> None:
    # Scrubbing "e" or "client" from every line would give "Ma*** retries e***ceeded" and a
    # corrupted JSON plan: such values draw a warning naming the variable, are sent as they are
    # (the sandbox rejects them), and every message stays readable.
    for value in ("e", "x", "client", "secret1"):
        result = harness.cli("plan", AGENCY, "--format", "json",
                             env={"TOGGL_API_URL": harness.sandbox.url, "TOGGL_API_TOKEN": value})
        assert result.code == 1 and result.stdout == ""
        assert "Warning: TOGGL_API_TOKEN is only" in result.stderr
        assert "a real Toggl API token is 32" in result.stderr
        assert "TOGGL_API_TOKEN" in result.stderr.split("Warning:")[-1].split("\n", 1)[1]
        for word in ("retries", "exceeded", "credential", "rejected"):
            assert f"[redacted]{word}" not in result.stderr and f"{word}[redacted]" not in result.stderr


def test_a_word_like_credential_is_scrubbed_as_a_word_only(harness: Harness) -> None:
    # Long enough to send (other Toggl-compatible servers use such made-up tokens), but a word:
    # the rejection message keeps every other word whole and never shows the value itself.
    result = harness.cli("plan", AGENCY, env={"TOGGL_API_URL": harness.sandbox.url,
                                              "TOGGL_API_TOKEN": "Projects"})
    assert result.code == 1, result.output
    assert "TOGGL_API_TOKEN" in result.stderr
    assert "Projects" not in result.output
    assert "[redacted]" not in result.output.replace(" [redacted]", "").replace("[redacted] ", "")
