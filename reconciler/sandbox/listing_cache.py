"""Listings kept between requests while the database has not changed.

A full listing of 10,000 projects used to re-read and re-serialize projects for each of its
51 pages with LIMIT/OFFSET, so later pages cost more and the whole listing was quadratic. Now
a page reads the workspace's sorted rows once per data version (`ListingCache.get`) and slices
them; each row is JSON-encoded on the first page that shows it and its bytes are kept
(`EncodedRows`), so a full listing encodes every row once and a repeated one encodes nothing.
A first page asked while no listing is current is read alone (LIMIT), as before: reading a
whole large workspace for one page after each write would make that common request slow.

Validity is a `DataVersion` read from SQLite itself rather than counters bumped by each write
path: a write that forgot to bump would serve stale data, whereas SQLite's change count cannot
miss one. The price is that any write, to any table or workspace, drops every listing; that is
cheap, because re-reading the rows is fast and the bytes of unchanged rows are reused.

Not thread-safe on its own: callers hold the store's lock (every request runs inside
`Store.transaction()`).
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, TypeVar

# (rows changed by this connection, rollbacks, commits by other connections): equal versions
# mean equal data. Rollbacks count because a rolled-back write leaves the change count raised
# but the data as before, so a listing built inside that transaction must not survive it.
DataVersion = tuple[int, int, int]
_Built = TypeVar("_Built")
_SPARE_ENCODINGS = 1_000  # encodings of vanished rows tolerated before a sweep


class EncodedRows:
    """Sorted rows whose JSON bytes are made on demand and shared through `memo` with the
    listings of later versions: a row that did not change (equal values) is not re-encoded."""

    def __init__(
        self, rows: list[Any], encode: Callable[[Any], bytes], memo: dict[Any, bytes]
    ) -> None:
        self.rows = rows
        self._encode = encode
        self._memo = memo

    def encoded(self, positions: Iterable[int]) -> list[bytes]:
        items: list[bytes] = []
        for position in positions:
            row = self.rows[position]
            item = self._memo.get(row)
            if item is None:
                item = self._memo[row] = self._encode(row)
            items.append(item)
        return items


class ListingCache:
    """Built values per key, each valid for one `DataVersion`, and row encodings per listing."""

    def __init__(self) -> None:
        self._built: dict[Hashable, tuple[DataVersion, Any]] = {}
        self._memos: dict[Hashable, dict[Any, bytes]] = {}

    def get(self, key: Hashable, version: DataVersion, build: Callable[[], _Built]) -> _Built:
        """The value built for `key` at `version`, building it when missing or outdated."""
        if self.is_current(key, version):
            return self._built[key][1]
        value = build()
        self._built[key] = (version, value)
        return value

    def is_current(self, key: Hashable, version: DataVersion) -> bool:
        held = self._built.get(key)
        return held is not None and held[0] == version

    def encoded_rows(
        self, key: Hashable, rows: list[Any], encode: Callable[[Any], bytes],
        *, complete: bool = True,
    ) -> EncodedRows:
        """`rows` (hashable, e.g. sqlite3.Row) sharing encodings with earlier rows of `key`;
        `complete` rows are the whole listing, so encodings of other rows may be dropped."""
        memo = self._memos.setdefault(key, {})
        if complete and len(memo) > len(rows) + _SPARE_ENCODINGS:
            memo = self._memos[key] = {row: memo[row] for row in rows if row in memo}
        return EncodedRows(rows, encode, memo)

    def clear(self) -> None:
        self._built.clear()
        self._memos.clear()
