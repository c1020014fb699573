"""Load the recorded real Toggl traffic in `tests/contract/recorded/` as uniform interactions.

Three recorders, three formats (see recorded/PROVENANCE.md): go-vcr v2 (`interactions`,
`request.url`, `response.code`), Ruby VCR 6 (`http_interactions`) and vcrpy (`interactions`,
`request.uri`, `response.status.code`, `response.body.string`). Both are flattened to `Interaction` so that contract tests
(the client's and the sandbox's) can replay them without caring where they came from.
toggl_rb bodies hold unquoted placeholders (`<TOGGL_WORKSPACE_ID>`) that are not JSON; they are
replaced by fixed integers so that every body parses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlsplit

import yaml

RECORDED_DIR = Path(__file__).parent / "recorded"
WORKSPACE_ID = 1234567
ORGANIZATION_ID = 7654321
PLACEHOLDERS: Mapping[str, str] = {
    "<TOGGL_WORKSPACE_ID>": str(WORKSPACE_ID),
    "<TOGGL_ORGANIZATION_ID>": str(ORGANIZATION_ID),
}

STALE_ON_REPLAY_HEADERS: frozenset[str] = frozenset(
    {"content-length", "content-encoding", "transfer-encoding"}
)


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its answer, placeholders substituted."""

    source_file: str  # relative to RECORDED_DIR, e.g. "toggl_rb/create_project_success.yml"
    recorded_on: str  # "YYYY-MM" of the recording (from the Date header), for drifts
    index: int  # position within its file
    method: str  # upper case
    url: str
    path: str  # e.g. "/api/v9/me/time_entries"
    query: Mapping[str, str]
    request_body: str
    status: int
    response_headers: Mapping[str, str]  # lower-case names; repeated values joined by ", "
    response_body: str

    @property
    def id(self) -> str:
        """A readable pytest id: "toggl_rb/create_project_success.yml#0 POST /api/v9/..."."""
        return f"{self.source_file}#{self.index} {self.method} {self.path}"

    def replayable_headers(self) -> dict[str, str]:
        """Response headers safe to serve again: the recorded length/encoding no longer hold
        once placeholders are substituted (and a replayer sends the body uncompressed)."""
        return {
            name: value
            for name, value in self.response_headers.items()
            if name not in STALE_ON_REPLAY_HEADERS
        }


def substitute_placeholders(text: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text


def load_interactions(directory: Path = RECORDED_DIR) -> list[Interaction]:
    """Every interaction of every recording under `directory`, in file then recording order."""
    interactions: list[Interaction] = []
    for file in sorted(directory.glob("*/*.y*ml")):
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        source = file.relative_to(directory).as_posix()
        interactions.extend(_parse_document(source, document))
    return interactions


def _parse_document(source: str, document: Mapping[str, Any]) -> list[Interaction]:
    if "http_interactions" in document:
        return [_from_ruby_vcr(source, i, raw) for i, raw in enumerate(document["http_interactions"])]
    raws = document.get("interactions") or []
    return [
        _from_vcrpy(source, i, raw) if "uri" in raw["request"] else _from_go_vcr(source, i, raw)
        for i, raw in enumerate(raws)
    ]


def _from_vcrpy(source: str, index: int, raw: Mapping[str, Any]) -> Interaction:
    request, response = raw["request"], raw["response"]
    return _build(
        source,
        index,
        method=request["method"],
        url=request["uri"],
        request_body=request.get("body") or "",
        status=int(response["status"]["code"]),
        headers=response.get("headers") or {},
        response_body=(response.get("body") or {}).get("string") or "",
    )


def _from_go_vcr(source: str, index: int, raw: Mapping[str, Any]) -> Interaction:
    request, response = raw["request"], raw["response"]
    return _build(
        source,
        index,
        method=request["method"],
        url=request["url"],
        request_body=request.get("body") or "",
        status=int(response["code"]),
        headers=response.get("headers") or {},
        response_body=response.get("body") or "",
    )


def _from_ruby_vcr(source: str, index: int, raw: Mapping[str, Any]) -> Interaction:
    request, response = raw["request"], raw["response"]
    return _build(
        source,
        index,
        method=request["method"],
        url=request["uri"],
        request_body=(request.get("body") or {}).get("string") or "",
        status=int(response["status"]["code"]),
        headers=response.get("headers") or {},
        response_body=(response.get("body") or {}).get("string") or "",
    )


def _build(
    source: str,
    index: int,
    *,
    method: str,
    url: str,
    request_body: str,
    status: int,
    headers: Mapping[str, Any],
    response_body: str,
) -> Interaction:
    url = substitute_placeholders(url)
    parts = urlsplit(url)
    normalized = _normalize_headers(headers)
    return Interaction(
        source_file=source,
        recorded_on=_month_of(normalized.get("date", "")),
        index=index,
        method=method.upper(),
        url=url,
        path=parts.path,
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        request_body=substitute_placeholders(request_body),
        status=status,
        response_headers=normalized,
        response_body=substitute_placeholders(response_body),
    )


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_of(date_header: str) -> str:
    """"Fri, 13 Dec 2024 01:59:49 GMT" -> "2024-12" ("" when there is no Date header)."""
    parts = date_header.split()
    if len(parts) < 4 or parts[2] not in _MONTHS:
        return ""
    return f"{parts[3]}-{_MONTHS.index(parts[2]) + 1:02d}"


def _normalize_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    # Both recorders keep each header as a list of values.
    normalized: dict[str, str] = {}
    for name, values in headers.items():
        listed = values if isinstance(values, list) else [values]
        normalized[str(name).lower()] = ", ".join(str(value) for value in listed)
    return normalized
