"""One request from arrival to answer, without sockets: surface and auth, rate limit, hourly
quota, routing, latency, faults, then the handler inside one store transaction.

Order (as Toggl and the brief have it): credentials first, then (through Maton) the gateway's
own 10 requests/s (429 from Maton), then Toggl's leaky bucket (429), then the quota (402: the
user quota for `/me...` calls, else the organization's), and only admitted requests can meet
an injected fault. Maton's connection management (`/connections`) is not Toggl: it spends no
Toggl budget.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from reconciler.sandbox import auth, rules
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.encoding import encode_json
from reconciler.sandbox.errors import ApiError
from reconciler.sandbox.faults import Fault, FaultDecision, FaultInjector, NO_FAULT
from reconciler.sandbox.identity import ORGANIZATION_ID
from reconciler.sandbox.limits import (
    RATE_LIMIT_MESSAGE, HourlyQuota, LeakyBucket, QuotaState, quota_message,
)
from reconciler.sandbox.maton import FIRST_CONNECTION_ID, Connections, MatonError
from reconciler.sandbox.maton import RATE_LIMIT_MESSAGE as MATON_RATE_LIMIT_MESSAGE
from reconciler.sandbox.routes import WRITE_METHODS, Call, Handler, Reply, find_route
from reconciler.sandbox.store import Store

MATON_CONNECTION_ID = FIRST_CONNECTION_ID
# Documented hourly quotas per plan; /me/quota reports these when no quota is enforced.
TIER_QUOTAS: Mapping[str, int] = {"free": 30, "starter": 240, "premium": 600}
FAULT_MESSAGE = "Internal Server Error"  # injected faults only


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass
class Outcome:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    dropped: bool = False  # close the connection without answering


@dataclass(frozen=True)
class _Surface:
    prefix: str
    bearer: bool  # Maton (Bearer) or Toggl (Basic)


_SURFACES = (_Surface(auth.MATON_PREFIX, True), _Surface(auth.NATIVE_PREFIX, False))


class Dispatcher:
    """Holds the limits and fault state that `Sandbox.configure` may swap at run time."""

    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self.bucket: LeakyBucket | None = None
        self.quota: HourlyQuota | None = None
        self.user_quota: HourlyQuota | None = None
        self.maton_bucket: LeakyBucket | None = None
        self.connections = Connections(created=store.created_ts(),
                                       activate_new=config.maton_new_connections_active)
        self.faults = FaultInjector(0, 0, 0, 0)
        self._swap_lock = threading.Lock()
        self.apply_config(config, previous=None)

    def apply_config(self, config: SandboxConfig, previous: SandboxConfig | None) -> None:
        """Rebuilds only the parts whose settings changed, so a fault change keeps the quota."""
        with self._swap_lock:
            self.config = config
            if _changed(previous, config, "rate_limit_per_second", "rate_burst"):
                rate = config.rate_limit_per_second
                self.bucket = None if rate is None else LeakyBucket(rate, config.rate_burst)
            if _changed(previous, config, "hourly_quota", "quota_window_seconds"):
                total = config.hourly_quota
                self.quota = (
                    None if total is None else HourlyQuota(total, config.quota_window_seconds)
                )
            if _changed(previous, config, "user_hourly_quota", "quota_window_seconds"):
                total = config.user_hourly_quota
                self.user_quota = (
                    None if total is None else HourlyQuota(total, config.quota_window_seconds)
                )
            if _changed(previous, config, "maton_rate_limit_per_second", "maton_rate_burst"):
                rate = config.maton_rate_limit_per_second
                self.maton_bucket = (
                    None if rate is None else LeakyBucket(rate, config.maton_rate_burst)
                )
            self.connections.activate_new = config.maton_new_connections_active
            if _changed(previous, config, "fail_before", "fail_after", "drop", "fault_seed"):
                self.faults = FaultInjector(
                    config.fail_before, config.fail_after, config.drop, config.fault_seed
                )

    # ------------------------------------------------------------ the pipeline

    def dispatch(self, request: Request) -> Outcome:
        quota_state: QuotaState | None = None
        try:
            surface, rest = _surface_of(request.path)
            credential = _authenticate(surface, request.headers, self.config.token)
            if surface is None:
                return self._serve_connections(request)
            if surface.bearer:
                self._admit_through_maton(credential, request.headers)
            quota_state = self._admit(credential, user_call=_is_user_call(rest))
            return self._serve(surface, rest, request, quota_state)
        except ApiError as error:
            return _error_outcome(error, quota_state)

    def _admit_through_maton(self, credential: str, headers: Mapping[str, str]) -> None:
        """The gateway's own refusals come before Toggl sees (and counts) the request."""
        bucket = self.maton_bucket
        if bucket is not None and not bucket.admit(credential):
            raise MatonError(429, MATON_RATE_LIMIT_MESSAGE)
        self.connections.choose(headers.get("maton-connection"))

    def _admit(self, credential: str, *, user_call: bool = False) -> QuotaState | None:
        """Toggl's budgets; answers the state the X-Toggl-Quota-* headers report.

        `/me...` calls spend the user quota when it is on, and then not the organization's
        (documented as separate); with it off they spend the organization's, as every call
        did before the user quota was modelled. Which quota a `/me` answer's headers report
        is not documented: they report the ORGANIZATION's (the budget "every response"
        carries, and what clients plan their writes with), untouched by the call; only the
        user quota's 402 carries its own state (remaining 0, resets in)."""
        bucket, quota = self.bucket, self.quota
        if bucket is not None and not bucket.admit(credential):
            state = quota.state() if quota is not None else None
            raise ApiError(429, RATE_LIMIT_MESSAGE, _quota_headers(state))
        if user_call and self.user_quota is not None:
            _spend(self.user_quota)
            return quota.state() if quota is not None else None
        return _spend(quota) if quota is not None else None

    def _serve(
        self, surface: _Surface, rest: str, request: Request, state: QuotaState | None
    ) -> Outcome:
        route, params = find_route(request.method, rest)
        if self.config.latency_seconds:
            time.sleep(self.config.latency_seconds)
        decision = self._fault_for(request.method)
        if decision.fault in (Fault.FAIL_BEFORE, Fault.DROP_BEFORE):
            return _fault_outcome(decision, state)
        call = Call(self.store, params, request.query, request.body, self.quota_report)
        with rules.enforcing(self.config.value_limits):
            outcome = self._run(route.handler, call, state)
        if decision.fault in (Fault.FAIL_AFTER, Fault.DROP_AFTER):
            return _fault_outcome(decision, state)
        return outcome

    def _fault_for(self, method: str) -> FaultDecision:
        if method not in WRITE_METHODS and not self.config.faults_on_reads:
            return NO_FAULT
        return self.faults.decide()

    def _run(self, handler: Handler, call: Call, state: QuotaState | None) -> Outcome:
        """The handler in one transaction: an ApiError rolls everything back."""
        try:
            with self.store.transaction():
                reply: Reply = handler(call)
        except ApiError as error:
            return _error_outcome(error, state)
        except Exception:  # a sandbox bug: rolled back, answered like Toggl's 5xx, not dropped
            return _error_outcome(ApiError(500, FAULT_MESSAGE), state)
        outcome = Outcome(reply.status, _reply_bytes(reply))
        outcome.headers.update(reply.headers)
        if not reply.empty:
            outcome.headers["Content-Type"] = "application/json; charset=utf-8"
        outcome.headers.update(_quota_headers(state))
        return outcome

    # ------------------------------------------------------------ special answers

    def quota_report(self) -> list[dict[str, Any]]:
        """`GET /me/quota`: the enforced window, or the plan's documented quota untouched."""
        quota = self.quota
        if quota is not None:
            state = quota.state()
        else:
            total = TIER_QUOTAS[self.config.tier]
            state = QuotaState(remaining=total, resets_in=0, total=total)
        return [{"organization_id": ORGANIZATION_ID, "remaining": state.remaining,
                 "resets_in_secs": state.resets_in, "total": state.total}]

    def _serve_connections(self, request: Request) -> Outcome:
        """Maton's ctrl API (`/connections...`): see maton.py."""
        body: Any = None
        if request.body.strip():
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise MatonError(400, "Invalid JSON body") from None  # our wording
        answer = self.connections.handle(request.method, request.path, request.query, body)
        return _json_outcome(answer, None)


def _changed(previous: SandboxConfig | None, current: SandboxConfig, *names: str) -> bool:
    return previous is None or any(getattr(previous, n) != getattr(current, n) for n in names)


def _surface_of(path: str) -> tuple[_Surface | None, str]:
    """(surface, path after the prefix); surface None is Maton's /connections."""
    if path.rstrip("/") == auth.CONNECTIONS_PATH or path.startswith(auth.CONNECTIONS_PATH + "/"):
        return None, path
    for surface in _SURFACES:
        if path == surface.prefix or path.startswith(surface.prefix + "/"):
            return surface, path[len(surface.prefix):]
    raise ApiError(404, "Not Found")


def _authenticate(surface: _Surface | None, headers: Mapping[str, str], token: str | None) -> str:
    header = headers.get("authorization")
    if surface is None or surface.bearer:
        return auth.bearer_credential(header, token)
    return auth.basic_credential(header, token)


def _spend(quota: HourlyQuota) -> QuotaState:
    admitted, state = quota.admit()
    if not admitted:
        raise ApiError(402, quota_message(state.resets_in), _quota_headers(state))
    return state


def _is_user_call(rest: str) -> bool:
    """A user-scoped call (`/me` and below), which draws on the user quota (documented)."""
    return rest.rstrip("/") == "/me" or rest.startswith("/me/")


def _quota_headers(state: QuotaState | None) -> dict[str, str]:
    if state is None:
        return {}
    return {"X-Toggl-Quota-Remaining": str(state.remaining),
            "X-Toggl-Quota-Resets-In": str(state.resets_in)}


def _reply_bytes(reply: Reply) -> bytes:
    if reply.empty:
        return b""
    return reply.encoded if reply.encoded is not None else encode_json(reply.body)


def _json_outcome(value: Any, state: QuotaState | None) -> Outcome:
    headers = {"Content-Type": "application/json; charset=utf-8", **_quota_headers(state)}
    return Outcome(200, encode_json(value), headers)


def _error_outcome(error: ApiError, state: QuotaState | None) -> Outcome:
    """Toggl's errors are JSON strings; `message=None` is an empty body (the 401)."""
    headers = {**_quota_headers(state), **error.headers}
    if isinstance(error, MatonError):
        headers["Content-Type"] = "application/json; charset=utf-8"
        return Outcome(error.status, encode_json({"error": error.message}), headers)
    if error.message is None:
        return Outcome(error.status, b"", headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    return Outcome(error.status, encode_json(error.message), headers)


def _fault_outcome(decision: FaultDecision, state: QuotaState | None) -> Outcome:
    if decision.fault in (Fault.DROP_BEFORE, Fault.DROP_AFTER):
        return Outcome(0, dropped=True)
    return _error_outcome(ApiError(decision.status, FAULT_MESSAGE), state)
