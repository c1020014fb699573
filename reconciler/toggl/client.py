"""TogglClient: the only code in the product that speaks HTTP.

Resilience rules (see docs/ARCHITECTURE.md and the Toggl API notes):
- every answer's X-Toggl-Quota-* headers update `quota`;
- bodies may be empty, `null`, a bare integer, a JSON string, an object or a list;
- 429, 5xx and connection failures are retried with capped exponential backoff and full jitter,
  but only for requests that are safe to repeat; a plain POST whose fate is unknown raises
  AmbiguousWriteError at once so that the caller re-reads before trying again;
- requests are paced to the server's rate (pacing.py: Toggl's 1/s, Maton's 10/s, or a chosen
  one), so an apply meets no 429; after one it waits as long as the bucket needs (Retry-After
  when given), with jitter, and slows down only if 429s repeat;
- nothing a server sends is trusted unbounded (wire.py): each attempt has a total deadline, each
  answer a decoded-size bound, each listing a page and byte bound; redirects are never followed
  to another origin, and only for reads within one; quota and Retry-After headers are clamped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
import time
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Literal, Mapping, Sequence
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from http.client import RemoteDisconnected
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError
from urllib3.exceptions import SSLError as TlsError

import reconciler
from reconciler.durations import duration
from reconciler.errors import UsageError
from reconciler.redaction import redact
from reconciler.model import QuotaStatus
from reconciler.toggl import answers, wire
from reconciler.toggl.errors import (
    AmbiguousWriteError,
    AnswerTooLargeError,
    ListingTooSlowError,
    RedirectRefusedError,
    TogglError,
    TransportError,
    UnexpectedResponseError,
    error_from_response,
    looks_like_html,
    message_from_body,
    summarize_html,
)
from reconciler.toggl.pacing import Pacer, server_rate
from reconciler.toggl.transport import Transport, TransportKind, transport_from_env
from reconciler.toggl.types import (
    BulkResult,
    Client,
    Group,
    Organization,
    Project,
    ProjectGroup,
    ProjectUser,
    QuotaInfo,
    Tag,
    Task,
    TimeEntry,
    User,
    Workspace,
    WorkspaceUser,
    QUOTA_REMAINING_HEADER,
    QUOTA_RESETS_IN_HEADER,
    int_list,
)

API_PREFIX = "/api/v9"
USER_AGENT = f"toggl-reconciler/{reconciler.__version__} (+python-requests)"
CREATED_WITH = "toggl-reconciler"
MAX_PER_PAGE = 200  # Toggl's documented maximum page size for projects
MAX_BULK_IDS = 100  # Toggl's documented limit for one bulk PATCH
MAX_PROJECT_IDS_FILTER = 200  # documented: "project_ids cannot exceed 200 elements."
# Tasks: documented default 50 a page, no documented maximum. We ask for 200 (the projects'
# maximum); if Toggl caps it lower, the listing's own total_count/per_page keep it going.
TASKS_PER_PAGE = 200
REDACTED = "***"
DEFAULT_DEADLINE = 60.0  # seconds for one whole attempt (headers and body), whatever trickles
MAX_REDIRECTS = 3  # same-origin redirects of one read; Toggl itself never redirects
# At Toggl's 200 projects per page, 500 pages are 100,000 projects: more than Premium's 600
# requests an hour could read twice. A listing that long has pages that never get short.
MAX_LISTING_PAGES = 500
MAX_LISTING_BYTES = 128 * 1024 * 1024  # decoded bytes of all pages of one listing
# All pages of one listing, pacing waits included: 20,000 tasks are 100 pages, under two
# minutes at Toggl's 1 request a second; 500 pages (the page bound) are under ten. Each page
# has its own deadline (DEFAULT_DEADLINE), which a server can meet 500 times over: 8 hours.
MAX_LISTING_SECONDS = 30 * 60.0
# Toggl's quota is a sliding 60-minute window: a reset is never further away than this.
MAX_QUOTA_RESETS_IN = 3600
MAX_RETRY_AFTER = 3600.0
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_QUOTING_MESSAGE_CHARS = 600  # a message quoting an answer, once scrubbed

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
    """One attempt, for --verbose logs: never headers, bodies or credentials. The query string
    is kept (`since=`, `page=`: what a reader needs to tell the reads apart); the client never
    puts a credential in one."""

    method: str
    path: str
    status: int | None  # None when no answer came back
    elapsed: float  # seconds
    attempt: int  # 1 for the first try
    note: str = ""  # e.g. "same-origin redirect to /api/v9/..." or why no answer came
    query: str = ""  # e.g. "page=2&per_page=200", without the "?"


@dataclass(frozen=True)
class RetryNotice:
    """An attempt that failed and will be repeated: what happened, and the true time so far."""

    method: str
    path: str
    attempt: int  # the attempt that just failed (1 for the first)
    attempts: int  # how many attempts at most
    reason: str  # e.g. "no answer within 30 s" or "503 server error"
    delay: float  # seconds until the next attempt
    elapsed: float  # seconds since the first attempt started
    rate_limited: bool = False  # a 429: routine pacing, not a fault


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

    @property
    def query(self) -> str:
        """The query string as sent: the URL's own, then `params` (as requests encodes them)."""
        parts = [urlsplit(self.url).query, urlencode(self.params or {}, doseq=True)]
        return "&".join(part for part in parts if part)


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
        deadline: float = DEFAULT_DEADLINE,
        max_answer_bytes: int = wire.MAX_ANSWER_BYTES,
        max_listing_bytes: int = MAX_LISTING_BYTES,
        max_listing_pages: int = MAX_LISTING_PAGES,
        max_listing_seconds: float = MAX_LISTING_SECONDS,
        on_retry: Callable[[RetryNotice], None] | None = None,
        rate: float | None | _Unset = UNSET,
    ) -> None:
        """`rate`: requests per second to pace to; by default the route's (pacing.server_rate),
        None for no pacing until a 429, a number to choose it (capped by Maton's limit)."""
        self.transport = transport
        self.timeout = timeout
        self.deadline = max(deadline, 0.001)
        self.max_answer_bytes = max_answer_bytes
        self.max_listing_bytes = max_listing_bytes
        self.max_listing_pages = max_listing_pages
        self.max_listing_seconds = max_listing_seconds
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.stats = RequestStats()
        self.quota = QuotaStatus()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._owns_session = session is None
        self._session = session or wire.new_session()
        self._on_request = on_request
        self._on_retry = on_retry
        self._last_answer_bytes = 0
        chosen = server_rate(transport) if isinstance(rate, _Unset) else (
            None if rate is None else server_rate(transport, rate))
        self._pacer = Pacer(lambda delay: self._wait(delay, "pacing"), clock, chosen)
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
        """Seconds currently kept between requests (0 when no rate is known and no 429 came)."""
        return self._pacer.interval

    @property
    def pacing_rate(self) -> float | None:
        """The requests per second paced to from the start (None: unknown, pace after a 429)."""
        return self._pacer.rate

    def credential_key(self, label: bytes) -> bytes:
        """A key derived from the credential (HMAC-SHA256 of `label`): the secret never leaves."""
        return hmac.new(self.transport.secret.encode("utf-8"), label, hashlib.sha256).digest()

    def observe_responses(self, callback: Callable[[Mapping[str, str]], None]) -> None:
        """Call `callback` with the headers of every answer from now on (e.g. to read `Date`)."""
        def hook(response: requests.Response, *_: Any, **__: Any) -> None:
            callback(response.headers)

        self._session.hooks.setdefault("response", []).append(hook)

    # ------------------------------------------------------------ user and workspaces

    def get_me(self, with_related_data: bool = False) -> User:
        params = {"with_related_data": "true"} if with_related_data else None
        return User.from_api(self._object("GET", "/me", params=params))

    def list_workspaces(self) -> list[Workspace]:
        return [Workspace.from_api(item) for item in self._list("GET", "/me/workspaces")]

    def get_workspace(self, wid: int) -> Workspace:
        return Workspace.from_api(self._object("GET", f"/workspaces/{wid}"))

    def list_workspace_users(self, wid: int) -> list[WorkspaceUser]:
        """Every user of the workspace, in one call (Toggl does not page this listing)."""
        return [WorkspaceUser.from_api(item) for item in self._list("GET", f"/workspaces/{wid}/users")]

    def update_workspace_settings(self, wid: int, fields: Mapping[str, Any],
                                  name: str | None = None) -> Workspace:
        """PUT /workspaces/{wid} with only the given settings (the documented body has no
        required key; a key not sent keeps its value). `name` is sent only when given."""
        body = {**({"name": name} if name is not None else {}), **dict(fields)}
        path = f"/workspaces/{wid}"
        updated = Workspace.from_api(self._object("PUT", path, body=body))
        self._check_write("workspace", updated.raw, updated.id, {"id": wid, **body},
                          method="PUT", path=path)
        return updated

    def create_workspace(self, oid: int, name: str) -> Workspace:
        """A new workspace in organization `oid`. Recorded: 403 in a Free organization that
        already has its one workspace. A plain POST: an unknown fate raises AmbiguousWriteError."""
        path = f"/organizations/{oid}/workspaces"
        created = Workspace.from_api(self._object("POST", path, body={"name": name}))
        self._check_write("workspace", created.raw, created.id,
                          {"name": name, "organization_id": oid},
                          method="POST", path=path, created=True)
        return created

    def list_organizations(self) -> list[Organization]:
        """The organizations the user belongs to (documented: an empty list without access)."""
        return [Organization.from_api(item) for item in self._list("GET", "/me/organizations")]

    # ------------------------------------------------------------ groups (of the organization)

    def list_organization_groups(self, oid: int) -> list[Group]:
        """Every group of the organization with its users and workspaces, in one call."""
        return [Group.from_api(item) for item in self._list("GET", f"/organizations/{oid}/groups")]

    def create_group(self, oid: int, name: str, user_ids: Sequence[int],
                     workspace_ids: Sequence[int]) -> Group:
        body = {"name": name, "users": list(user_ids), "workspaces": list(workspace_ids)}
        path = f"/organizations/{oid}/groups"
        return self._checked_group(Group.from_api(self._object("POST", path, body=body)), body,
                                   "POST", path, created=True)

    def update_group(self, oid: int, gid: int, name: str, user_ids: Sequence[int],
                     workspace_ids: Sequence[int]) -> Group:
        """PUT replaces name, users and workspaces together: send the whole group every time."""
        body = {"name": name, "users": list(user_ids), "workspaces": list(workspace_ids)}
        path = f"/organizations/{oid}/groups/{gid}"
        return self._checked_group(Group.from_api(self._object("PUT", path, body=body)),
                                   {"id": gid, **body}, "PUT", path)

    def delete_group(self, oid: int, gid: int) -> None:
        self._request("DELETE", f"/organizations/{oid}/groups/{gid}")

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
        base = {"active": active, "per_page": per_page, **({"since": since} if since is not None else {})}
        raws = self._paged(f"/workspaces/{wid}/projects", base, per_page, "projects", "project")
        return [Project.from_api(item) for item in raws]

    def _paged(self, path: str, base: Mapping[str, Any], per_page: int, plural: str,
               noun: str) -> list[Mapping[str, Any]]:
        """Every page of a `page`-numbered listing, each object once (by id), in order.

        A page is a bare JSON list or an object `{"data": [...], "total_count": n, "per_page":
        m}` (the documented task listing). With a total, the listing ends once that many
        objects came (no extra call for an empty last page) and a short page does not end it
        while more are due: a server that caps `per_page` below what was asked still yields
        every object. Without one, a short or empty page ends it. A total below what already
        came is not believed (the short-page rule ends the listing then). A page of nothing new
        (the server ignores `page`), or an empty page while the total says more are due, is an
        UnexpectedResponseError: the listing is incomplete, and nothing may be planned from
        it. Bounded by `max_listing_pages` and `max_listing_bytes` whatever the server says.
        """
        items: list[Mapping[str, Any]] = []
        seen: set[Any] = set()
        page, listing_bytes, started = 1, 0, self._clock()
        while True:
            if page > self.max_listing_pages:
                raise AnswerTooLargeError(
                    f"stopped after {self.max_listing_pages} pages ({len(items)} {plural}) without "
                    "a short page: Toggl ends every listing with one, so this server is not paginating "
                    "as Toggl does. Nothing was planned from this listing.",
                    method="GET", path=API_PREFIX + path)
            data = self._request("GET", path, params={**base, "page": page})
            if self._clock() - started > self.max_listing_seconds:
                raise ListingTooSlowError(
                    f"the {noun} listing took more than {duration(self.max_listing_seconds)} over "
                    f"{page} pages ({len(items)} {plural} so far), far longer than any real "
                    "workspace's; stopped. Nothing was planned from this listing; check the API "
                    "root or try again later.", method="GET", path=API_PREFIX + path)
            listing_bytes += self._last_answer_bytes
            if listing_bytes > self.max_listing_bytes:
                raise AnswerTooLargeError(
                    f"the {noun} listing passed {_mib(self.max_listing_bytes)} over {page} pages; "
                    "far more than any real workspace, so it was stopped.",
                    method="GET", path=API_PREFIX + path)
            rows, total, page_size = _page_rows(data, "GET", API_PREFIX + path)
            fresh = [(key, row) for key, row in ((_row_key(row), row) for row in rows)
                     if key not in seen]
            items.extend(row for _, row in fresh)
            seen.update(key for key, _ in fresh)
            if rows and not fresh:
                raise self._not_paginating(path, plural, page, len(items),
                                           f"page {page} repeats only {plural} of earlier pages")
            if total is not None and len(items) > total:
                total = None  # fewer than already came: a short page ends it, not this total
            if not rows and total is not None and len(items) < total:
                raise self._not_paginating(path, plural, page, len(items),
                                           f"it declared {total} {plural} but page {page} is empty")
            if not rows or (total is not None and len(items) >= total):
                return items
            if total is not None and page == 1 and total > self.max_listing_pages * len(rows):
                # Pages this size could not bring that many within the page bound: say so
                # now, not after spending hundreds of the hour's requests on it.
                raise AnswerTooLargeError(
                    f"the {noun} listing declares {total} {plural}, {len(rows)} a page: more "
                    f"than {self.max_listing_pages} pages, far more than any real workspace. "
                    "Nothing was planned from this listing.",
                    method="GET", path=API_PREFIX + path)
            full = len(rows) >= min(per_page, page_size or per_page)
            if total is None and not full:
                return items
            page += 1

    def _not_paginating(self, path: str, plural: str, page: int, count: int,
                        why: str) -> UnexpectedResponseError:
        # Planning from the pages that came would show what the rest holds as missing (to
        # create again) or leave it unseen: the whole listing is refused instead.
        return UnexpectedResponseError(
            f"the {plural} listing does not page as Toggl's does: {why} ({count} read so "
            "far). Nothing was planned from this listing; check the API root.",
            method="GET", path=API_PREFIX + path)

    def list_projects_page(
        self, wid: int, *, page: int, active: ActiveFilter = "both", per_page: int = MAX_PER_PAGE,
        since: int | None = None,
    ) -> list[Project]:
        """One page of the project listing: for reads that must stay within a known cost."""
        params = {"active": active, "per_page": per_page, "page": page,
                  **({"since": since} if since is not None else {})}
        path = f"/workspaces/{wid}/projects"
        return [Project.from_api(item) for item in self._list("GET", path, params=params)]

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
        return self._bulk_patch(f"/workspaces/{wid}/projects", ids, operations, "projects")

    # ------------------------------------------------------------ tags

    def list_tags(self, wid: int) -> list[Tag]:
        return [Tag.from_api(item) for item in self._list("GET", f"/workspaces/{wid}/tags")]

    def create_tag(self, wid: int, name: str) -> Tag:
        return Tag.from_api(self._object("POST", f"/workspaces/{wid}/tags", body={"name": name}))

    def rename_tag(self, wid: int, tid: int, name: str) -> Tag:
        return Tag.from_api(self._object("PUT", f"/workspaces/{wid}/tags/{tid}", body={"name": name}))

    def delete_tag(self, wid: int, tid: int) -> None:
        self._request("DELETE", f"/workspaces/{wid}/tags/{tid}")

    # ------------------------------------------------------------ project members

    def list_project_users(self, wid: int,
                           project_ids: Sequence[int] | None = None) -> list[ProjectUser]:
        """The user members of every project of the workspace, in one call; with
        `project_ids` (at most 200, documented), of those projects only."""
        if project_ids is not None and not 1 <= len(project_ids) <= MAX_PROJECT_IDS_FILTER:
            raise ValueError(f"project_ids must hold 1 to {MAX_PROJECT_IDS_FILTER} ids")
        params = ({"project_ids": ",".join(str(int(pid)) for pid in project_ids)}
                  if project_ids is not None else None)
        return [ProjectUser.from_api(item)
                for item in self._list("GET", f"/workspaces/{wid}/project_users", params=params)]

    def create_project_user(self, wid: int, project_id: int, user_id: int, manager: bool = False,
                            rate: float | None = None) -> ProjectUser:
        """`rate` (a paid-plan field) is sent only when given, so a Free workspace never sees it."""
        body = {"project_id": project_id, "user_id": user_id, "manager": bool(manager),
                **({"rate": rate} if rate is not None else {})}
        path = f"/workspaces/{wid}/project_users"
        created = ProjectUser.from_api(self._object("POST", path, body=body))
        self._check_write("project user", created.raw, created.id, body,
                          method="POST", path=path, created=True)
        return created

    def update_project_user(self, wid: int, id: int, manager: bool,
                            rate: float | None = UNSET) -> ProjectUser:
        """`rate` only when given (None clears it): a Free workspace is never sent one."""
        body: dict[str, Any] = {"manager": bool(manager), **({} if rate is UNSET else {"rate": rate})}
        path = f"/workspaces/{wid}/project_users/{id}"
        updated = ProjectUser.from_api(self._object("PUT", path, body=body))
        self._check_write("project user", updated.raw, updated.id, {"id": id, **body},
                          method="PUT", path=path)
        return updated

    def patch_project_users(self, wid: int, ids: Sequence[int],
                            operations: Sequence[Mapping[str, Any]]) -> BulkResult:
        """One JSON-Patch list applied to up to 100 project users; partial success is possible."""
        return self._bulk_patch(f"/workspaces/{wid}/project_users", ids, operations, "project users")

    def delete_project_user(self, wid: int, id: int) -> None:
        self._request("DELETE", f"/workspaces/{wid}/project_users/{id}")

    def list_project_groups(self, wid: int) -> list[ProjectGroup]:
        """The group members of every project of the workspace, in one call."""
        return [ProjectGroup.from_api(item) for item in self._list("GET", f"/workspaces/{wid}/project_groups")]

    def create_project_group(self, wid: int, project_id: int, group_id: int) -> ProjectGroup:
        body = {"project_id": project_id, "group_id": group_id}
        path = f"/workspaces/{wid}/project_groups"
        created = ProjectGroup.from_api(self._object("POST", path, body=body))
        self._check_write("project group", created.raw, created.id, body,
                          method="POST", path=path, created=True)
        return created

    def delete_project_group(self, wid: int, id: int) -> None:
        self._request("DELETE", f"/workspaces/{wid}/project_groups/{id}")

    # ------------------------------------------------------------ tasks

    def list_tasks(self, wid: int, *, active: ActiveFilter = "both",
                   per_page: int = TASKS_PER_PAGE, since: int | None = None) -> list[Task]:
        """Every task of the workspace (all projects), done ones too, page by page. Pages are a
        bare list or the documented `{"data": [...], "total_count": n}`: both are read.
        With `since` (unix seconds), the tasks changed since then, deleted ones included
        (documented), for a cached copy to be brought up to date."""
        if not 1 <= per_page <= TASKS_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {TASKS_PER_PAGE}, got {per_page}")
        base = {"active": active, "per_page": per_page,
                **({"since": since} if since is not None else {})}
        raws = self._paged(f"/workspaces/{wid}/tasks", base, per_page, "tasks", "task")
        tasks = [Task.from_api(item) for item in raws]
        return tasks if since is not None else [task for task in tasks if not task.server_deleted_at]

    def create_task(self, wid: int, pid: int, fields: Mapping[str, Any]) -> Task:
        """`fields` in Toggl's names (name, active, estimated_seconds, user_id). `active` and
        `user_id` are always sent: a task is never created done by a default, nor assigned to
        whoever runs apply (the v9 reference: "if omitted, will use requester user ID")."""
        body = {**fields, "active": fields.get("active", True), "user_id": fields.get("user_id")}
        path = f"/workspaces/{wid}/projects/{pid}/tasks"
        created = Task.from_api(self._object("POST", path, body=body))
        self._check_write("task", created.raw, created.id, {**body, "project_id": pid},
                          method="POST", path=path, created=True)
        return created

    def update_task(self, wid: int, pid: int, tid: int, fields: Mapping[str, Any]) -> Task:
        path = f"/workspaces/{wid}/projects/{pid}/tasks/{tid}"
        updated = Task.from_api(self._object("PUT", path, body=dict(fields)))
        self._check_write("task", updated.raw, updated.id,
                          {"id": tid, **fields, "project_id": pid}, method="PUT", path=path)
        return updated

    def patch_tasks(self, wid: int, pid: int, ids: Sequence[int],
                    operations: Sequence[Mapping[str, Any]]) -> BulkResult:
        """One JSON-Patch list applied to up to 100 tasks of one project."""
        return self._bulk_patch(f"/workspaces/{wid}/projects/{pid}/tasks", ids, operations, "tasks")

    def delete_task(self, wid: int, pid: int, tid: int) -> None:
        self._request("DELETE", f"/workspaces/{wid}/projects/{pid}/tasks/{tid}")

    def _bulk_patch(self, collection: str, ids: Sequence[int],
                    operations: Sequence[Mapping[str, Any]], plural: str) -> BulkResult:
        if len(ids) > MAX_BULK_IDS:
            raise ValueError(f"at most {MAX_BULK_IDS} {plural} per bulk PATCH, got {len(ids)}")
        if not ids:
            return BulkResult()
        path = f"{collection}/{','.join(str(number) for number in ids)}"
        data = self._request("PATCH", path, body=[dict(op) for op in operations])
        return BulkResult.from_api(data, ids)

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

    # ------------------------------------------------------------ answers to writes

    def _check_write(self, *args: Any, **kwargs: Any) -> None:
        """answers.check_write_answer, its message scrubbed: it quotes what the server sent."""
        try:
            answers.check_write_answer(*args, **kwargs)
        except UnexpectedResponseError as error:
            raise self.scrubbed(error) from None

    def _checked_group(self, group: Group, sent: Mapping[str, Any], method: str, path: str,
                       created: bool = False) -> Group:
        """A group write's answer against what was sent: its users and workspaces as the typed
        view reads them (the answer lists users as objects), where the answer has them."""
        raw = group.raw
        answered: dict[str, Any] = {key: raw[key] for key in ("name",) if key in raw}
        if isinstance(raw.get("users"), list):
            answered["users"] = list(group.user_ids)
        if isinstance(raw.get("workspaces"), list):
            answered["workspaces"] = list(group.workspace_ids)
        self._check_write("group", answered, group.id, sent, method=method, path=path,
                          created=created)
        return group

    def scrubbed(self, error: TogglError) -> TogglError:
        """The error with any form of the credential taken out of its text: for messages that
        quote a server's answer (which could echo the credential back)."""
        message = self._scrub(error.message)
        if len(message) > MAX_QUOTING_MESSAGE_CHARS:  # a server's megabyte name, say
            message = f"{message[:400]} ... {message[-150:]}"
        error.message = message
        error.args = (str(error),)
        return error

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
        first_started = self._clock()
        attempt = 1
        while True:
            try:
                return self._attempt(call, attempt)
            except _RetryableFailure as failure:
                if attempt > self.max_retries:
                    raise self._with_totals(failure.error, attempt, first_started) from failure.__cause__
                delay = self._back_off(attempt, failure)
                self._notify_retry(call, attempt, failure, delay, first_started)
                status = failure.error.status
                self._wait(delay, str(status) if status is not None else "no answer")
                attempt += 1

    def _headers(self) -> dict[str, str]:
        return {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            "Accept-Encoding": wire.accept_encoding(),
            "Content-Type": "application/json",
            **self.transport.auth_headers(),
        }

    def _attempt(self, call: _Call, attempt: int) -> Any:
        self.stats.waited_seconds += self._pacer.wait()
        hop = call
        for _hop in range(MAX_REDIRECTS + 1):
            started = self._clock()
            self._pacer.mark_sent()
            with wire.watching(self.deadline) as watch:
                response = self._send(hop, watch, started, attempt)
                self._pacer.mark_answered(started)
                try:
                    self._count_sent(hop)
                    self._note_quota(response)
                    if 300 <= response.status_code < 400:
                        hop = self._follow(hop, response, started, attempt)
                        continue
                    body = self._read(hop, response, watch, started, attempt)
                finally:
                    response.close()
            self._emit(hop, response.status_code, started, attempt)
            return self._outcome(hop, response, body)
        raise RedirectRefusedError(f"more than {MAX_REDIRECTS} redirects; not followed further "
                                   "(Toggl's API never redirects)", method=call.method, path=call.path)

    def _send(self, call: _Call, watch: wire.Watch, started: float, attempt: int) -> requests.Response:
        try:
            return self._session.request(
                call.method, call.url, params=call.params, data=call.body,
                headers=dict(call.headers), timeout=self.timeout, allow_redirects=False, stream=True,
            )
        except requests.exceptions.InvalidHeader:
            # Its text quotes the header value, which may be a credential: never show it.
            raise TransportError("a request header was refused by the HTTP library (its value is not shown)",
                                 method=call.method, path=call.path) from None
        except requests.RequestException as exc:
            self._emit(call, None, started, attempt)
            raise self._transport_failure(call, exc, watch) from exc
        except (UnicodeError, ValueError):
            # http.client refuses header values it cannot encode; its text may quote them.
            raise TransportError("a request header could not be encoded (its value is not shown)",
                                 method=call.method, path=call.path) from None

    def _read(self, call: _Call, response: requests.Response, watch: wire.Watch, started: float,
              attempt: int) -> bytes:
        failed = response.status_code >= 400
        limit = min(self.max_answer_bytes, wire.MAX_ERROR_BODY_BYTES) if failed else self.max_answer_bytes
        try:
            body = wire.read_body(response, limit=limit, watch=watch, deadline_at=started + self.deadline,
                                  clock=self._clock, truncate=failed)
        except wire.AnswerTooLarge as exc:
            self._emit(call, response.status_code, started, attempt, "answer too large")
            size = f" (it declared {exc.declared} bytes)" if exc.declared is not None else ""
            raise AnswerTooLargeError(
                f"the answer is larger than {_mib(limit)} once decoded{size}, far more than any real "
                "Toggl answer; it was not read further", method=call.method, path=call.path) from None
        except wire.BadEncoding as exc:
            self._emit(call, response.status_code, started, attempt, "bad encoding")
            raise UnexpectedResponseError(str(exc), method=call.method, path=call.path) from None
        except wire.DeadlinePassed as exc:
            self._emit(call, None, started, attempt, "deadline passed")
            raise self._no_answer(call, f"no complete answer within {self.deadline:g} s") from exc
        except wire.BodyCutShort as exc:
            self._emit(call, None, started, attempt, "cut short")
            raise self._no_answer(call, exc.reason) from exc
        self._last_answer_bytes = len(body)
        return body

    def _follow(self, call: _Call, response: requests.Response, started: float, attempt: int) -> _Call:
        """The next hop of a redirect, when following it is safe: same origin, and a read. The
        target URL replaces the whole URL, query included (as browsers and requests do)."""
        status, location = response.status_code, response.headers.get("Location", "")
        if status not in _REDIRECTS or not location.strip():
            self._emit(call, status, started, attempt)
            raise UnexpectedResponseError(f"unexpected {status} answer (Toggl's API does not redirect)",
                                          status=status, method=call.method, path=call.path)
        target = urljoin(call.url, location.strip())
        root = self._root_for(call)
        if _origin(target) != _origin(call.url):
            self._emit(call, status, started, attempt, f"redirect to {_shown_url(target)} refused")
            raise RedirectRefusedError(
                f"the API root {root}{self._source_note()} answered {status}, redirecting to "
                f"{_shown_url(target)}, another origin. Toggl's API never redirects, so it was not "
                "followed and nothing was sent there; check the API root.",
                method=call.method, path=call.path)
        if call.method != "GET":
            self._emit(call, status, started, attempt, f"redirect of a write to {urlsplit(target).path} refused")
            raise RedirectRefusedError(
                f"the API root {root} answered {status}, redirecting this write to "
                f"{urlsplit(target).path}; a write is never re-sent elsewhere. It may or may not have "
                "been applied: run plan to see the workspace as it is.",
                method=call.method, path=call.path)
        self._emit(call, status, started, attempt, f"following same-origin redirect to {urlsplit(target).path}")
        return replace(call, url=target, params=None)

    def _root_for(self, call: _Call) -> str:
        ctrl = self.transport.ctrl_root
        return ctrl if call.url.startswith(ctrl + "/") else self.transport.root

    def _source_note(self) -> str:
        source = self.transport.root_source
        return f" (from {source})" if source else ""

    def _where(self, call: _Call) -> str:
        return f"{self._root_for(call)}{self._source_note()}"

    def _no_answer(self, call: _Call, message: str) -> Exception:
        """No (complete) answer to a request that left: retry it if safe, else it is ambiguous."""
        request = {"method": call.method, "path": call.path}
        if not call.safe_to_repeat:
            return AmbiguousWriteError(message, **request)
        return _RetryableFailure(TransportError(message, where=self._where(call), **request))

    def _outcome(self, call: _Call, response: requests.Response, body: bytes) -> Any:
        status = response.status_code
        text = _text(body)
        if status < 400:
            self._pacer.on_success()
            return _decode(text, call)
        message = self._scrub(message_from_body(text))
        # This answer's own headers: an older response's quota must not turn a 402 into another.
        reported = sane_quota(response.headers) or QuotaStatus()
        error = error_from_response(
            status, message,
            quota_remaining=reported.remaining, quota_resets_in=reported.resets_in,
            method=call.method, path=call.path, credential_env=self.transport.credential_env,
        )
        if status == 429:  # refused before doing anything: safe to repeat for every method
            self._pacer.on_rate_limited()
            raise _RetryableFailure(error, retry_after_seconds(response.headers))
        if status >= 500 and not call.safe_to_repeat:
            raise AmbiguousWriteError(message, status=status, method=call.method, path=call.path)
        if status >= 500:
            raise _RetryableFailure(error)
        raise error

    def _transport_failure(self, call: _Call, exc: requests.RequestException, watch: wire.Watch) -> Exception:
        """The exception for a request that got no answer: retryable, ambiguous or final."""
        if watch.expired.is_set() and not _failed_before_sending(exc):
            self._count_sent(call)
            return self._no_answer(call, f"no complete answer within {self.deadline:g} s")
        message = self._scrub(_describe_failure(exc, self.timeout))
        request = {"method": call.method, "path": call.path}
        if not isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            # A bad URL or similar: retrying cannot help.
            return TransportError(message, where=self._where(call), **request)
        never_sent = _failed_before_sending(exc)
        if not never_sent:
            self._count_sent(call)
        if not never_sent and not call.safe_to_repeat:
            return AmbiguousWriteError(message, **request)
        return _RetryableFailure(TransportError(message, where=self._where(call), **request))

    def _with_totals(self, error: TogglError, attempts: int, first_started: float) -> TogglError:
        """The last attempt's error, saying how many attempts were made and over how long, so
        that "no answer within 30 s" is never the whole story of three minutes of silence."""
        if attempts > 1:
            elapsed = max(0.0, self._clock() - first_started)
            error.message = f"{error.message or error.default_message} ({attempts} attempts over {elapsed:.0f} s)"
            error.args = (str(error),)
        return error

    def _notify_retry(self, call: _Call, attempt: int, failure: _RetryableFailure, delay: float,
                      first_started: float) -> None:
        if self._on_retry is None:
            return
        error = failure.error
        reason = error.detail() if not isinstance(error, TransportError) else (error.message or error.default_message)
        self._on_retry(RetryNotice(
            method=call.method, path=call.path, attempt=attempt, attempts=self.max_retries + 1,
            reason=reason, delay=delay, elapsed=max(0.0, self._clock() - first_started),
            rate_limited=error.status == 429,
        ))

    def _back_off(self, attempt: int, failure: _RetryableFailure) -> float:
        """The delay before the next attempt (counted, not yet slept)."""
        if failure.error.status == 429:
            delay = self._rate_limited_delay(failure.retry_after)
        else:
            # Full jitter: uniform over [0, ceiling], the ceiling doubling per retry up to the cap.
            ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
            delay = self._rng.uniform(0, ceiling)
            if failure.retry_after is not None:
                delay = max(delay, min(failure.retry_after, self.backoff_cap))
        self.stats.retries += 1
        self.stats.waited_seconds += delay
        return delay

    def _rate_limited_delay(self, retry_after: float | None) -> float:
        # A 429 refused the request before doing anything: wait only until the bucket has room
        # (Retry-After when the server says; Toggl does not), plus up to 10% jitter so that
        # clients sharing a token do not retry in step.
        needed = retry_after if retry_after is not None else self._pacer.delay()
        needed = min(max(needed, 0.0), self.backoff_cap)
        jitter = self._rng.uniform(0, 0.1 * max(needed, self._pacer.interval, 0.05))
        return min(needed + jitter, self.backoff_cap)

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
        reported = sane_quota(response.headers)
        if reported is not None:
            self.quota = reported

    def _emit(self, call: _Call, status: int | None, started: float, attempt: int, note: str = "") -> None:
        if self._on_request is not None:
            elapsed = max(0.0, self._clock() - started)
            self._on_request(RequestEvent(call.method, call.path, status, elapsed, attempt, note,
                                          call.query))

    def _scrub(self, text: str) -> str:
        """Toggl never echoes credentials, but an error text must not leak one if it ever did."""
        return redact(text, self._secrets, REDACTED)


# ---------------------------------------------------------------- helpers


def _secret_forms(transport: Transport) -> tuple[str, ...]:
    """The secret and the header value derived from it (e.g. the base64 Basic pair)."""
    derived = transport.auth_headers().get("Authorization", "").partition(" ")[2]
    return tuple(value for value in (transport.secret, derived) if value)


def _text(body: bytes) -> str:
    # JSON is UTF-8 (RFC 8259); a stray byte must not make the whole answer unreadable.
    return body.decode("utf-8-sig", errors="replace")


def _decode(text: str, call: _Call) -> Any:
    """A body as JSON (None when empty); a non-JSON body is returned as text."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except RecursionError:
        raise UnexpectedResponseError("the answer's JSON is nested too deeply to be a Toggl answer",
                                      method=call.method, path=call.path) from None
    except ValueError:
        return text


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _shown_url(url: str) -> str:
    """A URL as it may be shown: scheme, host, port and path; never a user, password or query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A header as a finite number, or None when absent or not a number ("soon", "NaN")."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def sane_quota(headers: Mapping[str, str]) -> QuotaStatus | None:
    """The X-Toggl-Quota-* headers, clamped to what can be true: a remaining count is never
    negative; a reset is at most an hour away (the window is a sliding 60 minutes) and a
    negative or non-numeric one is unknown (None), so no caller waits 3,000 years or loops
    hot on "-5". None when neither header is present."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if QUOTA_REMAINING_HEADER not in lowered and QUOTA_RESETS_IN_HEADER not in lowered:
        return None
    remaining = _header_number(lowered, QUOTA_REMAINING_HEADER)
    resets_in = _header_number(lowered, QUOTA_RESETS_IN_HEADER)
    return QuotaStatus(
        remaining=None if remaining is None else int(min(max(remaining, 0), 10**9)),
        resets_in=None if resets_in is None or resets_in < 0 else int(min(math.ceil(resets_in), MAX_QUOTA_RESETS_IN)),
    )


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Retry-After as seconds in [0, MAX_RETRY_AFTER]: a number, or an HTTP date measured
    against the answer's own Date header (the server's clock, not ours) when it has one."""
    raw = str(headers.get("Retry-After", "") or "").strip()
    if not raw:
        return None
    seconds = _header_number({"v": raw}, "v")
    if seconds is None:
        seconds = _seconds_until(raw, headers.get("Date"), now)
    if seconds is None:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _seconds_until(when: str, server_date: str | None, now: float | None) -> float | None:
    try:
        target = parsedate_to_datetime(when).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        reference = parsedate_to_datetime(server_date).timestamp() if server_date else None
    except (TypeError, ValueError, IndexError, OverflowError):
        reference = None
    if reference is None:
        reference = time.time() if now is None else now
    return target - reference


def _mapping(data: Any, method: str, path: str) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    raise UnexpectedResponseError(f"expected a JSON object, got {_shape(data)}", method=method, path=path)


def _mappings(data: Any, method: str, path: str) -> list[Mapping[str, Any]]:
    """A JSON list of objects; `null` is an empty list (Toggl answers that for empty lists)."""
    if data is None:
        return []
    if isinstance(data, list):
        # `type(...) is dict` first: decoded JSON objects are dicts, and the ABC check costs
        # more than the rest of reading a 200-object page.
        rows = [item for item in data if type(item) is dict or isinstance(item, Mapping)]
        if len(rows) != len(data):
            # Leaving the odd item out would plan from a listing short of what it stood for.
            odd = next(item for item in data if not isinstance(item, Mapping))
            raise UnexpectedResponseError(
                f"expected a JSON list of objects, got one holding {_shape(odd)}; nothing was "
                "planned from this answer", method=method, path=path)
        return rows
    raise UnexpectedResponseError(f"expected a JSON list, got {_shape(data)}", method=method, path=path)


def _page_rows(data: Any, method: str, path: str) -> tuple[list[Mapping[str, Any]], int | None, int | None]:
    """The objects of one listing page, with the total and page size it declared (if any):
    a bare list (or null), or an object whose `data` is one."""
    if isinstance(data, Mapping) and ("data" in data or "total_count" in data):
        total = _whole(data.get("total_count"))
        return _mappings(data.get("data"), method, path), total, _whole(data.get("per_page"))
    return _mappings(data, method, path), None, None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _row_key(row: Mapping[str, Any]) -> Any:
    """What makes a listed object the same one on another page: its id (an object without
    one is kept, keyed by its content)."""
    key = row.get("id")
    if type(key) is int:
        return key
    if isinstance(key, str) and key.strip().isdigit():
        return int(key)  # "5" and 5 are one object, as the typed views read them
    return json.dumps(row, sort_keys=True, default=str)


def _shape(data: Any) -> str:
    if isinstance(data, str):
        if looks_like_html(data):
            return summarize_html(data)
        return "text" if data else "an empty body"
    return {dict: "an object", list: "a list", type(None): "null"}.get(type(data), type(data).__name__)


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


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
    """A short reason, without urllib3's pool repr or the request's query string."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"could not connect within {timeout:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer within {timeout:g} s"
    causes = _causes(exc)
    for cause in causes:
        if isinstance(cause, NameResolutionError):
            return "the host name could not be resolved"
        if isinstance(cause, ConnectionRefusedError) or "connection refused" in str(cause).lower():
            return "connection refused (nothing listens there)"
        if isinstance(cause, TlsError):
            return f"TLS failed: {_short(str(cause.args[0]) if cause.args else str(cause))}"
        if isinstance(cause, RemoteDisconnected):
            return "the server closed the connection without answering"
        if isinstance(cause, ConnectionResetError):
            return "the connection was reset before an answer came"
    if isinstance(exc, requests.exceptions.InvalidURL):
        return "the URL is not valid"
    return _short(" ".join(str(exc).split()) or type(exc).__name__)


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
