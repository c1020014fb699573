"""Where requests go and how they authenticate: Toggl directly, or through the Maton gateway."""

from __future__ import annotations

import base64
import ipaddress
import unicodedata
from dataclasses import dataclass, field
from typing import Literal, Mapping
from urllib.parse import urlsplit

from reconciler.errors import UsageError

TransportKind = Literal["direct", "maton"]

TOKEN_ENV = "TOGGL_API_TOKEN"
MATON_KEY_ENV = "MATON_API_KEY"
MATON_CONNECTION_ENV = "MATON_CONNECTION"
API_URL_ENV = "TOGGL_API_URL"
MATON_CTRL_URL_ENV = "MATON_CTRL_URL"
INSECURE_HTTP_ENV = "TOGGL_ALLOW_INSECURE_HTTP"

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
    root_source: str | None = None  # "TOGGL_API_URL" or "--api-url" when the user chose the root

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
    """Pick the route from the environment: TOGGL_API_TOKEN (direct) wins unless prefer="maton".

    Everything is checked here, before any request: a credential that cannot go into an HTTP
    header (or cannot be real) and a root that is malformed or would send the secret in clear
    are refused with a message naming only the variable."""
    token, maton_key = _setting(env, TOKEN_ENV), _setting(env, MATON_KEY_ENV)
    use_maton = _choose_maton(token, maton_key, prefer)
    credential_env = MATON_KEY_ENV if use_maton else TOKEN_ENV
    secret = (maton_key if use_maton else token) or ""
    check_secret(credential_env, secret)
    connection = _setting(env, MATON_CONNECTION_ENV) if use_maton else None
    if connection is not None:
        check_header_safe(MATON_CONNECTION_ENV, connection)
    root_source = "--api-url" if api_url else (API_URL_ENV if _setting(env, API_URL_ENV) else None)
    root_override = (api_url or "").strip() or _setting(env, API_URL_ENV)
    allow_http = _setting(env, INSECURE_HTTP_ENV) in ("1", "true", "yes")
    root = check_root(root_source or "", root_override, allow_http) if root_override else None
    ctrl_override = _setting(env, MATON_CTRL_URL_ENV)
    ctrl_root = check_root(MATON_CTRL_URL_ENV, ctrl_override, allow_http) if ctrl_override else MATON_CTRL_ROOT
    return Transport(
        kind="maton" if use_maton else "direct",
        root=root or (MATON_ROOT if use_maton else DIRECT_ROOT),
        credential_env=credential_env,
        secret=secret,
        connection=connection,
        ctrl_root=ctrl_root,
        root_source=root_source,
    )


# ---------------------------------------------------------------- credentials

# A real Toggl API token is 32 hexadecimal digits, and a Maton key is a long random string.
# A shorter value is a placeholder ("x", "changeme"): it is still sent (test doubles and other
# Toggl-compatible servers use made-up tokens, and refusing them would break those for no
# gain), but the CLI warns about it. Scrubbing it cannot mangle messages: a value that does not
# look random is scrubbed as a whole word only (reconciler/redaction.py), and data documents
# are never scrubbed. A value with a space inside is refused: no credential has one, and it is
# the mark of a copy-paste gone wrong.
PLAUSIBLE_SECRET_CHARS = 16


def check_secret(variable: str, value: str) -> None:
    """Refuse a credential that cannot be sent; the message names only the variable, never the
    value (not even a part of it)."""
    check_header_safe(variable, value)
    if any(char.isspace() for char in value):
        raise UsageError(f"{variable} contains a space inside it; a credential never does. "
                         f"Copy it again from its source and set {variable} once more.")


def implausible_secret_warning(transport: "Transport") -> str | None:
    """A warning for a credential too short to be a real token or key (None for a real one)."""
    if len(transport.secret) >= PLAUSIBLE_SECRET_CHARS:
        return None
    return (f"{transport.credential_env} is only {len(transport.secret)} characters long; a real "
            "Toggl API token is 32 (from your Toggl profile page) and a Maton key longer. "
            "Sending it anyway.")


def check_header_safe(variable: str, value: str) -> None:
    """A value sent in an HTTP header: printable Latin-1 only. A line break would split the
    header (and `requests` would print the value in its error); invalid UTF-8 bytes in the
    environment arrive as lone surrogates, which no header can carry."""
    problem = _header_problem(value)
    if problem:
        raise UsageError(f"{variable} contains {problem}, which cannot be sent in an HTTP header. "
                         f"Set {variable} again without it (the value is not shown).")


def _header_problem(value: str) -> str | None:
    for char in value:
        if char in "\r\n":
            return "a line break"
        if 0xD800 <= ord(char) <= 0xDFFF:
            return "bytes that are not valid UTF-8"
        if unicodedata.category(char) in ("Cc", "Cf"):
            return "a control character"
        if ord(char) > 0xFF:
            return "a character outside Latin-1"
    return None


# ---------------------------------------------------------------- API roots

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def check_root(source: str, url: str, allow_http: bool) -> str:
    """An API root from the user: http(s), a host, no credentials, query or fragment; plain
    http only to this machine unless TOGGL_ALLOW_INSECURE_HTTP=1. Answers it without the
    trailing slash."""
    name = source or API_URL_ENV
    check_header_safe(name, url)
    if "://" not in url:
        raise UsageError(f"{name} must start with https:// (or http:// for a local server): got a URL "
                         f"without a scheme. Example: {name}=https://api.track.toggl.com")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UsageError(f"{name} is not a valid URL ({error}).") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UsageError(f"{name} must be an http:// or https:// URL, not {parts.scheme}://.")
    if not parts.hostname:
        raise UsageError(f"{name} has no host name (expected e.g. https://api.track.toggl.com).")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{name} must not carry a user name or password: the credential goes in "
                         f"{TOKEN_ENV} or {MATON_KEY_ENV}.")
    if parts.query or parts.fragment:
        raise UsageError(f"{name} must be the API root only, without a query (?) or fragment (#).")
    if parts.scheme.lower() == "http" and not allow_http and not is_loopback(parts.hostname):
        where = parts.hostname if port is None else f"{parts.hostname}:{port}"
        raise UsageError(f"{name} uses plain http:// to {where}, which is not this machine: the "
                         "credential would cross the network unencrypted. Use https://, or set "
                         f"{INSECURE_HTTP_ENV}=1 if you really mean it.")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
