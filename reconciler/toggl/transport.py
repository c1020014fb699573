"""Where requests go and how they authenticate: Toggl directly, or through the Maton gateway."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal, Mapping

from reconciler.errors import UsageError

TransportKind = Literal["direct", "maton"]

TOKEN_ENV = "TOGGL_API_TOKEN"
MATON_KEY_ENV = "MATON_API_KEY"
MATON_CONNECTION_ENV = "MATON_CONNECTION"
API_URL_ENV = "TOGGL_API_URL"
MATON_CTRL_URL_ENV = "MATON_CTRL_URL"

DIRECT_ROOT = "https://api.track.toggl.com"
MATON_ROOT = "https://gateway.maton.ai/toggl-track"
MATON_CTRL_ROOT = "https://ctrl.maton.ai"


@dataclass(frozen=True)
class Transport:
    """A resolved route to Toggl. The secret is kept out of repr, str and describe()."""

    kind: TransportKind
    root: str  # no trailing slash; requests go to root + "/api/v9/..."
    credential_env: str  # the variable the secret came from, for messages
    secret: str = field(repr=False)
    connection: str | None = None  # Maton-Connection: which of several Maton connections
    ctrl_root: str = MATON_CTRL_ROOT

    def auth_headers(self) -> dict[str, str]:
        if self.kind == "direct":
            # Toggl's token auth: the token is the user, the literal "api_token" the password.
            pair = base64.b64encode(f"{self.secret}:api_token".encode()).decode("ascii")
            return {"Authorization": f"Basic {pair}"}
        headers = {"Authorization": f"Bearer {self.secret}"}
        if self.connection:
            headers["Maton-Connection"] = self.connection
        return headers

    def describe(self) -> str:
        """E.g. "direct (TOGGL_API_TOKEN) at https://api.track.toggl.com"."""
        text = f"{self.kind} ({self.credential_env}) at {self.root}"
        return f"{text}, connection {self.connection}" if self.connection else text

    def __str__(self) -> str:
        return self.describe()


def transport_from_env(
    env: Mapping[str, str],
    *,
    prefer: TransportKind | None = None,
    api_url: str | None = None,
) -> Transport:
    """Pick the route from the environment: TOGGL_API_TOKEN (direct) wins unless prefer="maton"."""
    token, maton_key = _setting(env, TOKEN_ENV), _setting(env, MATON_KEY_ENV)
    root_override = api_url or _setting(env, API_URL_ENV)
    use_maton = _choose_maton(token, maton_key, prefer)
    ctrl_root = (_setting(env, MATON_CTRL_URL_ENV) or MATON_CTRL_ROOT).rstrip("/")
    if use_maton:
        return Transport(
            kind="maton",
            root=(root_override or MATON_ROOT).rstrip("/"),
            credential_env=MATON_KEY_ENV,
            secret=maton_key or "",
            connection=_setting(env, MATON_CONNECTION_ENV),
            ctrl_root=ctrl_root,
        )
    return Transport(
        kind="direct",
        root=(root_override or DIRECT_ROOT).rstrip("/"),
        credential_env=TOKEN_ENV,
        secret=token or "",
        ctrl_root=ctrl_root,
    )


def _choose_maton(token: str | None, maton_key: str | None, prefer: TransportKind | None) -> bool:
    if not token and not maton_key:
        raise UsageError(
            f"No Toggl credential: set {TOKEN_ENV} (a Toggl API token) "
            f"or {MATON_KEY_ENV} (a Maton gateway key)."
        )
    if prefer == "maton" and not maton_key:
        raise UsageError(f"The Maton route was asked for but {MATON_KEY_ENV} is not set.")
    if prefer == "direct" and not token:
        raise UsageError(f"The direct route was asked for but {TOKEN_ENV} is not set.")
    return bool(maton_key) and (prefer == "maton" or not token)


def _setting(env: Mapping[str, str], name: str) -> str | None:
    """An environment value; empty or blank counts as unset."""
    value = (env.get(name) or "").strip()
    return value or None
