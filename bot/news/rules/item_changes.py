"""Which parsed items are new, changed or unchanged against what is stored. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.news.model.vocabulary import ItemChange, ItemDraft


@dataclass(frozen=True, slots=True)
class Decision:
    """Drafts split by what storing them means."""

    new: tuple[ItemDraft, ...]
    changed: tuple[ItemDraft, ...]
    unchanged: int


def classify(draft: ItemDraft, stored_hash: str | None) -> ItemChange:
    """One draft against the stored content hash of the same key (None: not stored)."""
    if stored_hash is None:
        return ItemChange.NEW
    if stored_hash != draft.content_hash:
        return ItemChange.CHANGED
    return ItemChange.UNCHANGED


def decide(drafts: Iterable[ItemDraft], stored: Mapping[str, str]) -> Decision:
    """Split drafts; a key seen twice in one document counts once (the first wins)."""
    new: list[ItemDraft] = []
    changed: list[ItemDraft] = []
    unchanged = 0
    seen: set[str] = set()
    for draft in drafts:
        if draft.key in seen:
            continue
        seen.add(draft.key)
        change = classify(draft, stored.get(draft.key))
        if change is ItemChange.NEW:
            new.append(draft)
        elif change is ItemChange.CHANGED:
            changed.append(draft)
        else:
            unchanged += 1
    return Decision(tuple(new), tuple(changed), unchanged)
