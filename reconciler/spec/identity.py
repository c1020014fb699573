"""Duplicate and rename checks shared by every named kind of the spec.

They work on anything shaped like `semantic.Entry` (`Named`): entries of clients, projects, tags
and groups, and the tasks inside a project entry.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Hashable, Iterable, Iterator, Mapping, Protocol

from reconciler.spec.source import DataPath, Issue, SpecFile, where


class Named(Protocol):
    """A named spec object: where it is written, and how its name is compared."""

    file: SpecFile
    body: Mapping[str, Any]

    @property
    def path(self) -> DataPath: ...

    @property
    def kind(self) -> str: ...

    @property
    def address(self) -> str: ...

    def look_key(self) -> Hashable | None: ...

    def key(self, name: str | None = None) -> Hashable: ...


def looks(name: str) -> str:
    """A name as a reader sees it: NFKC, fold, NFKC again (folding can produce text that NFKC
    changes further)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def duplicates(named: Iterable[Named]) -> Iterator[Issue]:
    """A second object with the same name (ignoring case), or one only a reader confuses."""
    first_by_key: dict[Hashable, Named] = {}
    first_by_look: dict[Hashable, Named] = {}
    for entry in named:
        key = entry.key()
        first = first_by_key.setdefault(key, entry)
        if first is not entry:
            yield Issue(entry.file, entry.path, f"{entry.kind} {entry.address!r} is defined "
                        f"twice (names ignore case): also at {where(first.file, first.path)}")
            continue
        look = entry.look_key()
        similar = first_by_look.setdefault(key if look is None else look, entry)
        if similar is not entry:
            yield Issue(entry.file, entry.path, _lookalike_message(entry, similar))


def _lookalike_message(entry: Named, similar: Named) -> str:
    return (f"{entry.kind} {entry.address!r} looks like {similar.kind} {similar.address!r} "
            f"(at {where(similar.file, similar.path)}): the names differ only in Unicode "
            "compatibility forms such as full-width letters, ligatures or superscripts "
            "(they are equal after NFKC and ignoring case), so a reviewer cannot tell them "
            "apart and Toggl may take them for one name; rename one of them")


def rename_collisions(named: list[Named]) -> Iterator[Issue]:
    """A previous name that is another object's name, or the previous name of two objects."""
    names = {entry.key(): entry for entry in reversed(named)}  # first one wins
    previous: dict[Hashable, Named] = {}
    for entry in named:
        own_key = entry.key()
        for position, old_name in enumerate(entry.body.get("previous_names", ())):
            key = entry.key(old_name)
            if key == own_key:
                continue  # a change of case only: renames the object to itself
            path = entry.path + ("previous_names", position)
            holder = names.get(key)
            if holder is not None:
                yield Issue(entry.file, path, f"previous name {old_name!r} is the name of "
                            f"another {entry.kind} (at {where(holder.file, holder.path)})")
                continue
            earlier = previous.setdefault(key, entry)
            if earlier is not entry:
                yield Issue(entry.file, path, f"previous name {old_name!r} is also a previous "
                            f"name of {entry.kind} {earlier.address!r} (at "
                            f"{where(earlier.file, earlier.path)}): a live object can be "
                            "renamed to one of them only")
