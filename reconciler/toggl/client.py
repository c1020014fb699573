"""TogglClient: the only code in the product that speaks HTTP.

Resilience rules (see docs/ARCHITECTURE.md and the Toggl API notes):
- every answer's X-Toggl-Quota-* headers update `quota`;
- bodies may be empty, `null`, a bare integer, a JSON string, an object or a list;
- 429, 5xx and connection failures are retried with capped exponential backoff and full jitter,
  but only for requests that are safe to repeat; a plain POST whose fate is unknown raises
  AmbiguousWriteError at once so that the caller re-reads before trying again;
- after a 429 the client paces itself (a minimum interval between requests) and relaxes slowly.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, Sequence
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from urllib3.exceptions import SSLError as TlsError

import reconciler
from reconciler.errors import UsageError
from reconciler.model import QuotaStatus
from reconciler.toggl.errors import (
    AmbiguousWriteError,
    TogglError,
    TransportError,
    UnexpectedResponseError,
    error_from_response,
    message_from_body,
)
from reconciler.toggl.transport import Transport, TransportKind, transport_from_env
from reconciler.toggl.types import (
    BulkResult,
    Client,
    Project,
    QuotaInfo,
    Tag,
    TimeEntry,
    User,
    Workspace,
    int_list,
    quota_from_headers,
)

API_PREFIX = "/api/v9"
USER_AGENT = f"toggl-reconciler/{reconciler.__version__} (+python-requests)"
CREATED_WITH = "toggl-reconciler"
MAX_PER_PAGE = 200  # Toggl's documented maximum page size for projects
MAX_BULK_IDS = 100  # Toggl's documented limit for one bulk PATCH
REDACTED = "***"

ClientStatus = Literal["active", "archived", "both"]
ActiveFilter = Literal["true", "false", "both"]
TeDeletionMode = Literal["unassign", "delete"]


class _Unset:
    """Marks an argument the caller did not give (distinct from an explicit None)."""

    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()


@dataclass
class RequestStats:
    """HTTP requests actually sent (retries included), split by reads (GET) and writes."""

    reads: int = 0
    writes: int = 0
    retries: int = 0
    waited_seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.reads + self.writes


@dataclass(frozen=True)
class RequestEvent:
    """One attempt, for --verbose logs: never headers, query strings or credentials."""

    method: str
    path: str
    status: int | None  # None when no answer came back
    elapsed: float  # seconds
    attempt: int  # 1 for the first try


class Pacer:
    """Keeps a minimum interval between requests once Toggl has said 429.

    Toggl's leaky bucket allows about one request per second and sends no Retry-After, so the
    interval starts at 1 s, grows x1.5 per further 429 (cap 10 s) and shrinks x0.9 after each
    10 consecutive successes, dropping to 0 once it is negligible.
    """

    START, GROWTH, CAP = 1.0, 1.5, 10.0
    RELAX_EVERY, RELAX_FACTOR, FLOOR = 10, 0.9, 0.05

    def __init__(self, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self.interval = 0.0
        self._sleep, self._clock = sleep, clock
        self._last_sent: float | None = None
        self._successes = 0

    def wait(self) -> float:
        """Sleep until the interval since the previous request has passed; the seconds slept."""
        if self.interval <= 0 or self._last_sent is None:
            return 0.0
        delay = self.interval - (self._clock() - self._last_sent)
        if delay <= 0:
            return 0.0
        self._sleep(delay)
        return delay

    def mark_sent(self) -> None:
        self._last_sent = self._clock()

    def on_rate_limited(self) -> None:
        self._successes = 0
        self.interval = self.START if self.interval <= 0 else min(self.CAP, self.interval * self.GROWTH)

    def on_success(self) -> None:
        if self.interval <= 0:
            return
        self._successes += 1
        if self._successes % self.RELAX_EVERY == 0:
            relaxed = self.interval * self.RELAX_FACTOR
            self.interval = relaxed if relaxed >= self.FLOOR else 0.0


@dataclass(frozen=True)
class _Call:
    """One logical request, possibly sent several times."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    body: str | None
    safe_to_repeat: bool
    headers: Mapping[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


class _RetryableFailure(Exception):
    """Internal: an attempt failed in a way a retry may fix; carries the error to raise last."""

    def __init__(self, error: TogglError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class TogglClient:
    """Typed operations on Toggl Track API v9 over one pooled session."""

    def __init__(
        self,
        transport: Transport,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        session: requests.Session | None = None,
        on_request: Callable[[RequestEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.stats = RequestStats()
        self.quota = QuotaStatus()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._owns_session = session is None
        self._session = session or requests.Session()
        self._on_request = on_request
        self._pacer = Pacer(lambda delay: self._wait(delay, "pacing"), clock)
        # (seconds, why: "pacing", "429", "503", "no answer"), told before each sleep: the
        # CLI's progress line shows waits instead of going silent.
        self.on_wait: Callable[[float, str], None] | None = None
        self._secrets = _secret_forms(transport)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        prefer: TransportKind | None = None,
        api_url: str | None = None,
        **kwargs: Any,
    ) -> TogglClient:
        return cls(transport_from_env(env, prefer=prefer, api_url=api_url), **kwargs)

    def __repr__(self) -> str:
        return f"TogglClient({self.transport.describe()})"

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> TogglClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pacing_interval(self) -> float:
        """Seconds currently kept between requests (0 until Toggl says 429)."""
        return self._pacer.interval

    # ------------------------------------------------------------ user and workspaces

    def get_me(self, with_related_data: bool = False) -> User:
        params = {"with_related_data": "true"} if with_related_data else None
        return User.from_api(self._object("GET", "/me", params=params))

    def list_workspaces(self) -> list[Workspace]:
        return [Workspace.from_api(item) for item in self._list("GET", "/me/workspaces")]

    def get_workspace(self, wid: int) -> Workspace:
        return Workspace.from_api(self._object("GET", f"/workspaces/{wid}"))

    def list_workspace_users(self, wid: int) -> list[dict[str, Any]]:
        return [dict(item) for item in self._list("GET", f"/workspaces/{wid}/users")]

    def get_quota(self) -> list[QuotaInfo]:
        data = self._request("GET", "/me/quota")
        items = [data] if isinstance(data, Mapping) else _mappings(data, "GET", "/me/quota")
        return [QuotaInfo.from_api(item) for item in items]

    # ------------------------------------------------------------ clients

    def list_clients(self, wid: int, status: ClientStatus = "both", name: str | None = None) -> list[Client]:
        # Always send `status`: without it Toggl lists only active clients.
        params = {"status": status, **({"name": name} if name else {})}
        return [Client.from_api(item) for item in self._list("GET", f"/workspaces/{wid}/clients", params=params)]

    def get_client(self, wid: int, cid: int) -> Client:
        return Client.from_api(self._object("GET", f"/workspaces/{wid}/clients/{cid}"))

    def create_client(
        self, wid: int, name: str, notes: str | None = None, external_reference: str | None = None
    ) -> Client:
        body = _without_none({"name": name, "notes": notes, "external_reference": external_reference})
        return Client.from_api(self._object("POST", f"/workspaces/{wid}/clients", body=body))

    def update_client(self, wid: int, cid: int, name: str, notes: str | None = UNSET) -> Client:
        # PUT replaces the name every time, so it is required; notes only when given (None clears).
        body: dict[str, Any] = {"name": name, **({} if notes is UNSET else {"notes": notes})}
        return Client.from_api(self._object("PUT", f"/workspaces/{wid}/clients/{cid}", body=body))

    def delete_client(self, wid: int, cid: int) -> None:
        self._request("DELETE", f"/workspaces/{wid}/clients/{cid}")

    def archive_client(self, wid: int, cid: int) -> list[int]:
        """Archives the client and its projects; answers the ids of the projects archived."""
        data = self._request("POST", f"/workspaces/{wid}/clients/{cid}/archive", idempotent=True)
        return int_list(data)

    def restore_client(
        self, wid: int, cid: int, *, all_projects: bool = False, project_ids: Sequence[int] = ()
    ) -> Client | None:
        body = {"restore_all_projects": True} if all_projects else {"projects": list(project_ids)}
        data = self._request("POST", f"/workspaces/{wid}/clients/{cid}/restore", body=body, idempotent=True)
        return Client.from_api(data) if isinstance(data, Mapping) else None

    def archive_clients(self, wid: int, ids: Sequence[int]) -> BulkResult:
        return self._bulk_post(f"/workspaces/{wid}/clients/archive", ids)

    def delete_clients(self, wid: int, ids: Sequence[int]) -> BulkResult:
        return self._bulk_post(f"/workspaces/{wid}/clients/delete", ids)

    def _bulk_post(self, path: str, ids: Sequence[int]) -> BulkResult:
        # Archiving or deleting twice leaves the same state, so these POSTs may be retried.
        data = self._request("POST", path, body=list(ids), idempotent=True)
        return BulkResult.from_api(data, ids)

    # ------------------------------------------------------------ projects

    def list_projects(
        self, wid: int, *, active: ActiveFilter = "both", per_page: int = MAX_PER_PAGE, since: int | None = None
    ) -> list[Project]:
        """Every page, in order: Toggl sends no total, so a short (or empty) page ends the list."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        path = f"/workspaces/{wid}/projects"
        base = {"active": active, "per_page": per_page, **({"since": since} if since is not None else {})}
        projects: list[Project] = []
        seen: set[int] = set()
        page = 1
        while True:
            items = [Project.from_api(item) for item in self._list("GET", path, params={**base, "page": page})]
            fresh = [project for project in items if project.id not in seen]
            projects.extend(fresh)
            seen.update(project.id for project in fresh)
            # A full page of nothing new means the server ignores `page`: stop instead of looping.
            if len(items) < per_page or not fresh:
                return projects
            page += 1

    def get_project(self, wid: int, pid: int) -> Project:
        return Project.from_api(self._object("GET", f"/workspaces/{wid}/projects/{pid}"))

    def create_project(self, wid: int, fields: Mapping[str, Any]) -> Project:
        # Toggl archives a project created without "active": always send it.
        body = {**fields, "active": fields.get("active", True)}
        return Project.from_api(self._object("POST", f"/workspaces/{wid}/projects", body=body))

    def update_project(self, wid: int, pid: int, fields: Mapping[str, Any]) -> Project:
        return Project.from_api(self._object("PUT", f"/workspaces/{wid}/projects/{pid}", body=dict(fields)))

    def delete_project(self, wid: int, pid: int, te_deletion_mode: TeDeletionMode) -> None:
        # The default when teDeletionMode is omitted is undocumented: always say what happens.
        if te_deletion_mode not in ("unassign", "delete"):
            raise ValueError(f"te_deletion_mode must be 'unassign' or 'delete', got {te_deletion_mode!r}")
        self._request("DELETE", f"/workspaces/{wid}/projects/{pid}", params={"teDeletionMode": te_deletion_mode})

    def bulk_patch_projects(self, wid: int, ids: Sequence[int], operations: Sequence[Mapping[str, Any]]) -> BulkResult:
        """One JSON-Patch list applied to up to 100 projects; partial success is possible."""
        if len(ids) > MAX_BULK_IDS:
            raise ValueError(f"at most {MAX_BULK_IDS} projects per bulk PATCH, got {len(ids)}")
        if not ids:
            return BulkResult()
        path = f"/workspaces/{wid}/projects/{','.join(str(pid) for pid in ids)}"
        data = self._request("PATCH", path, body=[dict(op) for op in operations])
        return BulkResult.from_api(data, ids)

    # ------------------------------------------------------------ tags

    def list_tags(self, wid: int) -> list[Tag]:
        return [Tag.from_api(item) for item in self._list("GET", f"/workspaces/{wid}/tags")]

    def create_tag(self, wid: int, name: str) -> Tag:
        return Tag.from_api(self._object("POST", f"/workspaces/{wid}/tags", body={"name": name}))

    def rename_tag(self, wid: int, tid: int, name: str) -> Tag:
        return Tag.from_api(self._object("PUT", f"/workspaces/{wid}/tags/{tid}", body={"name": name}))

    def delete_tag(self, wid: int, tid: int) -> None:
        self._request("DELETE", f"/workspaces/{wid}/tags/{tid}")

    # ------------------------------------------------------------ time entries

    def list_time_entries(
        self,
        *,
        since: int | None = None,
        before: str | None = None,
        start_date: str | None = None,
        end_date: str | None = None,
    ) -> list[TimeEntry]:
        params = _without_none({"since": since, "before": before, "start_date": start_date, "end_date": end_date})
        return [TimeEntry.from_api(item) for item in self._list("GET", "/me/time_entries", params=params or None)]

    def get_current_time_entry(self) -> TimeEntry | None:
        data = self._request("GET", "/me/time_entries/current")
        return None if data is None else TimeEntry.from_api(_mapping(data, "GET", "/me/time_entries/current"))

    def get_time_entry(self, entry_id: int) -> TimeEntry:
        return TimeEntry.from_api(self._object("GET", f"/me/time_entries/{entry_id}"))

    def create_time_entry(self, wid: int, fields: Mapping[str, Any]) -> TimeEntry:
        """`duration: -1` starts a running timer."""
        body = {"created_with": CREATED_WITH, **fields, "workspace_id": wid}
        return TimeEntry.from_api(self._object("POST", f"/workspaces/{wid}/time_entries", body=body))

    def update_time_entry(self, wid: int, entry_id: int, fields: Mapping[str, Any]) -> TimeEntry:
        path = f"/workspaces/{wid}/time_entries/{entry_id}"
        return TimeEntry.from_api(self._object("PUT", path, body=dict(fields)))

    def stop_time_entry(self, wid: int, entry_id: int) -> TimeEntry:
        return TimeEntry.from_api(self._object("PATCH", f"/workspaces/{wid}/time_entries/{entry_id}/stop"))

    def delete_time_entry(self, wid: int, entry_id: int) -> None:
        self._request("DELETE", f"/workspaces/{wid}/time_entries/{entry_id}")

    # ------------------------------------------------------------ Maton control API

    def list_maton_connections(self, app: str = "toggl-track", status: str = "ACTIVE") -> list[dict[str, Any]]:
        if self.transport.kind != "maton":
            raise UsageError("Maton connections can only be listed through the Maton route (MATON_API_KEY).")
        url = f"{self.transport.ctrl_root}/connections"
        data = self._request("GET", "/connections", params={"app": app, "status": status}, url=url)
        items = data.get("connections") if isinstance(data, Mapping) else data
        return [dict(item) for item in _mappings(items, "GET", urlsplit(url).path)]

    # ------------------------------------------------------------ shapes of answers

    def _object(self, method: str, path: str, **options: Any) -> Mapping[str, Any]:
        return _mapping(self._request(method, path, **options), method, API_PREFIX + path)

    def _list(self, method: str, path: str, **options: Any) -> list[Mapping[str, Any]]:
        return _mappings(self._request(method, path, **options), method, API_PREFIX + path)

    # ------------------------------------------------------------ one request, with retries

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        idempotent: bool = False,
        url: str | None = None,
    ) -> Any:
        """Send until success, a final error, or `max_retries` retries; the decoded JSON body."""
        call = _Call(
            method=method,
            url=url or f"{self.transport.root}{API_PREFIX}{path}",
            params=params,
            body=None if body is UNSET else json.dumps(body, separators=(",", ":")),
            safe_to_repeat=method != "POST" or idempotent,
            headers=self._headers(),
        )
        attempt = 1
        while True:
            try:
                return self._attempt(call, attempt)
            except _RetryableFailure as failure:
                if attempt > self.max_retries:
                    raise failure.error from failure.__cause__
                self._back_off(attempt, failure.retry_after, failure.error.status)
                attempt += 1

    def _headers(self) -> dict[str, str]:
        return {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Content-Type": "application/json",
            **self.transport.auth_headers(),
        }

    def _attempt(self, call: _Call, attempt: int) -> Any:
        self.stats.waited_seconds += self._pacer.wait()
        started = self._clock()
        self._pacer.mark_sent()
        try:
            response = self._session.request(
                call.method, call.url, params=call.params, data=call.body,
                headers=dict(call.headers), timeout=self.timeout,
            )
        except requests.RequestException as exc:
            self._emit(call, None, started, attempt)
            raise self._transport_failure(call, exc) from exc
        self._count_sent(call)
        self._note_quota(response)
        self._emit(call, response.status_code, started, attempt)
        return self._outcome(call, response)

    def _outcome(self, call: _Call, response: requests.Response) -> Any:
        status = response.status_code
        if status < 400:
            self._pacer.on_success()
            return _decode(response.text)
        message = self._scrub(message_from_body(response.text))
        # This answer's own headers: an older response's quota must not turn a 402 into another.
        reported = quota_from_headers(response.headers) or QuotaStatus()
        error = error_from_response(
            status, message,
            quota_remaining=reported.remaining, quota_resets_in=reported.resets_in,
            method=call.method, path=call.path, credential_env=self.transport.credential_env,
        )
        if status == 429:  # refused before doing anything: safe to repeat for every method
            self._pacer.on_rate_limited()
            raise _RetryableFailure(error, _retry_after(response))
        if status >= 500 and not call.safe_to_repeat:
            raise AmbiguousWriteError(message, status=status, method=call.method, path=call.path)
        if status >= 500:
            raise _RetryableFailure(error)
        raise error

    def _transport_failure(self, call: _Call, exc: requests.RequestException) -> Exception:
        """The exception for a request that got no answer: retryable, ambiguous or final."""
        message = self._scrub(_describe_failure(exc, self.timeout))
        request = {"method": call.method, "path": call.path}
        if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return TransportError(message, **request)  # a bad URL or similar: retrying cannot help
        never_sent = _failed_before_sending(exc)
        if not never_sent:
            self._count_sent(call)
        if not never_sent and not call.safe_to_repeat:
            return AmbiguousWriteError(message, **request)
        return _RetryableFailure(TransportError(message, **request))

    def _back_off(self, attempt: int, retry_after: float | None, status: int | None = None) -> None:
        # Full jitter: uniform over [0, ceiling], the ceiling doubling per retry up to the cap.
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        delay = self._rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_cap))
        self.stats.retries += 1
        self.stats.waited_seconds += delay
        self._wait(delay, str(status) if status is not None else "no answer")

    def _wait(self, delay: float, reason: str) -> None:
        if self.on_wait is not None:
            self.on_wait(delay, reason)
        self._sleep(delay)

    def _count_sent(self, call: _Call) -> None:
        if call.method == "GET":
            self.stats.reads += 1
        else:
            self.stats.writes += 1

    def _note_quota(self, response: requests.Response) -> None:
        reported = quota_from_headers(response.headers)
        if reported is not None:
            self.quota = reported

    def _emit(self, call: _Call, status: int | None, started: float, attempt: int) -> None:
        if self._on_request is not None:
            elapsed = max(0.0, self._clock() - started)
            self._on_request(RequestEvent(call.method, call.path, status, elapsed, attempt))

    def _scrub(self, text: str) -> str:
        """Toggl never echoes credentials, but an error text must not leak one if it ever did."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


# ---------------------------------------------------------------- helpers


def _secret_forms(transport: Transport) -> tuple[str, ...]:
    """The secret and the header value derived from it (e.g. the base64 Basic pair)."""
    derived = transport.auth_headers().get("Authorization", "").partition(" ")[2]
    return tuple(value for value in (transport.secret, derived) if value)


def _decode(text: str) -> Any:
    """A body as JSON (None when empty); a non-JSON body is returned as text."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _mapping(data: Any, method: str, path: str) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    raise UnexpectedResponseError(f"expected a JSON object, got {_shape(data)}", method=method, path=path)


def _mappings(data: Any, method: str, path: str) -> list[Mapping[str, Any]]:
    """A JSON list of objects; `null` is an empty list (Toggl answers that for empty lists)."""
    if data is None:
        return []
    if isinstance(data, list):
        return [item for item in data if isinstance(item, Mapping)]
    raise UnexpectedResponseError(f"expected a JSON list, got {_shape(data)}", method=method, path=path)


def _shape(data: Any) -> str:
    if isinstance(data, str):
        return "text" if data else "an empty body"
    return {dict: "an object", list: "a list", type(None): "null"}.get(type(data), type(data).__name__)


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds, if the server (e.g. the Maton gateway) sent one as a number."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _failed_before_sending(exc: BaseException) -> bool:
    """True when the connection was never established, so the request never left."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    return any(isinstance(cause, (NewConnectionError, ConnectTimeoutError, TlsError)) for cause in _causes(exc))


def _causes(exc: BaseException) -> list[BaseException]:
    """The exceptions behind one: requests wraps urllib3's in args, MaxRetryError in .reason."""
    found: list[BaseException] = []
    pending: list[object] = [exc]
    while pending and len(found) < 20:
        current = pending.pop()
        if not isinstance(current, BaseException) or current in found:
            continue
        found.append(current)
        pending.extend([current.__cause__, current.__context__, *current.args])
        if isinstance(current, MaxRetryError):
            pending.append(current.reason)
    return found


def _describe_failure(exc: requests.RequestException, timeout: float) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"could not connect within {timeout:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g} s"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
