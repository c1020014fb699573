from __future__ import annotations

import base64

import pytest

from reconciler.errors import UsageError
from reconciler.toggl import Transport, transport_from_env
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
