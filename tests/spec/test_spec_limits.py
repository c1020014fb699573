"""Values Toggl refuses fail `validate` with file:line, not mid-apply (issue 9, item 12)."""

from __future__ import annotations

import json

import pytest

from reconciler.spec import load_specs, validate_paths
from reconciler.spec.names import MAX_NAME_BYTES, MAX_NOTES_BYTES
from reconciler.spec.schema import load_schema

HEAD = "version: 1\nworkspace: W\n"


def _messages(write_spec, text: str) -> list[str]:
    return [str(problem) for problem in validate_paths([write_spec("x.yaml", HEAD + text)])]


@pytest.mark.parametrize("section, entry", [
    ("clients", "{{name: {name}}}"), ("projects", "{{name: {name}}}"), ("tags", "{name}"),
    ("tags", "{{name: {name}}}"),
])
def test_names_at_the_limit_pass_and_one_over_fails(write_spec, section, entry):
    at_limit = entry.format(name="x" * 255)
    assert _messages(write_spec, f"{section}: [{at_limit}]\n") == []
    over = entry.format(name="x" * 256)
    [message] = _messages(write_spec, f"{section}: [{over}]\n")
    assert message.startswith("x.yaml:3:")
    assert message.endswith("is 256 characters long; Toggl takes at most 255: shorten it")


def test_the_limit_is_in_utf8_bytes(write_spec):
    assert _messages(write_spec, "tags: [" + "é" * 127 + "]\n") == []  # 254 bytes
    [message] = _messages(write_spec, "tags: [" + "é" * 128 + "]\n")  # 256 bytes, 128 chars
    assert message.startswith("x.yaml:3:8: tags[0] (tag 'éééé")
    assert message.endswith("is 128 characters, 256 bytes in UTF-8; Toggl takes a name of at "
                            "most 255 bytes: shorten it")


def test_a_five_megabyte_name_is_one_short_message(write_spec):
    [message] = _messages(write_spec, "clients: [{name: " + "x" * 5_000_000 + "}]\n")
    assert message.endswith("is 5,000,000 characters long; Toggl takes at most 255: shorten it")
    assert len(message) < 400


def test_previous_names_and_patterns_are_not_held_to_the_limit(write_spec):
    long_name = "x" * 300
    assert _messages(write_spec, f"tags: [{{name: t, previous_names: [{long_name}]}}]\n"
                                 f"protected: {{projects: ['{long_name}/{long_name}']}}\n") == []


def test_notes_limit(write_spec):
    assert _messages(write_spec, "clients: [{name: C, notes: " + "n" * MAX_NOTES_BYTES + "}]\n") \
        == []
    [message] = _messages(write_spec, "clients: [{name: C, notes: " + "n" * 3001 + "}]\n")
    assert message.startswith("x.yaml:3:28: clients[0] (client 'C'): notes: ")
    assert "3,001 bytes in UTF-8; Toggl takes notes of at most 3000 bytes" in message
    [message] = _messages(write_spec, "clients: [{name: C, notes: " + "€" * 1001 + "}]\n")
    assert "1,001 characters, 3,003 bytes in UTF-8" in message


@pytest.mark.parametrize("field, value, expected", [
    ("rate", "10000000000000",
     "rate: expected a number <= 10,000,000, got 10,000,000,000,000 (a bound chosen to stay "
     "inside what Toggl stores)"),
    ("rate", "10000000.01", "rate: expected a number <= 10,000,000, got 10000000.01 (a bound "
                            "chosen to stay inside what Toggl stores)"),
    ("estimated_hours", "100000000000000000000",
     "estimated_hours: expected a number <= 500,000, got 100,000,000,000,000,000,000 (a bound "
     "chosen to stay inside what Toggl stores)"),
    ("currency", "XYZ", "currency: 'XYZ' is not an ISO 4217 currency code; expected one "
                        "such as EUR, USD, GBP or null"),
    ("currency", "EURO", "currency: 'EURO' is not an ISO 4217 currency code (did you mean "
                         "'EUR'?); expected one such as EUR, USD, GBP or null"),
    ("currency", "XTS", "currency: 'XTS' is not an ISO 4217 currency code (did you mean "
                        "'TZS'?); expected one such as EUR, USD, GBP or null"),
])
def test_project_values_over_the_limits(write_spec, field, value, expected):
    [message] = _messages(write_spec, f"projects:\n  - name: P\n    {field}: {value}\n")
    assert message.startswith(f"x.yaml:5:")
    assert message.split("(project 'P'): ", 1)[1] == expected


@pytest.mark.parametrize("field, value", [
    ("rate", "10000000"), ("rate", "0"), ("rate", "99.5"), ("estimated_hours", "500000"),
    ("currency", "EUR"), ("currency", "JPY"), ("currency", "CHF"), ("currency", "null"),
    ("rate", "null"), ("estimated_hours", "null"),
])
def test_values_within_the_limits_pass(write_spec, field, value):
    assert _messages(write_spec, f"projects:\n  - name: P\n    {field}: {value}\n") == []


def test_defaults_are_held_to_the_same_limits(write_spec):
    [message] = _messages(write_spec, "defaults: {project: {rate: 10000000000000}}\n"
                                      "projects: [{name: P}]\n")
    assert message.startswith("x.yaml:3:28: defaults: project: rate: expected a number <= ")


def test_an_exponent_yaml_reads_as_text_is_explained(write_spec):
    [message] = _messages(write_spec, "projects: [{name: P, rate: 1e+300}]\n")
    assert message == ("x.yaml:3:28: projects[0] (project 'P'): rate: expected a number or null, "
                       "got '1e+300' (YAML 1.1 reads the unquoted 1e+300 as text, not a number: write it with "
                       "a dot and a signed exponent, such as 1.0e+300, or in full digits)")


def test_a_workspace_id_beyond_64_bits_is_refused(write_spec):
    path = write_spec("x.yaml", "version: 1\nworkspace: 99999999999999999999\n")
    [message] = [str(problem) for problem in validate_paths([path])]
    assert message.startswith("x.yaml:2:12: workspace: ")


def test_the_currency_list_is_iso_4217_without_non_money_codes():
    codes = [code for code in load_schema()["$defs"]["currency"]["enum"] if code is not None]
    assert codes == sorted(set(codes)) and len(codes) >= 160
    assert {"EUR", "USD", "GBP", "JPY", "CHF", "SEK", "INR", "BRL", "ZWG", "XCG"} <= set(codes)
    assert not {"XAU", "XTS", "XXX", "XDR"} & set(codes)


def test_the_limits_module_and_the_schema_agree():
    schema = json.dumps(load_schema())
    assert f'"maxLength": {MAX_NAME_BYTES}' in schema and f'"maxLength": {MAX_NOTES_BYTES}' in schema


def test_export_round_trip_of_a_rich_project_still_validates(write_spec):
    path = write_spec("x.yaml", HEAD + "clients: [{name: C, notes: null}]\nprojects:\n"
                      "  - {name: P, client: C, rate: 120.5, currency: EUR, estimated_hours: 40}\n")
    [state] = load_specs([path])
    assert state.projects[0].fields["currency"] == "EUR"


# ---------------------------------------------------------------- hints (issue 14)

@pytest.mark.parametrize("text, expected", [
    ('version: "1"\nworkspace: W\n',
     ["x.yaml:1:10: version: expected 1, got '1' (this tool reads spec format version 1: "
      "write `version: 1` without quotes)"]),
    (HEAD + "projects:\n  - name: P\n    color: #0b83d9\n",
     ["x.yaml:5:11: projects[0] (project 'P'): color: expected a string, got null (YAML reads "
      "the unquoted #0b83d9 as a comment, so the value is empty: write \"#0b83d9\" in quotes)"]),
    (HEAD + "clients: [Globex]\n",
     ["x.yaml:3:11: clients[0] (client 'Globex'): expected a mapping, got 'Globex' (an entry "
      "is a mapping: write `- name: Globex`)"]),
    (HEAD + "projects: [{name: P, rate: '1e3'}]\n",  # quoted: the writer meant text; no hint
     ["x.yaml:3:28: projects[0] (project 'P'): rate: expected a number or null, got '1e3'"]),
    ("clients: []\n",
     ["x.yaml:1:1: missing required key 'version'", "x.yaml:1:1: missing required key "
                                                    "'workspace'"]),
])
def test_hints_for_yaml_surprises(write_spec, text, expected):
    path = write_spec("x.yaml", text)
    assert [str(problem) for problem in validate_paths([path])] == expected
