"""decide(): new, changed and unchanged items by key and content hash."""

from __future__ import annotations

from bot.news.model.vocabulary import ItemDraft
from bot.news.rules.item_changes import decide


def _draft(key: str, content: str) -> ItemDraft:
    return ItemDraft(
        key=key,
        title=content,
        link=None,
        author=None,
        published=None,
        summary="",
        image_url=None,
        categories=(),
        publisher=None,
        content_hash=f"h-{content}",
    )


def test_split_by_stored_hash() -> None:
    drafts = [_draft("a", "one"), _draft("b", "two"), _draft("c", "three")]
    decision = decide(drafts, {"a": "h-one", "b": "h-old"})
    assert [d.key for d in decision.new] == ["c"]
    assert [d.key for d in decision.changed] == ["b"]
    assert decision.unchanged == 1


def test_a_key_repeated_in_one_document_counts_once() -> None:
    decision = decide([_draft("a", "first"), _draft("a", "second")], {})
    assert [d.title for d in decision.new] == ["first"]
    assert decision.unchanged == 0
