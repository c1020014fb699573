"""Who is calling: Toggl's HTTP Basic on /api/v9, the Maton gateway's Bearer key on
/toggl-track/api/v9 and /connections. Answers the credential (the token or key), which the
rate limiter keys on; it is never logged or echoed."""

from __future__ import annotations

import base64
import binascii
import hmac

from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.maton import MatonError

NATIVE_PREFIX = "/api/v9"
MATON_PREFIX = "/toggl-track/api/v9"
CONNECTIONS_PATH = "/connections"
BAD_TOKEN_MESSAGE = "Incorrect username and/or password"  # our wording (403 is documented)
BAD_MATON_KEY_MESSAGE = "Invalid API key"  # our wording (the gateway's 401 is documented)


def missing_authorization() -> ApiError:
    """Recorded: 401 with an EMPTY body and `X-Authorization-Missing: true`."""
    return ApiError(401, None, {"X-Authorization-Missing": "true"})


def basic_credential(header: str | None, expected: str | None) -> str:
    """Toggl: `Basic base64(<token>:api_token)` (any password is accepted with a token)."""
    if not header:
        raise missing_authorization()
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise ApiError(403, BAD_TOKEN_MESSAGE)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(403, BAD_TOKEN_MESSAGE) from None
    token = decoded.partition(":")[0]
    if not token or not _accepted(token, expected):
        raise ApiError(403, BAD_TOKEN_MESSAGE)
    return token


def bearer_credential(header: str | None, expected: str | None) -> str:
    """Maton: `Bearer <MATON_API_KEY>`; a missing or wrong key is the gateway's own 401."""
    scheme, _, key = (header or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key or not _accepted(key, expected):
        raise MatonError(401, BAD_MATON_KEY_MESSAGE)
    return key


def _accepted(given: str, expected: str | None) -> bool:
    if expected is None:
        return True  # no token configured: any credential is accepted
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
