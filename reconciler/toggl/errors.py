"""One exception family for everything that can go wrong talking to Toggl.

Every error names the request (`method`, `path` without query string) and Toggl's own text.
None of them ever holds a header or a credential: auth errors name the *variable* that held it.
"""

from __future__ import annotations

import html
import json
import re
from typing import Mapping

from reconciler.durations import duration
from reconciler.errors import QuotaError, ReconcilerError

MAX_MESSAGE_CHARS = 300  # an HTML error page from a proxy must not flood the terminal
_NAME_TAKEN = re.compile(r"already (been )?taken|already exists|name is taken", re.IGNORECASE)
# The brief's rule: a 402 whose body talks of a quota or limit is the hourly quota, not a plan feature.
_QUOTA_WORDS = re.compile(r"quota|limit", re.IGNORECASE)
AMBIGUOUS_SUFFIX = "the write may or may not have been applied; re-read before retrying"


class TogglError(ReconcilerError):
    """A request Toggl refused or that could not be completed."""

    default_message = "request failed"

    def __init__(self, message: str = "", *, status: int | None = None, method: str = "", path: str = "") -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        super().__init__(str(self))

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.path}".strip()

    def detail(self) -> str:
        """Status and Toggl's text, e.g. "400 Name has already been taken"."""
        text = self.message or self.default_message
        return f"{self.status} {text}" if self.status is not None else text

    def __str__(self) -> str:
        return f"{self.request_line}: {self.detail()}" if self.request_line else self.detail()


class AuthError(TogglError):
    """401/403: the credential is missing, wrong, or lacks access."""

    default_message = "authentication failed"

    def __init__(self, message: str = "", *, credential_env: str = "the configured credential", **request: object) -> None:
        self.credential_env = credential_env
        super().__init__(message, **request)  # type: ignore[arg-type]

    def __str__(self) -> str:
        text = self.message or self.default_message
        where = f" [{self.request_line}]" if self.request_line else ""
        if self.status == 403 and self.method in ("POST", "PUT", "PATCH", "DELETE"):
            # A write refused with 403 came after reads that the same credential made: it is
            # the right to make this change that is missing, not the credential.
            return (f"Toggl refused this change with the credential in {self.credential_env} "
                    f"(403): {text}{where}. The reads before it worked, so the credential is "
                    f"right but lacks what this call needs: {needed_right(self.path)}")
        workspace = _WORKSPACE_PATH.search(self.path or "")
        if self.status == 403 and workspace is not None:
            # Toggl answers 403, not 404, for a workspace id the user cannot reach (a typo, or
            # another account's): the credential itself may be fine.
            return (f"Toggl refused access to workspace {workspace.group(1)} with the "
                    f"credential in {self.credential_env} (403): {text}{where}. The credential "
                    "does not reach that workspace: check the workspace id (a typo, or another "
                    "account's); `toggl-reconciler doctor` lists the workspaces it reaches")
        return f"Toggl rejected the credential in {self.credential_env} ({self.status}): {text}{where}"


_WORKSPACE_PATH = re.compile(r"/workspaces/(\d+)(?:/|$)")

# The admin-only writes of the workspace kinds (TOGGL-API-FACTS.md, "Admin-only writes"),
# by the path they are sent to: what a 403 on each means the credential's user lacks.
_ADMIN_RIGHTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/organizations/\d+/workspaces$"),
     "the role of an admin of the organization, on a plan that allows more than one workspace "
     "(Free allows one)"),
    (re.compile(r"/organizations/\d+/groups(/|$)"),
     "the role of an admin of the organization (groups are the organization's)"),
    (re.compile(r"/workspaces/\d+/(project_users|project_groups)(/|$)"),
     "the role of an admin of the workspace (project members are admin-only)"),
    (re.compile(r"/workspaces/\d+/projects/\d+/tasks(/|$)"),
     "the role of an admin of the workspace (tasks are admin-only)"),
    (re.compile(r"/workspaces/\d+$"), "the role of an admin of the workspace (its settings are admin-only)"),
)


def needed_right(path: str) -> str:
    """What a write refused with 403 lacks, as precisely as its path tells."""
    for pattern, right in _ADMIN_RIGHTS:
        if pattern.search(path):
            return right
    return "a workspace or organization admin's role, or a plan that allows it"


class NotFoundError(TogglError):
    default_message = "not found"


class BadRequestError(TogglError):
    default_message = "bad request"

    @property
    def is_name_taken(self) -> bool:
        return bool(_NAME_TAKEN.search(self.message))


class ConflictError(TogglError):
    default_message = "conflict"


class GoneError(TogglError):
    default_message = "gone"


class PaidPlanRequiredError(TogglError):
    """402 for a feature the workspace's plan lacks (e.g. a custom colour). Never retried."""

    default_message = "this needs a paid Toggl plan"


class QuotaExhaustedError(TogglError, QuotaError):
    """402 because the hourly request quota is spent; `resets_in` seconds until it refills."""

    default_message = "hourly API quota exhausted"

    def __init__(self, message: str = "", *, resets_in: int | None = None, remaining: int | None = None, **request: object) -> None:
        self.resets_in = resets_in
        self.remaining = remaining
        super().__init__(message, **request)  # type: ignore[arg-type]

    def detail(self) -> str:
        base = super().detail()
        return f"{base} (resets in {duration(self.resets_in)})" if self.resets_in is not None else base


class RateLimitedError(TogglError):
    default_message = "too many requests"


class ServerError(TogglError):
    default_message = "server error"


class AmbiguousWriteError(TogglError):
    """A non-idempotent write whose outcome is unknown (timeout, dropped connection, 5xx)."""

    default_message = "no answer"

    def detail(self) -> str:
        return f"{super().detail()}; {AMBIGUOUS_SUFFIX}"


class UnexpectedResponseError(TogglError):
    """A success whose body is not the shape the operation answers (e.g. HTML from a proxy)."""

    default_message = "unexpected answer"


class TransportError(TogglError):
    """Toggl could not be reached at all (after retries). `where` names the API root and, when
    the user configured it, the variable or flag it came from (e.g. "TOGGL_API_URL")."""

    default_message = "cannot reach Toggl"

    def __init__(self, message: str = "", *, where: str = "", **request: object) -> None:
        self.where = where
        super().__init__(message, **request)  # type: ignore[arg-type]

    def detail(self) -> str:
        head = f"{self.default_message} at {self.where}" if self.where else self.default_message
        return f"{head}: {self.message}" if self.message else head


class RedirectRefusedError(TogglError):
    """A redirect the client will not follow: to another origin, or of a write. Toggl's API
    never redirects, so this is a misconfigured root or a server that is not Toggl."""

    default_message = "redirect refused"


class AnswerTooLargeError(TogglError):
    """One answer, or a whole listing, passed the size or page bound (see wire.py)."""

    default_message = "answer too large"


class ListingTooSlowError(TogglError):
    """A paged listing whose pages each came in time but that, all told, took longer than any
    real workspace's listing could (a server trickling page after page)."""

    default_message = "listing too slow"


_BY_STATUS: Mapping[int, type[TogglError]] = {
    400: BadRequestError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    429: RateLimitedError,
}


def message_from_body(body: str) -> str:
    """Toggl's error text from a body that may be empty, a JSON string, an object, a list or HTML."""
    text = body.strip()
    if not text:
        return ""
    if looks_like_html(text):
        return summarize_html(text)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return _shorten(" ".join(text.split()))
    return _shorten(_message_from_json(data))


_HTML_START = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body|<title|<\?xml[^>]*>\s*<(!doctype\s+)?html)", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
HTML_SUMMARY_WORDS = 12


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:512]))


def summarize_html(text: str) -> str:
    """An HTML page (a proxy's or a load balancer's error page) as its title, else its first
    words: "HTML page: 502 Bad Gateway", never the markup itself."""
    title = _TITLE.search(text[:65536])
    if title and " ".join(title.group(1).split()):
        words = html.unescape(" ".join(title.group(1).split()))
    else:
        visible = html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", text[:65536])))
        words = " ".join(visible.split()[:HTML_SUMMARY_WORDS])
    return _shorten(f"HTML page: {words}" if words else "an HTML page", limit=120)


def _message_from_json(data: object) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        for key in ("message", "error", "errors", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])
    if isinstance(data, list) and all(isinstance(item, str) for item in data):
        return "; ".join(data)
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def _shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_from_response(
    status: int,
    message: str,
    *,
    quota_remaining: int | None,
    quota_resets_in: int | None,
    method: str,
    path: str,
    credential_env: str,
) -> TogglError:
    """The exception for a final (not retried) error answer."""
    request = {"status": status, "method": method, "path": path}
    if status in (401, 403):
        return AuthError(message, credential_env=credential_env, **request)
    if status == 402:
        if quota_remaining == 0 or _QUOTA_WORDS.search(message):
            return QuotaExhaustedError(message, resets_in=quota_resets_in, remaining=quota_remaining, **request)
        return PaidPlanRequiredError(message, **request)
    if status >= 500:
        return ServerError(message, **request)
    return _BY_STATUS.get(status, TogglError)(message, **request)
