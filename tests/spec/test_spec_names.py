"""Names under attack: Unicode forms, invisible characters, look-alikes (issue 9, item 3)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.spec import SpecError, load_specs, validate_paths

HEAD = "version: 1\nworkspace: W\n"
NFC_CAFE = unicodedata.normalize("NFC", "Café")
NFD_CAFE = unicodedata.normalize("NFD", "Café")


def _messages(write_spec, text: str) -> list[str]:
    return [str(problem) for problem in validate_paths([write_spec("x.yaml", HEAD + text)])]


def test_every_name_is_nfc_after_load(write_spec):
    path = write_spec("x.yaml", HEAD + f"clients:\n  - name: {NFD_CAFE}\n"
                      f"    previous_names: [{NFD_CAFE} Old]\n"
                      f"projects:\n  - name: {NFD_CAFE} P\n    client: {NFD_CAFE}\n"
                      f"tags: [{NFD_CAFE}, {{name: {NFD_CAFE} T}}]\n"
                      f"protected:\n  clients: [{NFD_CAFE}*]\n")
    [state] = load_specs([path])
    assert state.clients[0].name == NFC_CAFE
    assert state.clients[0].previous_names == (NFC_CAFE + " Old",)
    assert (state.projects[0].name, state.projects[0].client) == (NFC_CAFE + " P", NFC_CAFE)
    assert [tag.name for tag in state.tags] == [NFC_CAFE, NFC_CAFE + " T"]
    assert state.protected["client"] == (NFC_CAFE + "*",)


def test_nfd_and_nfc_spellings_are_one_name(write_spec):
    assert _messages(write_spec, f"clients:\n  - name: {NFC_CAFE}\n  - name: {NFD_CAFE}\n") == [
        f"x.yaml:5:5: clients[1] (client '{NFC_CAFE}'): client '{NFC_CAFE}' is defined twice "
        "(names ignore case): also at x.yaml:4:5"]


def test_an_nfd_client_reference_finds_the_nfc_client(write_spec):
    path = write_spec("x.yaml", HEAD + f"clients: [{{name: {NFC_CAFE}}}]\n"
                      f"projects: [{{name: P, client: {NFD_CAFE}}}]\n")
    [state] = load_specs([path])
    assert state.projects[0].client == NFC_CAFE


@pytest.mark.parametrize("character, shown", [
    ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
    ("\u200d", "U+200D (ZERO WIDTH JOINER)"),
    ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    ("\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ("\u00ad", "U+00AD (SOFT HYPHEN)"),
    ("\u00a0", "U+00A0 (NO-BREAK SPACE, not a plain space)"),
    ("\u2028", "U+2028 (LINE SEPARATOR)"),
    ("\x07", "U+0007 (a control character)"),
])
def test_invisible_characters_in_names_are_refused_with_the_character_escaped(
        write_spec, character, shown):
    escaped = repr(character)[1:-1]
    messages = _messages(write_spec, f'clients:\n  - name: "Ac{escaped}me"\n')
    assert messages == [
        f"x.yaml:4:11: clients[0] (client 'Ac{escaped}me'): name: name 'Ac{escaped}me' "
        f"contains invisible or control character {shown} at character 3; a reviewer cannot "
        "see it, so two different names would look the same: remove it (or write a plain "
        "space)"]


def test_every_kind_of_name_is_checked(write_spec):
    messages = _messages(write_spec, 'clients:\n  - name: "C\\u200b"\n'
                         '    previous_names: ["O\\u200b"]\n'
                         'projects:\n  - name: "P\\u200b"\n    client: "X\\u200b"\n'
                         'tags: ["T\\u200b", {name: "U\\u200b"}]\n'
                         'protected:\n  projects: ["G\\u200b*"]\n')
    assert [message.split(": ")[0] for message in messages] == [
        "x.yaml:4:11", "x.yaml:5:22", "x.yaml:7:11", "x.yaml:8:13", "x.yaml:9:8",
        "x.yaml:9:26", "x.yaml:11:14"]
    assert all("U+200B (ZERO WIDTH SPACE)" in message for message in messages)


def test_a_name_with_a_line_break_is_one_problem_that_says_so(write_spec):
    for name in ('"a\\nb"', '"a\\n"'):
        messages = _messages(write_spec, f"tags: [{name}]\n")
        assert len(messages) == 1, messages
        assert "U+000A (LINE FEED, a line break)" in messages[0]
        assert "starts nor ends" not in messages[0]


def test_several_invisible_characters_are_named_in_one_message(write_spec):
    [message] = _messages(write_spec, 'tags: ["\\u202ea\\u200bb\\u200b\\u2066c\\u00ad"]\n')
    assert "characters U+202E (RIGHT-TO-LEFT OVERRIDE) at character 1, U+200B (ZERO WIDTH " \
           "SPACE) at character 3, U+2066 (LEFT-TO-RIGHT ISOLATE) at character 6 and 1 more;" \
           " a reviewer cannot see them" in message


def test_visible_unicode_names_are_fine(write_spec):
    path = write_spec("x.yaml", HEAD + "tags: [Café, Zürich, 東京, Ελλάδα, 🚀 Launch, "
                      "\"👩\\u200d💻\"]\n")
    with pytest.raises(SpecError, match="U\\+200D"):  # a ZWJ emoji sequence is refused too
        load_specs([path])
    path = write_spec("y.yaml", HEAD + "tags: [Café, Zürich, 東京, Ελλάδα, 🚀 Launch, a\u0301]\n")
    assert len(load_specs([path])[0].tags) == 6


@pytest.mark.parametrize("first, second", [
    ("Acme", "Ａｃｍｅ"),  # full-width letters
    ("Phase XII", "Phase Ⅻ"),  # a Roman numeral character
    ("Plan 2", "Plan ²"),
    ("ACME", "ａｃｍｅ"),  # full-width and another case
])
def test_look_alike_names_are_errors_with_both_places(write_spec, first, second):
    messages = _messages(write_spec, f"tags:\n  - {first}\n  - {second}\n")
    assert len(messages) == 1
    assert messages[0].startswith(f"x.yaml:5:5: tags[1] (tag {second!r}): tag {second!r} looks "
                                  f"like tag {first!r} (at x.yaml:4:5): ")
    assert "equal after NFKC and ignoring case" in messages[0]


def test_look_alike_projects_are_compared_per_client(write_spec):
    messages = _messages(write_spec, "clients: [{name: A}, {name: B}]\n"
                         "projects:\n  - {name: Web, client: A}\n  - {name: Ｗｅｂ, client: B}\n"
                         "  - {name: Ｗｅｂ, client: A}\n")
    assert len(messages) == 1
    assert messages[0].startswith("x.yaml:7:5: projects[2] (project 'A/Ｗｅｂ'): project "
                                  "'A/Ｗｅｂ' looks like project 'A/Web' (at x.yaml:5:5)")


def test_look_alikes_across_files_of_one_workspace(write_spec):
    first = write_spec("a.yaml", HEAD + "clients: [{name: Acme}]\n")
    second = write_spec("b.yaml", HEAD + "clients: [{name: Ａｃｍｅ}]\n")
    [message] = [str(problem) for problem in validate_paths([first, second])]
    assert message.startswith("b.yaml:3:11: clients[0] (client 'Ａｃｍｅ'): client 'Ａｃｍｅ' looks "
                              "like client 'Acme' (at a.yaml:3:11)")


_FORMAT_CHARACTERS = [chr(code) for code in range(0x110000)
                      if unicodedata.category(chr(code)) in ("Cf", "Cc", "Zl", "Zp")
                      and chr(code) not in "\t\n\r\x85" and not 0xD800 <= code <= 0xDFFF]


@settings(max_examples=60, deadline=None)
@given(prefix=st.text("abcXYZ é", min_size=1, max_size=5),
       character=st.sampled_from(_FORMAT_CHARACTERS),
       suffix=st.text("abcXYZ é", min_size=1, max_size=5))
def test_no_format_or_control_character_passes(tmp_path_factory, prefix, character, suffix):
    name = (prefix + character + suffix).strip(" ") or "x"  # not str.strip(): \x0b is whitespace
    name = f"a{name}b"
    escaped = name.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    path = tmp_path_factory.mktemp("n") / "x.yaml"
    path.write_text(HEAD + f'tags: ["{escaped}"]\n', encoding="utf-8")
    messages = [str(problem) for problem in validate_paths([path])]
    code = f"U+{ord(character):04X}"
    assert len(messages) == 1 and code in messages[0], (name, messages)


_LETTERS = st.characters(whitelist_categories=("Lu", "Ll", "Mn", "Nd"), max_codepoint=0x2FFF)


@settings(max_examples=80, deadline=None)
@given(name=st.text(_LETTERS, min_size=1, max_size=12), form=st.sampled_from(["NFD", "NFKD"]))
def test_any_spelling_loads_as_its_nfc_form(tmp_path_factory, name, form):
    written = unicodedata.normalize(form, "a" + name)
    path = tmp_path_factory.mktemp("n") / "x.yaml"
    path.write_text(HEAD + f"tags: [{{name: {written!r}}}]\n".replace("'", '"'),
                    encoding="utf-8")
    problems = validate_paths([path])
    if problems:  # only for a reason the name really has (too long, a look-alike cannot be)
        assert all("bytes in UTF-8" in str(problem) for problem in problems), problems
        return
    [state] = load_specs([path])
    assert state.tags[0].name == unicodedata.normalize("NFC", written)
