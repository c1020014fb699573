"""The Toggl Track API v9 client: the only package in the product that speaks HTTP."""

from __future__ import annotations

from reconciler.toggl.client import RequestEvent, RequestStats, TogglClient
from reconciler.toggl.pacing import Pacer
from reconciler.toggl.errors import (
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
    TransportError,
    UnexpectedResponseError,
)
from reconciler.toggl.transport import Transport, transport_from_env
from reconciler.toggl.types import (
    BulkFailure,
    BulkResult,
    Client,
    Project,
    QuotaInfo,
    Tag,
    TimeEntry,
    User,
    Workspace,
)

__all__ = [
    "AmbiguousWriteError",
    "AuthError",
    "BadRequestError",
    "BulkFailure",
    "BulkResult",
    "Client",
    "ConflictError",
    "GoneError",
    "NotFoundError",
    "Pacer",
    "PaidPlanRequiredError",
    "Project",
    "QuotaExhaustedError",
    "QuotaInfo",
    "RateLimitedError",
    "RequestEvent",
    "RequestStats",
    "ServerError",
    "Tag",
    "TimeEntry",
    "TogglClient",
    "TogglError",
    "Transport",
    "TransportError",
    "UnexpectedResponseError",
    "User",
    "Workspace",
    "transport_from_env",
]
