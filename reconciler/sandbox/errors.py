"""The one error type of the sandbox's domain code: an HTTP status and Toggl's message."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as `status` with the message as a JSON string (Toggl's error style).

    `message=None` answers an empty body (e.g. the 401 without an Authorization header).
    """

    def __init__(
        self, status: int, message: str | None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def paid_plan_required(message: str) -> ApiError:
    # 402 also means "hourly quota exhausted"; this kind comes without quota headers.
    return ApiError(402, message)
