from __future__ import annotations

import pytest

from reconciler.errors import EXIT_QUOTA, QuotaError
from reconciler.toggl import (
    AmbiguousWriteError,
    AuthError,
    BadRequestError,
    ConflictError,
    GoneError,
    NotFoundError,
    PaidPlanRequiredError,
    QuotaExhaustedError,
    RateLimitedError,
    ServerError,
    TogglError,
)
from reconciler.toggl.errors import MAX_MESSAGE_CHARS, error_from_response, message_from_body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('"Name has already been taken"', "Name has already been taken"),
        ("", ""),
        ("  \n", ""),
        ("null", ""),
        ("123", "123"),
        ('{"message": "bad colour"}', "bad colour"),
        ('{"error": "nope", "code": 7}', "nope"),
        ('{"code": 7}', '{"code":7}'),
        ('["one", "two"]', "one; two"),
        ("<html>\n  <b>Bad   gateway</b>\n</html>", "HTML page: Bad gateway"),
        ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>p{}</style></head>"
         "<body><h1>502</h1></body></html>", "HTML page: 502 Bad Gateway"),
    ],
)
def test_message_from_any_body(body: str, message: str) -> None:
    assert message_from_body(body) == message


def test_long_bodies_are_shortened() -> None:
    assert len(message_from_body("x" * 5000)) == MAX_MESSAGE_CHARS


def test_str_names_request_status_and_text() -> None:
    error = BadRequestError("Name has already been taken", status=400, method="POST", path="/api/v9/workspaces/1/projects")
    assert str(error) == "POST /api/v9/workspaces/1/projects: 400 Name has already been taken"


def test_empty_message_falls_back_to_a_description() -> None:
    assert str(NotFoundError("", status=404, method="GET", path="/api/v9/x")) == "GET /api/v9/x: 404 not found"


@pytest.mark.parametrize(
    ("message", "taken"),
    [
        ("Name has already been taken", True),
        ("a tag with the name 'Urgent' already exists", True),
        ("client name already exists", True),
        ("Name is required", False),
        ("", False),
    ],
)
def test_is_name_taken(message: str, taken: bool) -> None:
    assert BadRequestError(message, status=400).is_name_taken is taken


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError), (401, AuthError), (403, AuthError), (404, NotFoundError),
        (409, ConflictError), (410, GoneError), (429, RateLimitedError), (500, ServerError),
        (503, ServerError), (418, TogglError),
    ],
)
def test_error_class_by_status(status: int, kind: type[TogglError]) -> None:
    error = error_from_response(status, "x", quota_remaining=None, quota_resets_in=None,
                                method="GET", path="/p", credential_env="TOGGL_API_TOKEN")
    assert type(error) is kind
    assert (error.status, error.method, error.path) == (status, "GET", "/p")


@pytest.mark.parametrize(
    ("message", "remaining", "kind"),
    [
        ("Custom project colors available only for premium plans", None, PaidPlanRequiredError),
        ("Custom project colors available only for premium plans", 12, PaidPlanRequiredError),
        ("", 0, QuotaExhaustedError),
        ("You have exceeded your hourly quota", None, QuotaExhaustedError),
        ("Request limit reached", None, QuotaExhaustedError),
    ],
)
def test_402_split_between_quota_and_paid_plan(message: str, remaining: int | None, kind: type[TogglError]) -> None:
    error = error_from_response(402, message, quota_remaining=remaining, quota_resets_in=1800,
                                method="PUT", path="/p", credential_env="TOGGL_API_TOKEN")
    assert type(error) is kind


def test_quota_exhausted_carries_reset_and_the_quota_exit_code() -> None:
    error = QuotaExhaustedError("", resets_in=1800, remaining=0, status=402, method="GET", path="/p")
    assert isinstance(error, QuotaError) and error.exit_code == EXIT_QUOTA
    assert (error.resets_in, error.remaining) == (1800, 0)
    assert str(error) == "GET /p: 402 hourly API quota exhausted (resets in 30m 0s)"


@pytest.mark.parametrize(
    ("message", "status", "expected"),
    [
        ("", 401, "Toggl rejected the credential in TOGGL_API_TOKEN (401): authentication failed [GET /api/v9/me]"),
        ("User does not have access to this resource", 403,
         "Toggl rejected the credential in TOGGL_API_TOKEN (403): User does not have access to this resource [GET /api/v9/me]"),
    ],
)
def test_auth_error_names_the_variable(message: str, status: int, expected: str) -> None:
    error = AuthError(message, credential_env="TOGGL_API_TOKEN", status=status, method="GET", path="/api/v9/me")
    assert str(error) == expected


def test_ambiguous_write_tells_to_reread() -> None:
    error = AmbiguousWriteError("", status=None, method="POST", path="/api/v9/workspaces/1/clients")
    assert str(error) == (
        "POST /api/v9/workspaces/1/clients: no answer; "
        "the write may or may not have been applied; re-read before retrying"
    )


def test_a_write_refused_403_says_the_right_is_missing_not_the_credential() -> None:
    error = AuthError("User does not have access to this resource", credential_env="TOGGL_API_TOKEN",
                      status=403, method="POST", path="/api/v9/organizations/7/workspaces")
    text = str(error)
    assert text.startswith("Toggl refused this change with the credential in TOGGL_API_TOKEN (403): "
                           "User does not have access to this resource [POST /api/v9/organizations/7/workspaces]")
    assert "admin" in text and "rejected the credential" not in text


def test_a_read_of_an_unreachable_workspace_says_the_workspace_not_the_credential() -> None:
    # Toggl answers 403 for a workspace id the user cannot reach: a typo is the likely cause.
    error = AuthError("User does not have access to this resource", credential_env="TOGGL_API_TOKEN",
                      status=403, method="GET", path="/api/v9/workspaces/99999/clients")
    text = str(error)
    assert text.startswith("Toggl refused access to workspace 99999 with the credential in "
                           "TOGGL_API_TOKEN (403)")
    assert "check the workspace id" in text and "doctor" in text
    assert "rejected the credential" not in text


@pytest.mark.parametrize("status, path", [(401, "/api/v9/workspaces/5/clients"),
                                          (403, "/api/v9/me/workspaces")])
def test_a_refused_credential_is_still_said_to_be_the_credential(status: int, path: str) -> None:
    error = AuthError("Unauthorized", credential_env="TOGGL_API_TOKEN", status=status,
                      method="GET", path=path)
    assert str(error).startswith(f"Toggl rejected the credential in TOGGL_API_TOKEN ({status})")
