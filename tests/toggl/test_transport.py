from __future__ import annotations

import base64

import pytest

from reconciler.errors import UsageError
from reconciler.toggl import Transport, transport_from_env
from reconciler.toggl.transport import implausible_secret_warning
from .fakes import MATON_KEY, TOKEN


def test_token_selects_direct_with_basic_auth() -> None:
    transport = transport_from_env({"TOGGL_API_TOKEN": TOKEN})
    expected = base64.b64encode(f"{TOKEN}:api_token".encode()).decode()
    assert (transport.kind, transport.root, transport.credential_env) == (
        "direct", "https://api.track.toggl.com", "TOGGL_API_TOKEN")
    assert transport.auth_headers() == {"Authorization": f"Basic {expected}"}


def test_maton_key_selects_gateway_with_bearer_and_connection() -> None:
    transport = transport_from_env({"MATON_API_KEY": MATON_KEY, "MATON_CONNECTION": "conn-1"})
    assert (transport.kind, transport.root, transport.credential_env) == (
        "maton", "https://gateway.maton.ai/toggl-track", "MATON_API_KEY")
    assert transport.auth_headers() == {"Authorization": f"Bearer {MATON_KEY}", "Maton-Connection": "conn-1"}


def test_maton_without_connection_sends_no_connection_header() -> None:
    assert "Maton-Connection" not in transport_from_env({"MATON_API_KEY": MATON_KEY}).auth_headers()


@pytest.mark.parametrize(
    ("env", "prefer", "kind"),
    [
        ({"TOGGL_API_TOKEN": TOKEN, "MATON_API_KEY": MATON_KEY}, None, "direct"),
        ({"TOGGL_API_TOKEN": TOKEN, "MATON_API_KEY": MATON_KEY}, "maton", "maton"),
        ({"TOGGL_API_TOKEN": TOKEN, "MATON_API_KEY": MATON_KEY}, "direct", "direct"),
        ({"TOGGL_API_TOKEN": "", "MATON_API_KEY": MATON_KEY}, None, "maton"),
        ({"TOGGL_API_TOKEN": TOKEN, "MATON_API_KEY": "  "}, "maton", None),
    ],
)
def test_choice_between_routes(env: dict[str, str], prefer: str | None, kind: str | None) -> None:
    if kind is None:
        with pytest.raises(UsageError, match="MATON_API_KEY"):
            transport_from_env(env, prefer=prefer)  # type: ignore[arg-type]
    else:
        assert transport_from_env(env, prefer=prefer).kind == kind  # type: ignore[arg-type]


@pytest.mark.parametrize("env", [{}, {"TOGGL_API_TOKEN": "", "MATON_API_KEY": ""}])
def test_no_credential_names_both_variables(env: dict[str, str]) -> None:
    with pytest.raises(UsageError) as caught:
        transport_from_env(env)
    assert "TOGGL_API_TOKEN" in str(caught.value) and "MATON_API_KEY" in str(caught.value)


def test_api_url_overrides_root_and_loses_trailing_slash() -> None:
    env = {"TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": "http://127.0.0.1:8080/"}
    assert transport_from_env(env).root == "http://127.0.0.1:8080"
    assert transport_from_env(env, api_url="http://127.0.0.1:9/").root == "http://127.0.0.1:9"


def test_ctrl_root_defaults_and_can_be_overridden() -> None:
    assert transport_from_env({"MATON_API_KEY": MATON_KEY}).ctrl_root == "https://ctrl.maton.ai"
    env = {"MATON_API_KEY": MATON_KEY, "MATON_CTRL_URL": "http://127.0.0.1:7/"}
    assert transport_from_env(env).ctrl_root == "http://127.0.0.1:7"


@pytest.mark.parametrize("env", [{"TOGGL_API_TOKEN": TOKEN}, {"MATON_API_KEY": MATON_KEY, "MATON_CONNECTION": "c"}])
def test_secret_never_shown(env: dict[str, str]) -> None:
    transport = transport_from_env(env)
    for text in (repr(transport), str(transport), transport.describe()):
        assert transport.secret not in text
    assert transport.credential_env in transport.describe()


def test_describe_names_route_variable_and_root() -> None:
    transport = Transport(kind="direct", root="https://api.track.toggl.com", credential_env="TOGGL_API_TOKEN", secret="x")
    assert transport.describe() == "direct (TOGGL_API_TOKEN) at https://api.track.toggl.com"


# ---------------------------------------------------------------- credentials up front (issue 9.14)

INVALID_UTF8 = "tok-" + b"\xff\xfe-0123456789abcdef".decode("utf-8", "surrogateescape")  # as os.environ has it


@pytest.mark.parametrize("variable", ["TOGGL_API_TOKEN", "MATON_API_KEY"])
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("secret-part-one\nsecret-part-two", "a line break"),
        ("secret-part-one\rsecret-part-two", "a line break"),
        ("secret-part-one\x00secret-part-two", "a control character"),
        ("secret-part-one\x1bsecret-part-two", "a control character"),
        ("secret-part-one\u2013secret-part-two", "a character outside Latin-1"),
        ("secret-part-one\u200bsecret-part-two", "a control character"),
        (INVALID_UTF8, "bytes that are not valid UTF-8"),
    ],
)
def test_a_credential_that_cannot_go_in_a_header_is_refused_by_name(variable: str, value: str, problem: str) -> None:
    with pytest.raises(UsageError) as caught:
        transport_from_env({variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable} contains {problem}")
    assert "secret-part" not in message and "0123456789" not in message


def test_maton_connection_is_checked_too() -> None:
    with pytest.raises(UsageError, match="^MATON_CONNECTION contains a line break"):
        transport_from_env({"MATON_API_KEY": MATON_KEY, "MATON_CONNECTION": "conn\nX-Evil: 1"})


def test_a_credential_with_a_space_inside_is_refused() -> None:
    with pytest.raises(UsageError) as caught:
        transport_from_env({"TOGGL_API_TOKEN": "two words-0123456789"})
    assert "a space inside" in str(caught.value) and "TOGGL_API_TOKEN" in str(caught.value)
    assert "words" not in str(caught.value)


@pytest.mark.parametrize("value", ["t", "x", "client", "test-token", "sandboxtoken"])
def test_a_made_up_token_is_sent_with_a_warning(value: str) -> None:
    # Test doubles and other Toggl-compatible servers use such tokens: refusing them gains
    # nothing now that messages scrub word-like secrets as whole words and documents are never
    # scrubbed; the CLI warns instead.
    transport = transport_from_env({"TOGGL_API_TOKEN": value})
    assert transport.secret == value
    warning = implausible_secret_warning(transport)
    assert warning is not None and "TOGGL_API_TOKEN" in warning and value not in warning.split()


def test_a_real_looking_token_draws_no_warning() -> None:
    assert implausible_secret_warning(transport_from_env({"TOGGL_API_TOKEN": TOKEN})) is None


def test_a_trailing_newline_is_forgiven() -> None:
    assert transport_from_env({"TOGGL_API_TOKEN": f"{TOKEN}\n"}).secret == TOKEN


# ---------------------------------------------------------------- API roots up front


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("api.track.toggl.com", "without a scheme"),
        ("127.0.0.1:8080", "without a scheme"),
        ("ftp://api.track.toggl.com", "not ftp://"),
        ("https://", "no host name"),
        ("https://user:pw@api.track.toggl.com", "must not carry a user name or password"),
        ("https://api.track.toggl.com/?x=1", "without a query"),
        ("http://api.track.toggl.com", "plain http:// to api.track.toggl.com"),
        ("http://10.0.0.5:8080", "plain http:// to 10.0.0.5:8080"),
        ("https://api.track.toggl.com:99999", "not a valid URL"),
        ("https://api.track\n.toggl.com", "contains a line break"),
    ],
)
def test_a_bad_api_root_is_refused_up_front(url: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        transport_from_env({"TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": url})
    assert message in str(caught.value) and str(caught.value).startswith("TOGGL_API_URL ")
    with pytest.raises(UsageError, match="^--api-url "):
        transport_from_env({"TOGGL_API_TOKEN": TOKEN}, api_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9",
                                 "http://127.5.6.7", "http://sandbox.localhost:3"])
def test_plain_http_to_this_machine_is_fine(url: str) -> None:
    assert transport_from_env({"TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": url}).root == url


def test_plain_http_elsewhere_needs_the_opt_in() -> None:
    env = {"TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": "http://toggl.internal:8080/",
           "TOGGL_ALLOW_INSECURE_HTTP": "1"}
    assert transport_from_env(env).root == "http://toggl.internal:8080"
    with pytest.raises(UsageError, match="TOGGL_ALLOW_INSECURE_HTTP=1"):
        transport_from_env({**env, "TOGGL_ALLOW_INSECURE_HTTP": "0"})


def test_the_maton_control_root_is_checked_too() -> None:
    with pytest.raises(UsageError, match="^MATON_CTRL_URL uses plain http://"):
        transport_from_env({"MATON_API_KEY": MATON_KEY, "MATON_CTRL_URL": "http://ctrl.example.com"})


def test_the_root_source_is_kept_for_messages() -> None:
    assert transport_from_env({"TOGGL_API_TOKEN": TOKEN}).root_source is None
    env = {"TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": "http://127.0.0.1:1"}
    assert transport_from_env(env).root_source == "TOGGL_API_URL"
    assert transport_from_env(env, api_url="http://127.0.0.1:2").root_source == "--api-url"
