"""Parsed items pickle as their constructor's arguments (``ItemDraft.__reduce__`` and the
others): the parser workers' replies. A field added without its place there would be lost."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime

from bot.news.model.vocabulary import ItemDraft, ItemTags, ParsedFeed


def _feed() -> ParsedFeed:
    draft = ItemDraft(
        key="k",
        title="t",
        link="https://example.com/a",
        author="a",
        published=datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
        summary="s",
        image_url="https://example.com/i.png",
        categories=("c1", "c2"),
        publisher="p",
        content_hash="h",
    )
    tags = ItemTags(companies=("amazon",), topics=("fees",), story_text="x")
    return ParsedFeed(
        title="feed", link="https://example.com", items=(draft,), warning="w", tags=(tags, None)
    )


def test_a_parsed_feed_comes_back_equal_from_pickle() -> None:
    feed = _feed()
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(feed, protocol=protocol)) == feed


def test_every_field_is_in_the_reduced_arguments() -> None:
    feed = _feed()
    for value in (feed, feed.items[0], feed.tags[0] if feed.tags else None):
        assert value is not None
        _, arguments = value.__reduce__()
        fields = dataclasses.fields(value)
        assert arguments == tuple(getattr(value, field.name) for field in fields)
