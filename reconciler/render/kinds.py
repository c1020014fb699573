"""How the renderers name each kind: the one table a new kind adds its line to.

The order is the plan's own phase order (the workspace first, then its settings, the objects,
and what lives inside projects last): the Markdown sections, the `--compact` lines, the adopt
snippet and the by-kind bill all follow it. A kind the table does not know (a plan file from a
newer version, or an edited one) is still shown, after the known ones, under its own word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from reconciler.model import KIND_SECTIONS, WORKSPACE_KIND_SECTIONS


@dataclass(frozen=True)
class KindWords:
    singular: str  # `1 task`
    plural: str  # `3 tasks`
    title: str  # the Markdown details section: `Tasks: 3 changes`
    # The spec key its unmanaged entries are adopted under; members and tasks are written
    # inside their project's entry (see `adopt_snippet`), so they have none of their own.
    section: str | None = None


KIND_WORDS: Mapping[str, KindWords] = {
    "workspace": KindWords("workspace", "workspaces", "Workspace"),
    "settings": KindWords("settings", "settings", "Settings"),
    "client": KindWords("client", "clients", "Clients", KIND_SECTIONS["client"]),
    "project": KindWords("project", "projects", "Projects", KIND_SECTIONS["project"]),
    "tag": KindWords("tag", "tags", "Tags", KIND_SECTIONS["tag"]),
    "group": KindWords("group", "groups", "Groups", WORKSPACE_KIND_SECTIONS["group"]),
    "member": KindWords("member", "members", "Members"),
    "task": KindWords("task", "tasks", "Tasks"),
}
# Inside a project's spec entry: where its members and tasks are adopted.
PROJECT_ENTRY_KEYS: Mapping[str, str] = {
    "member": WORKSPACE_KIND_SECTIONS["member"], "task": WORKSPACE_KIND_SECTIONS["task"],
}


def kind_words(kind: str) -> KindWords:
    """The table's words for `kind`, or plain ones built from the kind itself (unescaped:
    callers escape `singular`/`plural`/`title` of an unknown kind like any other plan text)."""
    known = KIND_WORDS.get(kind)
    if known is not None:
        return known
    return KindWords(kind, kind + "s", kind[:1].upper() + kind[1:])


def is_known(kind: str) -> bool:
    return kind in KIND_WORDS


_BY_PLURAL: Mapping[str, str] = {words.plural: kind for kind, words in KIND_WORDS.items()}


def known_kind(key: str) -> str | None:
    """The kind a key names, by itself ("task") or by its plural ("tasks"); None for others."""
    return key if key in KIND_WORDS else _BY_PLURAL.get(key)


def kind_noun(kind: str, count: int) -> str:
    words = kind_words(kind)
    return words.singular if count == 1 else words.plural


def kinds_in_order(kinds: Iterable[str]) -> list[str]:
    """The distinct `kinds` in the table's order, unknown ones last in first-seen order."""
    seen = list(dict.fromkeys(kinds))
    order = {kind: index for index, kind in enumerate(KIND_WORDS)}
    return sorted(seen, key=lambda kind: (order.get(kind, len(order)), seen.index(kind)))
