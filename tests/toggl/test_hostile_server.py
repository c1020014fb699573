"""The client against a hostile HTTP server on 127.0.0.1 (tests/toggl/hostile.py): real sockets,
real timing, real decoding. Each test states the bound it proves and asserts it."""

from __future__ import annotations

import re
import time
import tracemalloc
from typing import Any, Iterator

import pytest

from reconciler.toggl import (
    AmbiguousWriteError,
    TogglClient,
    TransportError,
    UnexpectedResponseError,
    transport_from_env,
)
from reconciler.toggl.client import RequestEvent, RetryNotice
from reconciler.toggl.errors import AnswerTooLargeError, RedirectRefusedError, ServerError

from .fakes import TOKEN
from .hostile import (
    HostileServer,
    answer,
    chunked_cut_short,
    cut_short,
    encoded,
    endless_chunks,
    endless_pages,
    gzip_bomb,
    gzipped,
    json_answer,
    redirect,
    silent,
    trickle_body,
    trickle_headers,
)

TAGS = "/api/v9/workspaces/1/tags"
CLIENTS = "/api/v9/workspaces/1/clients"
PROJECTS = "/api/v9/workspaces/1/projects"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()  # 200 MiB of JSON whitespace in about 200 KB of gzip


def make(server: HostileServer, **options: Any) -> TogglClient:
    transport = transport_from_env({"TOGGL_API_TOKEN": TOKEN, "TOGGL_API_URL": server.url})
    settings: dict[str, Any] = {"backoff_base": 0.01, "max_retries": 0, "timeout": 5.0}
    return TogglClient(transport, **{**settings, **options})


# ---------------------------------------------------------------- total deadline (issue 9.13)


@pytest.mark.parametrize("behaviour", [trickle_body(0.2), trickle_headers(0.2)], ids=["body", "headers"])
def test_a_trickling_server_is_cut_off_at_the_deadline(server: HostileServer, behaviour: Any) -> None:
    # One byte every 0.2 s: a 1 s read timeout never fires, yet the answer never completes.
    server.on("GET", TAGS, behaviour)
    with make(server, timeout=1.0, deadline=1.5) as client:
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"no complete answer within 1.5 s"):
            client.list_tags(1)
        elapsed = time.monotonic() - started
    assert 1.4 <= elapsed < 3.0, elapsed


def test_a_trickled_write_is_ambiguous_not_retried(server: HostileServer) -> None:
    server.on("POST", CLIENTS, trickle_body(0.2))
    with make(server, timeout=1.0, deadline=1.0, max_retries=3) as client:
        with pytest.raises(AmbiguousWriteError, match="no complete answer within 1 s"):
            client.create_client(1, "Acme")
    assert len(server.requests) == 1


def test_a_silent_server_reports_each_attempt_and_the_true_total(server: HostileServer) -> None:
    server.on("GET", TAGS, silent)
    notices: list[RetryNotice] = []
    with make(server, timeout=0.4, max_retries=2, on_retry=notices.append) as client:
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            client.list_tags(1)
        elapsed = time.monotonic() - started
    text = str(caught.value)
    assert re.search(r"no answer within 0.4 s \(3 attempts over [12] s\)", text), text
    assert f"at {server.url} (from TOGGL_API_URL)" in text
    assert [(n.attempt, n.attempts) for n in notices] == [(1, 3), (2, 3)]
    assert notices[0].elapsed >= 0.39 and notices[1].elapsed >= 0.79
    assert 1.2 <= elapsed < 2.5
    assert len(server.requests) == 3


# ---------------------------------------------------------------- bounded answers (issue 16.3)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_gzip_bomb_is_stopped_within_a_memory_bound(server: HostileServer, bomb: bytes, chunked: bool) -> None:
    server.on("GET", TAGS, encoded(bomb, "gzip", chunked=chunked))
    with make(server) as client:
        tracemalloc.start()
        try:
            with pytest.raises(AnswerTooLargeError, match="larger than 16 MiB once decoded"):
                client.list_tags(1)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # 16 MiB of kept body + 1 MiB inflate pieces + zlib state; the 200 MiB body is never built.
    assert peak < 32 * 1024 * 1024, peak
    assert len(bomb) < 250_000


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM"))


def test_a_gzip_bomb_raises_the_peak_rss_by_little(server: HostileServer, bomb: bytes) -> None:
    """The same bound seen by the kernel: the resident-set high-water mark, reset just before."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM to the current RSS (Linux)
    except OSError:
        pytest.skip("needs Linux /proc/self/clear_refs")
    server.on("GET", TAGS, encoded(bomb, "gzip"))
    with make(server) as client:
        before = _peak_rss_mib()
        with pytest.raises(AnswerTooLargeError):
            client.list_tags(1)
        assert _peak_rss_mib() - before < 48, (before, _peak_rss_mib())


@pytest.mark.parametrize("coding", ["deflate", "raw-deflate"])
def test_a_deflate_bomb_is_stopped_too(server: HostileServer, coding: str) -> None:
    server.on("GET", TAGS, encoded(gzip_bomb(20 * 1024 * 1024, coding), "deflate"))
    with make(server, max_answer_bytes=1024 * 1024) as client:
        with pytest.raises(AnswerTooLargeError, match="larger than 1 MiB"):
            client.list_tags(1)


def test_compressed_answers_are_decoded(server: HostileServer) -> None:
    body = '[{"id": 7, "workspace_id": 1, "name": "gz"}]'
    server.on("GET", TAGS, encoded(gzipped(body), "gzip"), encoded(gzipped(body), "gzip", chunked=True))
    with make(server) as client:
        assert [tag.name for tag in client.list_tags(1)] == ["gz"]
        assert [tag.name for tag in client.list_tags(1)] == ["gz"]


def test_an_unasked_for_encoding_is_refused(server: HostileServer) -> None:
    server.on("GET", TAGS, encoded(b"\x00\x01", "br"))
    with make(server) as client:
        with pytest.raises(UnexpectedResponseError, match="unsupported Content-Encoding 'br'"):
            client.list_tags(1)


def test_a_declared_oversized_body_is_refused_unread(server: HostileServer) -> None:
    server.on("GET", TAGS, answer(200, b" " * (2 * 1024 * 1024)))
    with make(server, max_answer_bytes=1024 * 1024) as client:
        with pytest.raises(AnswerTooLargeError, match=r"declared 2097152 bytes"):
            client.list_tags(1)


def test_an_endless_body_stops_at_the_bound(server: HostileServer) -> None:
    server.on("GET", TAGS, endless_chunks())
    with make(server, max_answer_bytes=4 * 1024 * 1024) as client:
        with pytest.raises(AnswerTooLargeError, match="larger than 4 MiB"):
            client.list_tags(1)


def test_a_huge_error_page_is_truncated_not_fatal(server: HostileServer) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 3_000_000 + "</body></html>"
    server.on("GET", TAGS, answer(502, page, content_type="text/html"))
    with make(server) as client:
        with pytest.raises(ServerError) as caught:
            client.list_tags(1)
    assert str(caught.value) == f"GET {TAGS}: 502 HTML page: 502 Bad Gateway"


def test_pages_that_never_get_short_are_capped(server: HostileServer) -> None:
    server.on("GET", PROJECTS, endless_pages())
    with make(server, max_listing_pages=7) as client:
        with pytest.raises(AnswerTooLargeError, match=r"stopped after 7 pages \(1400 projects\) without a short page"):
            client.list_projects(1)
    assert len(server.requests) == 7


def test_the_default_page_cap(server: HostileServer) -> None:
    server.on("GET", PROJECTS, endless_pages())
    with make(server) as client:
        with pytest.raises(AnswerTooLargeError, match="stopped after 500 pages"):
            client.list_projects(1, per_page=1)
    assert len(server.requests) == 500


def test_a_listing_is_bounded_in_bytes(server: HostileServer) -> None:
    server.on("GET", PROJECTS, endless_pages())
    with make(server, max_listing_bytes=100_000) as client:
        with pytest.raises(AnswerTooLargeError, match=r"the project listing passed 100000 bytes over 8 pages"):
            client.list_projects(1)  # 8 pages of 200 projects, about 12.6 KB each
    assert len(server.requests) == 8


def test_deeply_nested_json_is_an_unexpected_answer(server: HostileServer) -> None:
    server.on("GET", TAGS, answer(200, "[" * 200_000 + "]" * 200_000))
    with make(server) as client:
        with pytest.raises(UnexpectedResponseError, match="nested too deeply"):
            client.list_tags(1)


def test_an_html_success_is_summarized(server: HostileServer) -> None:
    server.on("GET", TAGS, answer(200, "<!DOCTYPE html><html><head><title>Sign in</title></head>"
                                       "<body>" + "<p>x</p>" * 1000 + "</body></html>", content_type="text/html"))
    with make(server) as client:
        with pytest.raises(UnexpectedResponseError) as caught:
            client.list_tags(1)
    assert str(caught.value) == f"GET {TAGS}: expected a JSON list, got HTML page: Sign in"


# ---------------------------------------------------------------- bodies cut short (issue 9.15)


@pytest.mark.parametrize("broken", [cut_short(), chunked_cut_short], ids=["content-length", "chunked"])
def test_a_read_cut_short_is_retried_like_a_reset(server: HostileServer, broken: Any) -> None:
    server.on("GET", TAGS, broken, json_answer([{"id": 1, "workspace_id": 1, "name": "whole"}]))
    with make(server, max_retries=2) as client:
        assert [tag.name for tag in client.list_tags(1)] == ["whole"]
        assert (client.stats.reads, client.stats.retries) == (2, 1)


@pytest.mark.parametrize("broken", [cut_short(), chunked_cut_short], ids=["content-length", "chunked"])
def test_a_create_cut_short_is_ambiguous(server: HostileServer, broken: Any) -> None:
    server.on("POST", CLIENTS, broken)
    with make(server, max_retries=3) as client:
        with pytest.raises(AmbiguousWriteError, match="cut short.*may or may not have been applied"):
            client.create_client(1, "Acme")
    assert len(server.requests) == 1  # never re-sent blindly


def test_an_update_cut_short_is_repeated(server: HostileServer) -> None:
    # PUT is idempotent: sending it again leaves the same state.
    server.on("PUT", f"{CLIENTS}/5", cut_short(), json_answer({"id": 5, "wid": 1, "name": "B"}))
    with make(server, max_retries=2) as client:
        assert client.update_client(1, 5, "B").name == "B"
    assert len(server.requests) == 2


# ---------------------------------------------------------------- redirects (issue 16.2)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_is_refused_with_nothing_sent_there(server: HostileServer, status: int) -> None:
    with HostileServer() as elsewhere:
        elsewhere.on("GET", "*", json_answer([]))
        server.on("GET", TAGS, redirect(status, f"{elsewhere.url}{TAGS}?token=leak"))
        with make(server) as client:
            with pytest.raises(RedirectRefusedError) as caught:
                client.list_tags(1)
        assert elsewhere.requests == []
    text = str(caught.value)
    assert f"the API root {server.url} (from TOGGL_API_URL) answered {status}" in text
    assert f"redirecting to {elsewhere.url}{TAGS}, another origin" in text
    assert "leak" not in text  # the target's query is never shown


def test_a_same_origin_redirect_of_a_read_is_followed_and_logged(server: HostileServer) -> None:
    server.on("GET", TAGS, redirect(307, "/api/v9/elsewhere/tags"))
    server.on("GET", "/api/v9/elsewhere/tags", json_answer([{"id": 2, "workspace_id": 1, "name": "moved"}]))
    events: list[RequestEvent] = []
    with make(server, on_request=events.append) as client:
        assert [tag.name for tag in client.list_tags(1)] == ["moved"]
        assert client.stats.reads == 2
    assert [(e.status, e.note) for e in events] == [
        (307, "following same-origin redirect to /api/v9/elsewhere/tags"), (200, "")]
    assert server.requests[1].headers.get("Authorization", "").startswith("Basic ")


def test_a_redirected_write_is_not_followed(server: HostileServer) -> None:
    server.on("POST", CLIENTS, redirect(307, "/api/v9/other"))
    with make(server) as client:
        with pytest.raises(RedirectRefusedError, match="redirecting this write to /api/v9/other"):
            client.create_client(1, "Acme")
    assert [seen.path for seen in server.requests] == [CLIENTS]


def test_a_redirect_loop_ends(server: HostileServer) -> None:
    server.on("GET", TAGS, redirect(302, TAGS))
    with make(server) as client:
        with pytest.raises(RedirectRefusedError, match="more than 3 redirects"):
            client.list_tags(1)
    assert len(server.requests) == 4


@pytest.mark.parametrize("status", [300, 304, 302])
def test_a_3xx_is_never_a_success(server: HostileServer, status: int) -> None:
    server.on("GET", TAGS, answer(status, "[]"))  # no Location
    with make(server) as client:
        with pytest.raises(UnexpectedResponseError, match=f"unexpected {status} answer"):
            client.list_tags(1)
